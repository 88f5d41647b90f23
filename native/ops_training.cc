// Autograd, grad modes, optimiser updates, bf16 autocast and runtime settings.
#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <ATen/autocast_mode.h>
#include <ATen/core/grad_mode.h>
#include <c10/core/InferenceMode.h>
#include <torch/csrc/api/include/torch/version.h>

#include <malloc.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include <atomic>
#include <cmath>
#include <initializer_list>
#include <memory>
#include <thread>

#include "allocator.h"
#include "gate.h"

namespace isbe {
namespace {

// backward(self, gradient?, retainGraph): accumulates gradients into the leaves.
void Backward(const Args& args) {
  const at::Tensor& self = args.tensor(0, "self");
  c10::optional<at::Tensor> gradient = args.optionalTensor(1, "gradient");
  bool retain = args.has(2) && args.boolean(2, "retainGraph");
  self.backward(gradient.value_or(at::Tensor()), retain);
}

at::Tensor Grad(const Args& args) { return args.tensor(0, "self").grad(); }

void SetGrad(const Args& args) {
  at::Tensor self = args.tensor(0, "self");
  c10::optional<at::Tensor> gradient = args.optionalTensor(1, "gradient");
  self.mutable_grad() = gradient.value_or(at::Tensor());
}

bool RequiresGrad(const Args& args) { return args.tensor(0, "self").requires_grad(); }

void SetRequiresGrad(const Args& args) {
  at::Tensor self = args.tensor(0, "self");
  self.requires_grad_(args.boolean(1, "requiresGrad"));
}

bool IsLeaf(const Args& args) { return args.tensor(0, "self").is_leaf(); }

at::Tensor Detach(const Args& args) { return args.tensor(0, "self").detach(); }

// setData(self, source) makes self use source's data, keeping its identity for autograd
// and optimisers, as `param.data = source` in PyTorch.
void SetData(const Args& args) {
  at::Tensor self = args.tensor(0, "self");
  self.set_data(args.tensor(1, "source"));
}

// setGradEnabled(enabled) returns the previous setting, so scopes can restore it.
bool SetGradEnabled(const Args& args) {
  bool previous = at::GradMode::is_enabled();
  at::GradMode::set_enabled(args.boolean(0, "enabled"));
  return previous;
}

bool IsGradEnabled(const Args&) { return at::GradMode::is_enabled(); }

// Inference-mode guards opened from JS; the TS scope helper closes them in LIFO order.
std::vector<std::unique_ptr<c10::InferenceMode>> inferenceGuards;

void EnterInferenceMode(const Args&) {
  inferenceGuards.push_back(std::make_unique<c10::InferenceMode>());
}

void ExitInferenceMode(const Args& args) {
  if (inferenceGuards.empty()) args.rangeError("no inference-mode scope is open");
  inferenceGuards.pop_back();
}

bool IsInferenceMode(const Args&) { return c10::InferenceMode::is_enabled(); }

// setAutocast(enabled, dtype?) turns CPU autocast on or off and returns the previous state.
bool SetAutocast(const Args& args) {
  bool previous = at::autocast::is_cpu_enabled();
  bool enabled = args.boolean(0, "enabled");
  if (args.has(1)) at::autocast::set_autocast_cpu_dtype(args.dtype(1, "dtype"));
  at::autocast::set_cpu_enabled(enabled);
  if (!enabled) at::autocast::clear_cache();
  return previous;
}

// Whether every element of a dense float tensor is finite, in one pass over its memory.
template <typename T>
bool AllFinite(const T* data, int64_t n) {
  std::atomic<bool> finite{true};
  at::parallel_for(0, n, 1 << 16, [&](int64_t begin, int64_t end) {
    // x − x is 0 for every finite x and NaN for NaN and ±infinity; unlike std::isfinite,
    // the comparison vectorises.
    bool ok = true;
    for (int64_t i = begin; i < end; ++i) ok &= (data[i] - data[i] == T(0));
    if (!ok) finite = false;
  });
  return finite;
}

// gradsFinite(params): whether every existing gradient is free of NaN and infinity.
bool GradsFinite(const Args& args) {
  for (const at::Tensor& param : args.tensorList(0, "params")) {
    const at::Tensor& grad = param.grad();
    if (!grad.defined()) continue;
    bool dense = grad.device().is_cpu() && grad.is_non_overlapping_and_dense() &&
                 (grad.scalar_type() == at::kFloat || grad.scalar_type() == at::kDouble);
    bool finite = true;
    if (dense) {
      AT_DISPATCH_FLOATING_TYPES(grad.scalar_type(), "gradsFinite", [&] {
        finite = AllFinite(grad.data_ptr<scalar_t>(), grad.numel());
      });
    } else {
      finite = at::isfinite(grad).all().item<bool>();
    }
    if (!finite) return false;
  }
  return true;
}

// zeroGrad(params) drops every gradient, as optimizer.zero_grad(set_to_none=True).
void ZeroGrad(const Args& args) {
  for (at::Tensor param : args.tensorList(0, "params")) param.mutable_grad().reset();
}

void CheckSameLength(const Args& args, size_t expected, size_t actual, const char* name) {
  if (actual != expected) {
    args.rangeError(std::string(name) + " must have one tensor per parameter");
  }
}

// Hyper-parameters of one Adam update of one parameter.
struct AdamUpdate {
  double lr, beta1, beta2, eps, weightDecay, biasCorrection1, biasCorrection2Sqrt;
};

// Whether the fused loop may walk the four tensors as flat arrays: same dtype, same
// strides, dense, on the CPU.
bool FlatAndAligned(const at::Tensor& param, std::initializer_list<const at::Tensor*> others) {
  if (!param.device().is_cpu() || !param.is_non_overlapping_and_dense()) return false;
  for (const at::Tensor* other : others) {
    if (other->scalar_type() != param.scalar_type() || !other->strides().equals(param.strides()) ||
        !other->sizes().equals(param.sizes())) {
      return false;
    }
  }
  return param.scalar_type() == at::kFloat || param.scalar_type() == at::kDouble;
}

// One pass over memory instead of the eight of the op-by-op update. The arithmetic and its
// order follow PyTorch 1.13's single-tensor Adam, in the parameter's dtype. Returns whether
// every gradient element was finite, checked as it is read (see AllFinite).
template <typename T>
bool FusedAdam(T* p, const T* g, T* m, T* v, int64_t n, const AdamUpdate& u) {
  const T b1 = u.beta1, b2 = u.beta2, decay = u.weightDecay, eps = u.eps;
  const T c2 = u.biasCorrection2Sqrt, stepSize = u.lr / u.biasCorrection1;
  std::atomic<bool> finite{true};
  at::parallel_for(0, n, 1 << 14, [&](int64_t begin, int64_t end) {
    // Restrict-qualified local copies: through the closure's references the compiler must
    // assume that each store may change a pointer or a scalar, so it would not vectorise.
    T* __restrict__ params = p;
    const T* __restrict__ grads = g;
    T* __restrict__ avgs = m;
    T* __restrict__ avgSqs = v;
    const T beta1 = b1, beta2 = b2, weightDecay = decay, epsilon = eps, correction2 = c2;
    const T size = stepSize;
    int ok = 1;
    for (int64_t i = begin; i < end; ++i) {
      T gradient = grads[i];
      ok &= (gradient - gradient == T(0));
      if (weightDecay != T(0)) gradient += weightDecay * params[i];
      T avg = avgs[i] * beta1 + gradient * (T(1) - beta1);
      T avgSq = avgSqs[i] * beta2 + gradient * gradient * (T(1) - beta2);
      avgs[i] = avg;
      avgSqs[i] = avgSq;
      params[i] -= size * (avg / (std::sqrt(avgSq) / correction2 + epsilon));
    }
    if (!ok) finite = false;
  });
  return finite;
}

// Updates one parameter; returns whether its gradient was finite.
bool AdamOne(at::Tensor& param, at::Tensor grad, at::Tensor& expAvg, at::Tensor& expAvgSq,
             const AdamUpdate& u) {
  if (FlatAndAligned(param, {&grad, &expAvg, &expAvgSq})) {
    bool finite = true;
    AT_DISPATCH_FLOATING_TYPES(param.scalar_type(), "adamStep", [&] {
      finite = FusedAdam(param.data_ptr<scalar_t>(), grad.data_ptr<scalar_t>(),
                         expAvg.data_ptr<scalar_t>(), expAvgSq.data_ptr<scalar_t>(),
                         param.numel(), u);
    });
    return finite;
  }
  bool finite = at::isfinite(grad).all().item<bool>();
  if (u.weightDecay != 0) grad = grad.add(param, u.weightDecay);
  expAvg.mul_(u.beta1).add_(grad, 1 - u.beta1);
  expAvgSq.mul_(u.beta2).addcmul_(grad, grad, 1 - u.beta2);
  at::Tensor denominator = (expAvgSq.sqrt() / u.biasCorrection2Sqrt).add_(u.eps);
  param.addcdiv_(expAvg, denominator, -u.lr / u.biasCorrection1);
  return finite;
}

// adamStep(params, expAvgs, expAvgSqs, steps, lr, beta1, beta2, eps, weightDecay) applies
// one Adam update in place, as PyTorch 1.13's single-tensor Adam. As there, each parameter
// counts its own steps, and one without a gradient is skipped. Returns the new step counts
// and whether every gradient was free of NaN and infinity; when one was not, some
// parameters have already been updated with it.
Napi::Value AdamStep(const Args& args) {
  std::vector<at::Tensor> params = args.tensorList(0, "params");
  std::vector<at::Tensor> expAvgs = args.tensorList(1, "expAvgs");
  std::vector<at::Tensor> expAvgSqs = args.tensorList(2, "expAvgSqs");
  std::vector<int64_t> steps = args.intList(3, "steps");
  CheckSameLength(args, params.size(), expAvgs.size(), "expAvgs");
  CheckSameLength(args, params.size(), expAvgSqs.size(), "expAvgSqs");
  CheckSameLength(args, params.size(), steps.size(), "steps");
  AdamUpdate update{args.number(4, "lr"), args.number(5, "beta1"), args.number(6, "beta2"),
                    args.number(7, "eps"), args.number(8, "weightDecay"), 0, 0};
  at::NoGradGuard noGrad;
  bool finite = true;
  for (size_t i = 0; i < params.size(); ++i) {
    at::Tensor grad = params[i].grad();
    if (!grad.defined()) continue;
    if (steps[i] < 0) args.rangeError("steps must not be negative");
    double step = static_cast<double>(++steps[i]);
    update.biasCorrection1 = 1 - std::pow(update.beta1, step);
    update.biasCorrection2Sqrt = std::sqrt(1 - std::pow(update.beta2, step));
    finite &= AdamOne(params[i], grad, expAvgs[i], expAvgSqs[i], update);
  }
  Napi::Object result = Napi::Object::New(args.env());
  result.Set("steps", ToJs(args.env(), steps));
  result.Set("gradientsFinite", finite);
  return result;
}

// sgdStep(params, buffers, started, lr, momentum, dampening, weightDecay, nesterov)
// applies one SGD update in place, as PyTorch 1.13's SGD. started[i] is 1 once parameter
// i's momentum buffer holds a value; on its first step with a gradient the buffer takes
// the gradient itself, undamped. Without momentum, buffers may be empty. Returns the new
// started flags.
std::vector<int64_t> SgdStep(const Args& args) {
  std::vector<at::Tensor> params = args.tensorList(0, "params");
  std::vector<at::Tensor> buffers = args.tensorList(1, "buffers");
  std::vector<int64_t> started = args.intList(2, "started");
  double lr = args.number(3, "lr");
  double momentum = args.number(4, "momentum");
  double dampening = args.number(5, "dampening");
  double weightDecay = args.number(6, "weightDecay");
  bool nesterov = args.boolean(7, "nesterov");
  CheckSameLength(args, params.size(), started.size(), "started");
  if (momentum != 0) CheckSameLength(args, params.size(), buffers.size(), "buffers");
  at::NoGradGuard noGrad;
  for (size_t i = 0; i < params.size(); ++i) {
    at::Tensor direction = params[i].grad();
    if (!direction.defined()) continue;
    if (weightDecay != 0) direction = direction.add(params[i], weightDecay);
    if (momentum != 0) {
      if (started[i] == 0) {
        buffers[i].copy_(direction);
      } else {
        buffers[i].mul_(momentum).add_(direction, 1 - dampening);
      }
      direction = nesterov ? direction.add(buffers[i], momentum) : buffers[i];
    }
    started[i] = 1;
    params[i].add_(direction, -lr);
  }
  return started;
}

void SetNumThreads(const Args& args) {
  int64_t threads = args.integer(0, "threads");
  if (threads < 1 || threads > 1024) {
    args.rangeError("threads must be between 1 and 1024, got " + std::to_string(threads));
  }
  at::set_num_threads(static_cast<int>(threads));
#ifdef _OPENMP
  // The addon's own parallel loops run on the OpenMP runtime it was linked with. With
  // Debian's libtorch that is libtorch's runtime. A libtorch that bundles its own copy
  // would otherwise leave the addon's loops at the default thread count.
  omp_set_num_threads(static_cast<int>(threads));
#endif
}

double GetNumThreads(const Args&) { return at::get_num_threads(); }

void ManualSeed(const Args& args) {
  at::manual_seed(static_cast<uint64_t>(args.integer(0, "seed")));
}

// releaseFreeMemory() frees the tensor blocks kept for reuse (allocator.h) and hands the
// heap's free pages back to the operating system. Small long-lived blocks between large
// freed ones fragment the heap, so resident memory could creep up during long evaluations.
void ReleaseFreeMemory(const Args&) {
  EmptyTensorCache();
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}

double LiveTensorCount(const Args&) { return static_cast<double>(TensorHandle::LiveCount()); }

double CachedTensorBytesOf(const Args&) { return static_cast<double>(CachedTensorBytes()); }

// The libtorch version this addon was compiled against, and the one loaded at run time
// (parsed from at::show_config(), which the library itself reports).
Napi::Value VersionInfo(const Args& args) {
  Napi::Env env = args.env();
  Napi::Object info = Napi::Object::New(env);
  info.Set("compiled", TORCH_VERSION);
  std::string config = at::show_config();
  std::string key = "TORCH_VERSION=";
  size_t at = config.find(key);
  std::string loaded = "unknown";
  if (at != std::string::npos) {
    size_t end = config.find_first_of(", \n", at + key.size());
    loaded = config.substr(at + key.size(), end - at - key.size());
  }
  info.Set("loaded", loaded);
  info.Set("config", config);
  info.Set("hardwareConcurrency", std::thread::hardware_concurrency());
  return info;
}

}  // namespace

void RegisterTrainingOps(Napi::Env env, Napi::Object exports) {
  Bind(env, exports, "backward", Backward);
  Bind(env, exports, "grad", Grad);
  Bind(env, exports, "setGrad", SetGrad);
  Bind(env, exports, "requiresGrad", RequiresGrad);
  Bind(env, exports, "setRequiresGrad", SetRequiresGrad);
  Bind(env, exports, "isLeaf", IsLeaf);
  Bind(env, exports, "detach", Detach);
  Bind(env, exports, "setData", SetData);
  Bind(env, exports, "setGradEnabled", SetGradEnabled);
  Bind(env, exports, "isGradEnabled", IsGradEnabled);
  Bind(env, exports, "enterInferenceMode", EnterInferenceMode);
  Bind(env, exports, "exitInferenceMode", ExitInferenceMode);
  Bind(env, exports, "isInferenceMode", IsInferenceMode);
  Bind(env, exports, "setAutocast", SetAutocast);
  Bind(env, exports, "zeroGrad", ZeroGrad);
  Bind(env, exports, "gradsFinite", GradsFinite);
  Bind(env, exports, "adamStep", AdamStep);
  Bind(env, exports, "sgdStep", SgdStep);
  Bind(env, exports, "setNumThreads", SetNumThreads);
  Bind(env, exports, "getNumThreads", GetNumThreads);
  Bind(env, exports, "manualSeed", ManualSeed);
  Bind(env, exports, "liveTensorCount", LiveTensorCount);
  Bind(env, exports, "releaseFreeMemory", ReleaseFreeMemory);
  Bind(env, exports, "cachedTensorBytes", CachedTensorBytesOf);
  Bind(env, exports, "versionInfo", VersionInfo);
}

}  // namespace isbe
