// Tensor creation, conversion to and from typed arrays, metadata, shape and indexing ops.
#include <ATen/Parallel.h>

#include <cstring>

#include "gate.h"

namespace isbe {
namespace {

// The typed array type that holds the raw elements of each dtype.
napi_typedarray_type StorageArrayType(at::ScalarType type) {
  switch (type) {
    case at::kFloat: return napi_float32_array;
    case at::kDouble: return napi_float64_array;
    case at::kLong: return napi_bigint64_array;
    case at::kInt: return napi_int32_array;
    case at::kChar: return napi_int8_array;
    case at::kBFloat16:
    case at::kHalf: return napi_uint16_array;
    default: return napi_uint8_array;
  }
}

const char* TypedArrayName(napi_typedarray_type type) {
  switch (type) {
    case napi_float32_array: return "Float32Array";
    case napi_float64_array: return "Float64Array";
    case napi_bigint64_array: return "BigInt64Array";
    case napi_int32_array: return "Int32Array";
    case napi_int8_array: return "Int8Array";
    case napi_uint16_array: return "Uint16Array";
    case napi_uint8_array: return "Uint8Array";
    default: return "another typed array";
  }
}

int64_t CheckedNumel(const Args& args, const std::vector<int64_t>& shape) {
  int64_t numel = 1;
  for (int64_t size : shape) {
    if (size < 0) args.rangeError("shape sizes must be non-negative");
    if (size != 0 && numel > (int64_t{1} << 53) / size) args.rangeError("shape is too large");
    numel *= size;
  }
  return numel;
}

// fromTypedArray(data, shape, dtype): copies the elements into a new CPU tensor.
at::Tensor FromTypedArray(const Args& args) {
  at::ScalarType type = args.dtype(2, "dtype");
  std::vector<int64_t> shape = args.intList(1, "shape");
  napi_typedarray_type expected = StorageArrayType(type);
  if (!args.value(0).IsTypedArray()) args.typeError(0, "data", TypedArrayName(expected));
  auto data = args.value(0).As<Napi::TypedArray>();
  if (data.TypedArrayType() != expected) {
    std::string message = std::string("a ") + TypedArrayName(expected) + " for dtype " +
                          DtypeName(type);
    args.typeError(0, "data", message.c_str());
  }
  int64_t numel = CheckedNumel(args, shape);
  if (static_cast<int64_t>(data.ElementLength()) != numel) {
    args.rangeError("data has " + std::to_string(data.ElementLength()) +
                    " elements but the shape needs " + std::to_string(numel));
  }
  at::Tensor tensor = at::empty(shape, at::TensorOptions().dtype(type));
  auto bytes = static_cast<const uint8_t*>(data.ArrayBuffer().Data()) + data.ByteOffset();
  std::memcpy(tensor.data_ptr(), bytes, data.ByteLength());
  return tensor;
}

// bytesToFloat(data: Uint8Array, shape, divisor): a float32 tensor of data[i] / divisor (a
// division, as torch's div, so the values are bit-identical to PyTorch's scaling), made in
// one pass from the JS bytes, without a uint8 tensor in between (MNIST's 47 MB of training
// pixels would otherwise be copied three times while loading).
at::Tensor BytesToFloat(const Args& args) {
  if (!args.value(0).IsTypedArray() ||
      args.value(0).As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    args.typeError(0, "data", "a Uint8Array");
  }
  auto data = args.value(0).As<Napi::Uint8Array>();
  std::vector<int64_t> shape = args.intList(1, "shape");
  float divisor = static_cast<float>(args.number(2, "divisor"));
  int64_t numel = CheckedNumel(args, shape);
  if (static_cast<int64_t>(data.ElementLength()) != numel) {
    args.rangeError("data has " + std::to_string(data.ElementLength()) +
                    " elements but the shape needs " + std::to_string(numel));
  }
  at::Tensor tensor = at::empty(shape, at::kFloat);
  const uint8_t* bytes = data.Data();
  float* out = tensor.data_ptr<float>();
  // Captured by value so that the stores cannot change `out` or `bytes` and the loop
  // vectorises.
  at::parallel_for(0, numel, 1 << 16, [=](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) out[i] = static_cast<float>(bytes[i]) / divisor;
  });
  return tensor;
}

// toTypedArray(tensor): copies the elements, on the CPU and in row-major order.
Napi::Value ToTypedArray(const Args& args) {
  at::Tensor tensor = args.tensor(0, "self").detach().cpu().contiguous();
  Napi::Env env = args.env();
  size_t bytes = tensor.numel() * tensor.element_size();
  auto buffer = Napi::ArrayBuffer::New(env, bytes);
  if (bytes > 0) std::memcpy(buffer.Data(), tensor.data_ptr(), bytes);
  napi_typedarray_type type = StorageArrayType(tensor.scalar_type());
  napi_value array;
  napi_status status = napi_create_typedarray(env, type, tensor.numel(), buffer, 0, &array);
  NAPI_THROW_IF_FAILED(env, status, Napi::Value());
  return Napi::Value(env, array);
}

// Reads the single element as a double; booleans become 0 or 1.
double Item(const Args& args) { return args.tensor(0, "self").item().toDouble(); }

at::TensorOptions Options(const Args& args, size_t i) {
  return at::TensorOptions().dtype(args.optionalDtype(i, "dtype").value_or(at::kFloat));
}

at::Tensor Full(const Args& args) {
  std::vector<int64_t> shape = args.intList(0, "shape");
  CheckedNumel(args, shape);
  return at::full(shape, args.scalar(1, "value"), Options(args, 2));
}

// zerosLike(self): zeros with the dtype, device and memory format of self.
at::Tensor ZerosLike(const Args& args) { return at::zeros_like(args.tensor(0, "self")); }

at::Tensor Arange(const Args& args) {
  return at::arange(args.scalar(0, "start"), args.scalar(1, "end"), args.scalar(2, "step"),
                    Options(args, 3));
}

// uniform(shape, low, high, dtype?, generator?) draws from U[low, high).
at::Tensor Uniform(const Args& args) {
  std::vector<int64_t> shape = args.intList(0, "shape");
  CheckedNumel(args, shape);
  at::Tensor tensor = at::empty(shape, Options(args, 3));
  return tensor.uniform_(args.number(1, "low"), args.number(2, "high"),
                         args.generator(4, "generator"));
}

// normal(shape, mean, std, dtype?, generator?) draws from N(mean, std^2).
at::Tensor Normal(const Args& args) {
  std::vector<int64_t> shape = args.intList(0, "shape");
  CheckedNumel(args, shape);
  at::Tensor tensor = at::empty(shape, Options(args, 3));
  return tensor.normal_(args.number(1, "mean"), args.number(2, "std"),
                        args.generator(4, "generator"));
}

at::Tensor Randint(const Args& args) {
  std::vector<int64_t> shape = args.intList(2, "shape");
  CheckedNumel(args, shape);
  return at::randint(args.integer(0, "low"), args.integer(1, "high"), shape,
                     args.generator(3, "generator"), at::TensorOptions().dtype(at::kLong));
}

at::Tensor Randperm(const Args& args) {
  int64_t n = args.integer(0, "n");
  return at::randperm(n, args.generator(1, "generator"), at::TensorOptions().dtype(at::kLong));
}

at::Tensor Bernoulli(const Args& args) {
  return at::bernoulli(args.tensor(0, "probabilities"), args.generator(1, "generator"));
}

std::vector<int64_t> Shape(const Args& args) { return args.tensor(0, "self").sizes().vec(); }
std::vector<int64_t> Strides(const Args& args) { return args.tensor(0, "self").strides().vec(); }

std::string Dtype(const Args& args) { return DtypeName(args.tensor(0, "self").scalar_type()); }
std::string Device(const Args& args) { return args.tensor(0, "self").device().str(); }

bool IsContiguous(const Args& args) {
  return args.tensor(0, "self").is_contiguous(args.memoryFormat(1, "memoryFormat"));
}

at::Tensor Contiguous(const Args& args) {
  return args.tensor(0, "self").contiguous(args.memoryFormat(1, "memoryFormat"));
}

// toMemoryFormat(self, format) lays self out in `format` as torch.Tensor.to(memory_format=)
// does: unlike contiguous(), it also rewrites the strides of a tensor that is dense in both
// formats (a size-1 channel dimension), so libtorch picks the same kernels for it.
at::Tensor ToMemoryFormat(const Args& args) {
  const at::Tensor& self = args.tensor(0, "self");
  return self.to(self.options(), /*non_blocking=*/false, /*copy=*/false,
                 args.memoryFormat(1, "memoryFormat"));
}

at::Tensor Clone(const Args& args) {
  at::MemoryFormat format =
      args.has(1) ? args.memoryFormat(1, "memoryFormat") : at::MemoryFormat::Preserve;
  return args.tensor(0, "self").clone(format);
}

at::Tensor ToDtype(const Args& args) {
  return args.tensor(0, "self").to(args.dtype(1, "dtype"));
}

at::Tensor ToDevice(const Args& args) {
  return args.tensor(0, "self").to(args.device(1, "device"));
}

at::Tensor Reshape(const Args& args) {
  return args.tensor(0, "self").reshape(args.intList(1, "shape"));
}

at::Tensor View(const Args& args) { return args.tensor(0, "self").view(args.intList(1, "shape")); }

at::Tensor Permute(const Args& args) {
  return args.tensor(0, "self").permute(args.intList(1, "dims"));
}

at::Tensor Transpose(const Args& args) {
  return args.tensor(0, "self").transpose(args.integer(1, "dim0"), args.integer(2, "dim1"));
}

at::Tensor Flatten(const Args& args) {
  return args.tensor(0, "self").flatten(args.integer(1, "startDim"), args.integer(2, "endDim"));
}

at::Tensor Unsqueeze(const Args& args) {
  return args.tensor(0, "self").unsqueeze(args.integer(1, "dim"));
}

at::Tensor Squeeze(const Args& args) {
  const at::Tensor& self = args.tensor(0, "self");
  if (!args.has(1)) return self.squeeze();
  return self.squeeze(args.integer(1, "dim"));
}

at::Tensor Expand(const Args& args) {
  return args.tensor(0, "self").expand(args.intList(1, "shape"));
}

at::Tensor Narrow(const Args& args) {
  return args.tensor(0, "self").narrow(args.integer(1, "dim"), args.integer(2, "start"),
                                       args.integer(3, "length"));
}

at::Tensor Slice(const Args& args) {
  return args.tensor(0, "self").slice(args.integer(1, "dim"), args.optionalInteger(2, "start"),
                                      args.optionalInteger(3, "end"),
                                      args.optionalInteger(4, "step").value_or(1));
}

at::Tensor Select(const Args& args) {
  return args.tensor(0, "self").select(args.integer(1, "dim"), args.integer(2, "index"));
}

at::Tensor IndexSelect(const Args& args) {
  return args.tensor(0, "self").index_select(args.integer(1, "dim"), args.tensor(2, "index"));
}

at::Tensor Gather(const Args& args) {
  return args.tensor(0, "self").gather(args.integer(1, "dim"), args.tensor(2, "index"));
}

at::Tensor Cat(const Args& args) {
  return at::cat(args.tensorList(0, "tensors"), args.integer(1, "dim"));
}

at::Tensor Stack(const Args& args) {
  return at::stack(args.tensorList(0, "tensors"), args.integer(1, "dim"));
}

at::Tensor OneHot(const Args& args) {
  return at::one_hot(args.tensor(0, "self"), args.integer(1, "numClasses"));
}

at::Tensor Where(const Args& args) {
  return at::where(args.tensor(0, "condition"), args.tensor(1, "self"), args.tensor(2, "other"));
}

// copy_(destination, source) copies in place; the caller keeps its destination handle.
void Copy(const Args& args) {
  at::Tensor destination = args.tensor(0, "self");
  destination.copy_(args.tensor(1, "source"));
}

void Fill(const Args& args) {
  at::Tensor destination = args.tensor(0, "self");
  destination.fill_(args.scalar(1, "value"));
}

}  // namespace

