// Element-wise arithmetic, comparisons, activations and reductions.
#include "gate.h"

namespace isbe {
namespace {

using Unary = at::Tensor (*)(const at::Tensor&);

// Applies `fn`, a generic lambda, to self and a second operand that is a Tensor or a number.
template <typename Fn>
at::Tensor Binary(const Args& args, Fn fn) {
  const at::Tensor& self = args.tensor(0, "self");
  if (args.isTensor(1)) return fn(self, args.tensor(1, "other"));
  if (args.isNumber(1) || (args.has(1) && args.value(1).IsBoolean())) {
    return fn(self, args.scalar(1, "other"));
  }
  args.typeError(1, "other", "a Tensor or a number");
}

at::Scalar Alpha(const Args& args) { return args.has(2) ? args.scalar(2, "alpha") : 1; }

at::Tensor Add(const Args& args) {
  at::Scalar alpha = Alpha(args);
  return Binary(args, [&](const auto& a, const auto& b) { return at::add(a, b, alpha); });
}

at::Tensor Sub(const Args& args) {
  at::Scalar alpha = Alpha(args);
  return Binary(args, [&](const auto& a, const auto& b) { return at::sub(a, b, alpha); });
}

at::Tensor Matmul(const Args& args) {
  return at::matmul(args.tensor(0, "self"), args.tensor(1, "other"));
}

at::Tensor Maximum(const Args& args) {
  return at::maximum(args.tensor(0, "self"), args.tensor(1, "other"));
}

at::Tensor Minimum(const Args& args) {
  return at::minimum(args.tensor(0, "self"), args.tensor(1, "other"));
}

at::Tensor Hardtanh(const Args& args) {
  return at::hardtanh(args.tensor(0, "self"), args.scalar(1, "minValue"),
                      args.scalar(2, "maxValue"));
}

at::Tensor Clamp(const Args& args) {
  c10::optional<at::Scalar> low, high;
  if (args.has(1)) low = args.scalar(1, "min");
  if (args.has(2)) high = args.scalar(2, "max");
  return at::clamp(args.tensor(0, "self"), low, high);
}

at::Tensor Softmax(const Args& args) {
  return at::softmax(args.tensor(0, "self"), args.integer(1, "dim"));
}

at::Tensor LogSoftmax(const Args& args) {
  return at::log_softmax(args.tensor(0, "self"), args.integer(1, "dim"));
}

// normalize(self, p, dim, eps) divides by max(‖self‖_p along dim, eps), as
// torch.nn.functional.normalize does.
at::Tensor Normalize(const Args& args) {
  const at::Tensor& self = args.tensor(0, "self");
  at::Scalar p = args.scalar(1, "p");
  int64_t dim = args.integer(2, "dim");
  double eps = args.number(3, "eps");
  at::Tensor norm = at::norm(self, p, {dim}, /*keepdim=*/true).clamp_min(eps);
  return self / norm.expand_as(self);
}

// Reductions take optional dims; without them they reduce every element.
at::Tensor Sum(const Args& args) {
  const at::Tensor& self = args.tensor(0, "self");
  auto dims = args.optionalIntList(1, "dims");
  if (!dims) return self.sum();
  return self.sum(*dims, args.has(2) && args.boolean(2, "keepdim"));
}

at::Tensor Mean(const Args& args) {
  const at::Tensor& self = args.tensor(0, "self");
  auto dims = args.optionalIntList(1, "dims");
  if (!dims) return self.mean();
  return self.mean(*dims, args.has(2) && args.boolean(2, "keepdim"));
}

at::Tensor Var(const Args& args) {
  const at::Tensor& self = args.tensor(0, "self");
  auto dims = args.optionalIntList(1, "dims");
  int64_t correction = args.optionalInteger(2, "correction").value_or(1);
  bool keepdim = args.has(3) && args.boolean(3, "keepdim");
  return at::var(self, dims ? at::OptionalIntArrayRef(*dims) : c10::nullopt, correction,
                 keepdim);
}

at::Tensor Norm(const Args& args) {
  const at::Tensor& self = args.tensor(0, "self");
  at::Scalar p = args.scalar(1, "p");
  auto dims = args.optionalIntList(2, "dims");
  if (!dims) return at::norm(self, p);
  return at::norm(self, p, *dims, args.has(3) && args.boolean(3, "keepdim"));
}

// max(self) returns the largest element; max(self, dim, keepdim) returns [values, indices].
std::vector<at::Tensor> Max(const Args& args) {
  const at::Tensor& self = args.tensor(0, "self");
  if (!args.has(1)) return {self.max()};
  auto [values, indices] = self.max(args.integer(1, "dim"), args.has(2) && args.boolean(2, "keepdim"));
  return {values, indices};
}

std::vector<at::Tensor> Min(const Args& args) {
  const at::Tensor& self = args.tensor(0, "self");
  if (!args.has(1)) return {self.min()};
  auto [values, indices] = self.min(args.integer(1, "dim"), args.has(2) && args.boolean(2, "keepdim"));
  return {values, indices};
}

at::Tensor Argmax(const Args& args) {
  return args.tensor(0, "self").argmax(args.optionalInteger(1, "dim"),
                                       args.has(2) && args.boolean(2, "keepdim"));
}

at::Tensor Argmin(const Args& args) {
  return args.tensor(0, "self").argmin(args.optionalInteger(1, "dim"),
                                       args.has(2) && args.boolean(2, "keepdim"));
}

// relu_(self) applies ReLU in place; autograd allows it on a convolution's output.
void ReluInPlace(const Args& args) {
  at::Tensor self = args.tensor(0, "self");
  at::relu_(self);
}

at::Tensor All(const Args& args) { return args.tensor(0, "self").all(); }
at::Tensor Any(const Args& args) { return args.tensor(0, "self").any(); }

at::Tensor DiagEmbed(const Args& args) { return at::diag_embed(args.tensor(0, "self")); }

// Whether every element is finite, read back as a boolean in one call.
bool AllFinite(const Args& args) {
  const at::Tensor& self = args.tensor(0, "self");
  if (!at::isFloatingType(self.scalar_type())) return true;
  return at::isfinite(self).all().item<bool>();
}

struct UnaryEntry {
  const char* name;
  Unary fn;
};

const UnaryEntry kUnary[] = {
    {"neg", [](const at::Tensor& t) { return at::neg(t); }},
    {"exp", [](const at::Tensor& t) { return at::exp(t); }},
    {"cos", [](const at::Tensor& t) { return at::cos(t); }},
    {"sin", [](const at::Tensor& t) { return at::sin(t); }},
    {"log", [](const at::Tensor& t) { return at::log(t); }},
    {"sqrt", [](const at::Tensor& t) { return at::sqrt(t); }},
    {"abs", [](const at::Tensor& t) { return at::abs(t); }},
    {"sign", [](const at::Tensor& t) { return at::sign(t); }},
    {"square", [](const at::Tensor& t) { return at::square(t); }},
    {"reciprocal", [](const at::Tensor& t) { return at::reciprocal(t); }},
    {"floor", [](const at::Tensor& t) { return at::floor(t); }},
    {"relu", [](const at::Tensor& t) { return at::relu(t); }},
    {"sigmoid", [](const at::Tensor& t) { return at::sigmoid(t); }},
    {"logSigmoid", [](const at::Tensor& t) { return at::log_sigmoid(t); }},
    {"softplus", [](const at::Tensor& t) { return at::softplus(t); }},
    {"tanh", [](const at::Tensor& t) { return at::tanh(t); }},
    {"hardsigmoid", [](const at::Tensor& t) { return at::hardsigmoid(t); }},
    {"isfinite", [](const at::Tensor& t) { return at::isfinite(t); }},
    {"isnan", [](const at::Tensor& t) { return at::isnan(t); }},
    {"logicalNot", [](const at::Tensor& t) { return at::logical_not(t); }},
};

}  // namespace

void RegisterMathOps(Napi::Env env, Napi::Object exports) {
  for (const auto& entry : kUnary) {
    Unary fn = entry.fn;
    Bind(env, exports, entry.name, [fn](const Args& args) { return fn(args.tensor(0, "self")); });
  }
  Bind(env, exports, "add", Add);
  Bind(env, exports, "sub", Sub);
  Bind(env, exports, "mul", [](const Args& args) {
    return Binary(args, [](const auto& a, const auto& b) { return at::mul(a, b); });
  });
  Bind(env, exports, "div", [](const Args& args) {
    return Binary(args, [](const auto& a, const auto& b) { return at::div(a, b); });
  });
  Bind(env, exports, "pow", [](const Args& args) {
    return Binary(args, [](const auto& a, const auto& b) { return at::pow(a, b); });
  });
  Bind(env, exports, "eq", [](const Args& args) {
    return Binary(args, [](const auto& a, const auto& b) { return at::eq(a, b); });
  });
  Bind(env, exports, "ne", [](const Args& args) {
    return Binary(args, [](const auto& a, const auto& b) { return at::ne(a, b); });
  });
  Bind(env, exports, "lt", [](const Args& args) {
    return Binary(args, [](const auto& a, const auto& b) { return at::lt(a, b); });
  });
  Bind(env, exports, "le", [](const Args& args) {
    return Binary(args, [](const auto& a, const auto& b) { return at::le(a, b); });
  });
  Bind(env, exports, "gt", [](const Args& args) {
    return Binary(args, [](const auto& a, const auto& b) { return at::gt(a, b); });
  });
  Bind(env, exports, "ge", [](const Args& args) {
    return Binary(args, [](const auto& a, const auto& b) { return at::ge(a, b); });
  });
  Bind(env, exports, "matmul", Matmul);
  Bind(env, exports, "maximum", Maximum);
  Bind(env, exports, "minimum", Minimum);
  Bind(env, exports, "hardtanh", Hardtanh);
  Bind(env, exports, "clamp", Clamp);
  Bind(env, exports, "softmax", Softmax);
  Bind(env, exports, "logSoftmax", LogSoftmax);
  Bind(env, exports, "normalize", Normalize);
  Bind(env, exports, "sum", Sum);
  Bind(env, exports, "mean", Mean);
  Bind(env, exports, "var", Var);
  Bind(env, exports, "norm", Norm);
  Bind(env, exports, "max", Max);
  Bind(env, exports, "min", Min);
  Bind(env, exports, "argmax", Argmax);
  Bind(env, exports, "argmin", Argmin);
  Bind(env, exports, "relu_", ReluInPlace);
  Bind(env, exports, "all", All);
  Bind(env, exports, "any", Any);
  Bind(env, exports, "diagEmbed", DiagEmbed);
  Bind(env, exports, "allFinite", AllFinite);
}

}  // namespace isbe
