#include "gate.h"

#include <cmath>
#include <sstream>

namespace isbe {
namespace {

constexpr double kMaxSafeInteger = 9007199254740991.0;  // 2^53 - 1

struct DtypeEntry {
  const char* name;
  at::ScalarType type;
};

constexpr DtypeEntry kDtypes[] = {
    {"float32", at::kFloat}, {"float64", at::kDouble}, {"bfloat16", at::kBFloat16},
    {"float16", at::kHalf},  {"int64", at::kLong},     {"int32", at::kInt},
    {"uint8", at::kByte},    {"int8", at::kChar},      {"bool", at::kBool},
};

// Describes a JS value for a TypeError message: its type, and its text when short.
std::string Describe(Napi::Value value) {
  if (value.IsUndefined()) return "undefined";
  if (value.IsNull()) return "null";
  if (value.IsNumber()) {
    std::ostringstream text;
    text << "the number " << value.As<Napi::Number>().DoubleValue();
    return text.str();
  }
  if (value.IsString()) return "a string";
  if (value.IsBoolean()) return "a boolean";
  if (value.IsArray()) return "an array";
  if (value.IsTypedArray()) return "a typed array";
  if (value.IsFunction()) return "a function";
  if (TensorHandle::FromValue(value) != nullptr) return "a Tensor";
  return "an object";
}

// Shapes of the live tensor arguments of a call, arrays of tensors included.
Napi::Array ArgumentShapes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array shapes = Napi::Array::New(env);
  uint32_t count = 0;
  auto add = [&](Napi::Value value) {
    TensorHandle* handle = TensorHandle::FromValue(value);
    if (handle != nullptr && !handle->disposed()) {
      shapes.Set(count++, ShapeText(handle->tensor()));
    }
  };
  for (size_t i = 0; i < info.Length(); ++i) {
    if (!info[i].IsArray()) {
      add(info[i]);
      continue;
    }
    Napi::Array list = info[i].As<Napi::Array>();
    for (uint32_t j = 0; j < list.Length(); ++j) add(list.Get(j));
  }
  return shapes;
}

// Throws the TypeError for an array argument whose element `index` has the wrong type,
// naming that element, because "got an array" alone does not say what is wrong.
[[noreturn]] void ThrowElementTypeError(Napi::Env env, const char* op, const char* name,
                                        const char* expected, uint32_t index,
                                        Napi::Value element) {
  std::string message = std::string(op) + ": argument '" + name + "' must be " + expected +
                        ", but element " + std::to_string(index) + " is " + Describe(element);
  throw Napi::TypeError::New(env, message);
}

}  // namespace

std::string ShapeText(const at::Tensor& tensor) {
  std::ostringstream text;
  text << "[";
  for (int64_t d = 0; d < tensor.dim(); ++d) text << (d ? ", " : "") << tensor.size(d);
  text << "] " << DtypeName(tensor.scalar_type());
  return text.str();
}

const char* DtypeName(at::ScalarType type) {
  for (const auto& entry : kDtypes) {
    if (entry.type == type) return entry.name;
  }
  return c10::toString(type);
}

c10::optional<at::ScalarType> DtypeFromName(const std::string& name) {
  for (const auto& entry : kDtypes) {
    if (name == entry.name) return entry.type;
  }
  return c10::nullopt;
}

void ThrowTorchError(const Napi::CallbackInfo& info, const char* op,
                     const std::string& message) {
  Napi::Env env = info.Env();
  Napi::Value error = GetAddonData(env).torchErrorClass.New(
      {Napi::String::New(env, op), Napi::String::New(env, message), ArgumentShapes(info)});
  throw Napi::Error(env, error);
}

bool Args::has(size_t i) const {
  return i < info_.Length() && !info_[i].IsUndefined() && !info_[i].IsNull();
}

bool Args::isTensor(size_t i) const {
  return i < info_.Length() && TensorHandle::FromValue(info_[i]) != nullptr;
}

void Args::typeError(size_t i, const char* name, const char* expected) const {
  std::string got = i < info_.Length() ? Describe(info_[i]) : "nothing";
  std::string message = std::string(op_) + ": argument '" + name + "' must be " + expected +
                        ", got " + got;
  throw Napi::TypeError::New(env(), message);
}

void Args::disposedError(const char* name) const {
  Napi::Value error = GetAddonData(env()).disposedErrorClass.New(
      {Napi::String::New(env(), op_), Napi::String::New(env(), name)});
  throw Napi::Error(env(), error);
}

void Args::rangeError(const std::string& message) const {
  throw Napi::RangeError::New(env(), std::string(op_) + ": " + message);
}

const at::Tensor& Args::tensor(size_t i, const char* name) const {
  TensorHandle* handle = i < info_.Length() ? TensorHandle::FromValue(info_[i]) : nullptr;
  if (handle == nullptr) typeError(i, name, "a Tensor");
  if (handle->disposed()) disposedError(name);
  return handle->tensor();
}

c10::optional<at::Tensor> Args::optionalTensor(size_t i, const char* name) const {
  if (!has(i)) return c10::nullopt;
  return tensor(i, name);
}

std::vector<at::Tensor> Args::tensorList(size_t i, const char* name) const {
  if (!has(i) || !info_[i].IsArray()) typeError(i, name, "an array of Tensors");
  Napi::Array list = info_[i].As<Napi::Array>();
  std::vector<at::Tensor> tensors;
  tensors.reserve(list.Length());
  for (uint32_t j = 0; j < list.Length(); ++j) {
    Napi::Value item = list.Get(j);
    TensorHandle* handle = TensorHandle::FromValue(item);
    if (handle == nullptr) ThrowElementTypeError(env(), op_, name, "an array of Tensors", j, item);
    if (handle->disposed()) disposedError(name);
    tensors.push_back(handle->tensor());
  }
  return tensors;
}

