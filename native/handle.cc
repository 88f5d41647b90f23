#include "handle.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/Tensor.h>

#include <atomic>
#include <cstring>

#include "gate.h"

namespace isbe {
namespace {

std::atomic<int64_t> liveTensors{0};

// Bytes created or freed since V8 was last told. Telling V8 costs more than a small op,
// so changes are passed on in steps of at least kReportStep bytes.
int64_t unreportedBytes = 0;
constexpr int64_t kReportStep = 1 << 20;

void ReportExternalBytes(Napi::Env env, int64_t delta) {
  unreportedBytes += delta;
  if (unreportedBytes < kReportStep && unreportedBytes > -kReportStep) return;
  Napi::MemoryManagement::AdjustExternalMemory(env, unreportedBytes);
  unreportedBytes = 0;
}

// Bytes this handle makes V8 account for. Views share storage, so the figure is an upper
// bound; it only steers the garbage collector's pace.
int64_t ExternalBytes(const at::Tensor& tensor) {
  if (!tensor.defined() || !tensor.has_storage()) return 0;
  return static_cast<int64_t>(tensor.numel() * tensor.element_size());
}

}  // namespace

AddonData& GetAddonData(Napi::Env env) { return *env.GetInstanceData<AddonData>(); }

Napi::Function TensorHandle::Define(Napi::Env env) {
  return DefineClass(env, "NativeTensor",
                     {
                         InstanceMethod<&TensorHandle::Dispose>("dispose"),
                         InstanceMethod<&TensorHandle::IsDisposed>("isDisposed"),
                     });
}

Napi::Object TensorHandle::Wrap(Napi::Env env, at::Tensor tensor) {
  Napi::Object object = GetAddonData(env).tensorClass.New({});
  Unwrap(object)->Reset(std::move(tensor));
  return object;
}

TensorHandle* TensorHandle::FromValue(Napi::Value value) {
  if (!value.IsObject()) return nullptr;
  Napi::Object object = value.As<Napi::Object>();
  if (!object.InstanceOf(GetAddonData(value.Env()).tensorClass.Value())) return nullptr;
  return Unwrap(object);
}

int64_t TensorHandle::LiveCount() { return liveTensors.load(); }

TensorHandle::TensorHandle(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<TensorHandle>(info) {}

TensorHandle::~TensorHandle() { Release(); }

void TensorHandle::Reset(at::Tensor tensor) {
  Release();
  if (!tensor.defined()) return;
  tensor_ = std::move(tensor);
  liveTensors.fetch_add(1);
  reportedBytes_ = ExternalBytes(tensor_);
  ReportExternalBytes(Env(), reportedBytes_);
}

void TensorHandle::Release() {
  if (!tensor_.defined()) return;
  tensor_.reset();
  liveTensors.fetch_sub(1);
  ReportExternalBytes(Env(), -reportedBytes_);
  reportedBytes_ = 0;
}

Napi::Value TensorHandle::Dispose(const Napi::CallbackInfo& info) {
  Release();
  return info.Env().Undefined();
}

Napi::Value TensorHandle::IsDisposed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), disposed());
}

Napi::Function GeneratorHandle::Define(Napi::Env env) {
  return DefineClass(env, "NativeGenerator",
                     {
                         InstanceMethod<&GeneratorHandle::ManualSeed>("manualSeed"),
                         InstanceMethod<&GeneratorHandle::InitialSeed>("initialSeed"),
                         InstanceMethod<&GeneratorHandle::GetState>("getState"),
                         InstanceMethod<&GeneratorHandle::SetState>("setState"),
                     });
}

GeneratorHandle* GeneratorHandle::FromValue(Napi::Value value) {
  if (!value.IsObject()) return nullptr;
  Napi::Object object = value.As<Napi::Object>();
  if (!object.InstanceOf(GetAddonData(value.Env()).generatorClass.Value())) return nullptr;
  return Unwrap(object);
}

// new NativeGenerator(seed: number)
GeneratorHandle::GeneratorHandle(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<GeneratorHandle>(info) {
  Args args(info, "Generator");
  auto seed = static_cast<uint64_t>(args.integer(0, "seed"));
  generator_ = at::make_generator<at::CPUGeneratorImpl>(seed);
}

Napi::Value GeneratorHandle::ManualSeed(const Napi::CallbackInfo& info) {
  Args args(info, "Generator.manualSeed");
  int64_t seed = args.integer(0, "seed");
  std::lock_guard<std::mutex> lock(generator_.mutex());
  generator_.set_current_seed(static_cast<uint64_t>(seed));
  return info.Env().Undefined();
}

Napi::Value GeneratorHandle::InitialSeed(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(generator_.current_seed()));
}

// Returns the generator state as bytes, the same bytes as torch.Generator.get_state().
Napi::Value GeneratorHandle::GetState(const Napi::CallbackInfo& info) {
  return Guarded(info, "Generator.getState", [&] {
    std::lock_guard<std::mutex> lock(generator_.mutex());
    at::Tensor state = generator_.get_state();
    auto buffer = Napi::Buffer<uint8_t>::New(info.Env(), state.numel());
    std::memcpy(buffer.Data(), state.data_ptr<uint8_t>(), state.numel());
    return Napi::Value(buffer);
  });
}

Napi::Value GeneratorHandle::SetState(const Napi::CallbackInfo& info) {
  return Guarded(info, "Generator.setState", [&] {
    if (!info[0].IsTypedArray() ||
        info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
      Args(info, "Generator.setState").typeError(0, "state", "a Uint8Array");
    }
    auto bytes = info[0].As<Napi::Uint8Array>();
    at::Tensor state = at::empty({static_cast<int64_t>(bytes.ElementLength())}, at::kByte);
    std::memcpy(state.data_ptr<uint8_t>(), bytes.Data(), bytes.ElementLength());
    std::lock_guard<std::mutex> lock(generator_.mutex());
    generator_.set_state(state);
  });
}

}  // namespace isbe
