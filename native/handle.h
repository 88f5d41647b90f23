// JS objects that own libtorch values: a tensor handle and a random generator handle.
#pragma once

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>
#include <napi.h>

#include <cstdint>

namespace isbe {

// A JS object owning one at::Tensor. The tensor is released by dispose() or, as a safety
// net, by the garbage collector; both update the live count and V8's external memory.
class TensorHandle : public Napi::ObjectWrap<TensorHandle> {
 public:
  static Napi::Function Define(Napi::Env env);
  static Napi::Object Wrap(Napi::Env env, at::Tensor tensor);
  static TensorHandle* FromValue(Napi::Value value);
  static int64_t LiveCount();

  explicit TensorHandle(const Napi::CallbackInfo& info);
  ~TensorHandle() override;

  bool disposed() const { return !tensor_.defined(); }
  const at::Tensor& tensor() const { return tensor_; }
  void Reset(at::Tensor tensor);
  void Release();

 private:
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  Napi::Value IsDisposed(const Napi::CallbackInfo& info);

  at::Tensor tensor_;
  int64_t reportedBytes_ = 0;
};

// A JS object owning one CPU random generator (mt19937, as torch.Generator).
class GeneratorHandle : public Napi::ObjectWrap<GeneratorHandle> {
 public:
  static Napi::Function Define(Napi::Env env);
  static GeneratorHandle* FromValue(Napi::Value value);

  explicit GeneratorHandle(const Napi::CallbackInfo& info);

  at::Generator& generator() { return generator_; }

 private:
  Napi::Value ManualSeed(const Napi::CallbackInfo& info);
  Napi::Value InitialSeed(const Napi::CallbackInfo& info);
  Napi::Value GetState(const Napi::CallbackInfo& info);
  Napi::Value SetState(const Napi::CallbackInfo& info);

  at::Generator generator_;
};

// Constructors and error classes that the addon keeps between calls.
struct AddonData {
  Napi::FunctionReference tensorClass;
  Napi::FunctionReference generatorClass;
  Napi::FunctionReference torchErrorClass;
  Napi::FunctionReference disposedErrorClass;
};

AddonData& GetAddonData(Napi::Env env);

}  // namespace isbe
