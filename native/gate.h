// The exception gate and argument readers shared by every bound function.
//
// Every entry point runs its body through Guarded(): a c10::Error or std::exception becomes a
// JS TorchError carrying the op name, the shapes of the tensor arguments and libtorch's
// message. Arguments are validated before libtorch sees them, so a wrong JS type is a
// TypeError and never reaches native code.
#pragma once

#include <ATen/ATen.h>
#include <napi.h>

#include <string>
#include <type_traits>
#include <vector>

#include "handle.h"

namespace isbe {

// Reads and validates the arguments of one call; each failed check throws a JS TypeError
// that names the op and the argument.
class Args {
 public:
  Args(const Napi::CallbackInfo& info, const char* op) : info_(info), op_(op) {}

  Napi::Env env() const { return info_.Env(); }
  size_t size() const { return info_.Length(); }
  bool has(size_t i) const;
  bool isNumber(size_t i) const { return has(i) && info_[i].IsNumber(); }
  bool isTensor(size_t i) const;

  const at::Tensor& tensor(size_t i, const char* name) const;
  c10::optional<at::Tensor> optionalTensor(size_t i, const char* name) const;
  std::vector<at::Tensor> tensorList(size_t i, const char* name) const;
  int64_t integer(size_t i, const char* name) const;
  c10::optional<int64_t> optionalInteger(size_t i, const char* name) const;
  double number(size_t i, const char* name) const;
  c10::optional<double> optionalNumber(size_t i, const char* name) const;
  bool boolean(size_t i, const char* name) const;
  std::string string(size_t i, const char* name) const;
  std::vector<int64_t> intList(size_t i, const char* name) const;
  c10::optional<std::vector<int64_t>> optionalIntList(size_t i, const char* name) const;
  at::Scalar scalar(size_t i, const char* name) const;
  at::ScalarType dtype(size_t i, const char* name) const;
  c10::optional<at::ScalarType> optionalDtype(size_t i, const char* name) const;
  at::MemoryFormat memoryFormat(size_t i, const char* name) const;
  at::Device device(size_t i, const char* name) const;
  c10::optional<at::Generator> generator(size_t i, const char* name) const;
  Napi::Value value(size_t i) const { return info_[i]; }

  [[noreturn]] void typeError(size_t i, const char* name, const char* expected) const;
  [[noreturn]] void rangeError(const std::string& message) const;
  [[noreturn]] void disposedError(const char* name) const;

 private:
  const Napi::CallbackInfo& info_;
  const char* op_;
};

// Canonical dtype names shared with the TypeScript side.
const char* DtypeName(at::ScalarType type);

// Returns a tensor's shape and dtype as text, such as "[2, 3] float32".
std::string ShapeText(const at::Tensor& tensor);
c10::optional<at::ScalarType> DtypeFromName(const std::string& name);

Napi::Value ToJs(Napi::Env env, const at::Tensor& tensor);
Napi::Value ToJs(Napi::Env env, const std::vector<at::Tensor>& tensors);
Napi::Value ToJs(Napi::Env env, const std::vector<int64_t>& values);
inline Napi::Value ToJs(Napi::Env env, double value) { return Napi::Number::New(env, value); }
inline Napi::Value ToJs(Napi::Env env, bool value) { return Napi::Boolean::New(env, value); }
inline Napi::Value ToJs(Napi::Env env, const std::string& s) { return Napi::String::New(env, s); }
inline Napi::Value ToJs(Napi::Env, Napi::Value value) { return value; }

// Builds and throws the JS TorchError for a libtorch failure inside `op`.
[[noreturn]] void ThrowTorchError(const Napi::CallbackInfo& info, const char* op,
                                  const std::string& message);

// Runs `body`, turning every C++ exception except a pending JS one into a TorchError.
template <typename Body>
Napi::Value Guarded(const Napi::CallbackInfo& info, const char* op, Body&& body) {
  try {
    using Result = decltype(body());
    if constexpr (std::is_void_v<Result>) {
      body();
      return info.Env().Undefined();
    } else {
      return ToJs(info.Env(), body());
    }
  } catch (const Napi::Error&) {
    throw;
  } catch (const c10::Error& error) {
    ThrowTorchError(info, op, error.what_without_backtrace());
  } catch (const std::exception& error) {
    ThrowTorchError(info, op, error.what());
  }
}

// Registers `body`, a callable taking `const Args&`, as the JS function `name`.
template <typename Body>
void Bind(Napi::Env env, Napi::Object exports, const char* name, Body body) {
  auto callback = [name, body](const Napi::CallbackInfo& info) -> Napi::Value {
    return Guarded(info, name, [&] { return body(Args(info, name)); });
  };
  exports.Set(name, Napi::Function::New(env, callback, name));
}

// The per-file registration functions, called once from the module's Init.
void RegisterTensorOps(Napi::Env env, Napi::Object exports);
void RegisterMathOps(Napi::Env env, Napi::Object exports);
void RegisterNnOps(Napi::Env env, Napi::Object exports);
void RegisterTrainingOps(Napi::Env env, Napi::Object exports);
void RegisterProfilerOps(Napi::Env env, Napi::Object exports);
void RegisterWinogradOps(Napi::Env env, Napi::Object exports);
void RegisterFlattenOps(Napi::Env env, Napi::Object exports);

}  // namespace isbe