void RegisterTensorOps(Napi::Env env, Napi::Object exports) {
  Bind(env, exports, "fromTypedArray", FromTypedArray);
  Bind(env, exports, "bytesToFloat", BytesToFloat);
  Bind(env, exports, "toTypedArray", ToTypedArray);
  Bind(env, exports, "item", Item);
  Bind(env, exports, "full", Full);
  Bind(env, exports, "zerosLike", ZerosLike);
  Bind(env, exports, "arange", Arange);
  Bind(env, exports, "uniform", Uniform);
  Bind(env, exports, "normal", Normal);
  Bind(env, exports, "randint", Randint);
  Bind(env, exports, "randperm", Randperm);
  Bind(env, exports, "bernoulli", Bernoulli);
  Bind(env, exports, "shape", Shape);
  Bind(env, exports, "strides", Strides);
  Bind(env, exports, "dtype", Dtype);
  Bind(env, exports, "device", Device);
  Bind(env, exports, "isContiguous", IsContiguous);
  Bind(env, exports, "contiguous", Contiguous);
  Bind(env, exports, "toMemoryFormat", ToMemoryFormat);
  Bind(env, exports, "clone", Clone);
  Bind(env, exports, "toDtype", ToDtype);
  Bind(env, exports, "toDevice", ToDevice);
  Bind(env, exports, "reshape", Reshape);
  Bind(env, exports, "view", View);
  Bind(env, exports, "permute", Permute);
  Bind(env, exports, "transpose", Transpose);
  Bind(env, exports, "flatten", Flatten);
  Bind(env, exports, "unsqueeze", Unsqueeze);
  Bind(env, exports, "squeeze", Squeeze);
  Bind(env, exports, "expand", Expand);
  Bind(env, exports, "narrow", Narrow);
  Bind(env, exports, "slice", Slice);
  Bind(env, exports, "select", Select);
  Bind(env, exports, "indexSelect", IndexSelect);
  Bind(env, exports, "gather", Gather);
  Bind(env, exports, "cat", Cat);
  Bind(env, exports, "stack", Stack);
  Bind(env, exports, "oneHot", OneHot);
  Bind(env, exports, "where", Where);
  Bind(env, exports, "copy_", Copy);
  Bind(env, exports, "fill_", Fill);
}

}  // namespace isbe
