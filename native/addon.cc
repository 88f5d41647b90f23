// Entry point of the native addon: registers the handle classes and every bound function.
//
// This file and the other files in native/ are the only code that includes libtorch. The
// TypeScript side calls setErrorClasses() once after loading, so that native failures
// arrive as instances of its TorchError and DisposedTensorError classes.
#include <torch/csrc/api/include/torch/version.h>

#include "allocator.h"
#include "gate.h"
#include "handle.h"

#if TORCH_VERSION_MAJOR != 1 || TORCH_VERSION_MINOR != 13
#error "isbe's native addon needs libtorch 1.13; set LIBTORCH to a libtorch 1.13 folder"
#endif

namespace isbe {
namespace {

// setErrorClasses(TorchError, DisposedTensorError): constructors the gate throws.
Napi::Value SetErrorClasses(const Napi::CallbackInfo& info) {
  if (info.Length() < 2 || !info[0].IsFunction() || !info[1].IsFunction()) {
    throw Napi::TypeError::New(info.Env(), "setErrorClasses: expected two constructors");
  }
  AddonData& data = GetAddonData(info.Env());
  data.torchErrorClass = Napi::Persistent(info[0].As<Napi::Function>());
  data.disposedErrorClass = Napi::Persistent(info[1].As<Napi::Function>());
  return info.Env().Undefined();
}

// Until the TS side registers its classes, native failures are plain Errors.
Napi::Function PlainErrorClass(Napi::Env env) {
  return Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    std::string text;
    for (size_t i = 0; i < info.Length() && i < 2; ++i) {
      if (info[i].IsString()) text += (text.empty() ? "" : ": ") + info[i].As<Napi::String>().Utf8Value();
    }
    return Napi::Error::New(info.Env(), text).Value();
  });
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  InstallCachingAllocator();
  auto* data = new AddonData();
  env.SetInstanceData(data);
  Napi::Function tensorClass = TensorHandle::Define(env);
  Napi::Function generatorClass = GeneratorHandle::Define(env);
  data->tensorClass = Napi::Persistent(tensorClass);
  data->generatorClass = Napi::Persistent(generatorClass);
  data->torchErrorClass = Napi::Persistent(PlainErrorClass(env));
  data->disposedErrorClass = Napi::Persistent(PlainErrorClass(env));
  exports.Set("NativeTensor", tensorClass);
  exports.Set("NativeGenerator", generatorClass);
  exports.Set("setErrorClasses", Napi::Function::New(env, SetErrorClasses, "setErrorClasses"));
  RegisterTensorOps(env, exports);
  RegisterMathOps(env, exports);
  RegisterNnOps(env, exports);
  RegisterTrainingOps(env, exports);
  RegisterProfilerOps(env, exports);
  RegisterWinogradOps(env, exports);
  RegisterFlattenOps(env, exports);
  return exports;
}

}  // namespace
}  // namespace isbe

// NODE_API_MODULE pastes its second argument into a name, so it needs an unqualified one.
static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) {
  return isbe::Init(env, exports);
}

NODE_API_MODULE(isbe, InitAddon)