int64_t Args::integer(size_t i, const char* name) const {
  if (!isNumber(i)) typeError(i, name, "an integer");
  double value = info_[i].As<Napi::Number>().DoubleValue();
  if (!std::isfinite(value) || std::trunc(value) != value ||
      std::fabs(value) > kMaxSafeInteger) {
    typeError(i, name, "an integer");
  }
  return static_cast<int64_t>(value);
}

c10::optional<int64_t> Args::optionalInteger(size_t i, const char* name) const {
  if (!has(i)) return c10::nullopt;
  return integer(i, name);
}

double Args::number(size_t i, const char* name) const {
  if (!isNumber(i)) typeError(i, name, "a number");
  return info_[i].As<Napi::Number>().DoubleValue();
}

c10::optional<double> Args::optionalNumber(size_t i, const char* name) const {
  if (!has(i)) return c10::nullopt;
  return number(i, name);
}

bool Args::boolean(size_t i, const char* name) const {
  if (i >= info_.Length() || !info_[i].IsBoolean()) typeError(i, name, "a boolean");
  return info_[i].As<Napi::Boolean>().Value();
}

std::string Args::string(size_t i, const char* name) const {
  if (i >= info_.Length() || !info_[i].IsString()) typeError(i, name, "a string");
  return info_[i].As<Napi::String>().Utf8Value();
}

std::vector<int64_t> Args::intList(size_t i, const char* name) const {
  if (!has(i) || !info_[i].IsArray()) typeError(i, name, "an array of integers");
  Napi::Array list = info_[i].As<Napi::Array>();
  std::vector<int64_t> values;
  values.reserve(list.Length());
  for (uint32_t j = 0; j < list.Length(); ++j) {
    Napi::Value item = list.Get(j);
    double value = item.IsNumber() ? item.As<Napi::Number>().DoubleValue() : NAN;
    if (!std::isfinite(value) || std::trunc(value) != value ||
        std::fabs(value) > kMaxSafeInteger) {
      ThrowElementTypeError(env(), op_, name, "an array of integers", j, item);
    }
    values.push_back(static_cast<int64_t>(value));
  }
  return values;
}

c10::optional<std::vector<int64_t>> Args::optionalIntList(size_t i, const char* name) const {
  if (!has(i)) return c10::nullopt;
  return intList(i, name);
}

at::Scalar Args::scalar(size_t i, const char* name) const {
  if (i < info_.Length() && info_[i].IsBoolean()) return at::Scalar(boolean(i, name));
  double value = number(i, name);
  bool integral = std::isfinite(value) && std::trunc(value) == value &&
                  std::fabs(value) <= kMaxSafeInteger;
  if (integral) return at::Scalar(static_cast<int64_t>(value));
  return at::Scalar(value);
}

at::ScalarType Args::dtype(size_t i, const char* name) const {
  if (i >= info_.Length() || !info_[i].IsString()) typeError(i, name, "a dtype name");
  std::string text = info_[i].As<Napi::String>().Utf8Value();
  c10::optional<at::ScalarType> type = DtypeFromName(text);
  if (!type) {
    rangeError("unknown dtype '" + text +
               "'; expected float32, float64, bfloat16, float16, int64, int32, uint8, int8 "
               "or bool");
  }
  return *type;
}

c10::optional<at::ScalarType> Args::optionalDtype(size_t i, const char* name) const {
  if (!has(i)) return c10::nullopt;
  return dtype(i, name);
}

at::MemoryFormat Args::memoryFormat(size_t i, const char* name) const {
  std::string text = string(i, name);
  if (text == "contiguous") return at::MemoryFormat::Contiguous;
  if (text == "channelsLast") return at::MemoryFormat::ChannelsLast;
  if (text == "preserve") return at::MemoryFormat::Preserve;
  rangeError("unknown memory format '" + text +
             "'; expected contiguous, channelsLast or preserve");
}

at::Device Args::device(size_t i, const char* name) const {
  std::string text = string(i, name);
  try {
    return at::Device(text);
  } catch (const c10::Error&) {
    rangeError("invalid device '" + text + "'; expected cpu, cuda or cuda:N");
  }
}

c10::optional<at::Generator> Args::generator(size_t i, const char* name) const {
  if (!has(i)) return c10::nullopt;
  GeneratorHandle* handle = GeneratorHandle::FromValue(info_[i]);
  if (handle == nullptr) typeError(i, name, "a Generator");
  return handle->generator();
}

Napi::Value ToJs(Napi::Env env, const at::Tensor& tensor) {
  if (!tensor.defined()) return env.Undefined();
  return TensorHandle::Wrap(env, tensor);
}

Napi::Value ToJs(Napi::Env env, const std::vector<at::Tensor>& tensors) {
  Napi::Array list = Napi::Array::New(env, tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    list.Set(static_cast<uint32_t>(i), ToJs(env, tensors[i]));
  }
  return list;
}

Napi::Value ToJs(Napi::Env env, const std::vector<int64_t>& values) {
  Napi::Array list = Napi::Array::New(env, values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    list.Set(static_cast<uint32_t>(i), Napi::Number::New(env, static_cast<double>(values[i])));
  }
  return list;
}

}  // namespace isbe
