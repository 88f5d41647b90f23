// Layers, losses, resampling, a counter-based dropout and the fused ISBE error.
#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <ATen/core/DistributionsHelper.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/autocast_mode.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "blocked_layout.h"
#include "full_kernel_conv.h"
#include "gate.h"
#include "single_channel_conv.h"
#include "winograd.h"

namespace isbe {
namespace {

int64_t Reduction(const Args& args, size_t i) {
  std::string text = args.string(i, "reduction");
  if (text == "none") return at::Reduction::None;
  if (text == "mean") return at::Reduction::Mean;
  if (text == "sum") return at::Reduction::Sum;
  args.rangeError("unknown reduction '" + text + "'; expected none, mean or sum");
}

// A pair [h, w] from a list of one or two integers.
std::vector<int64_t> Pair(const Args& args, size_t i, const char* name) {
  std::vector<int64_t> values = args.intList(i, name);
  if (values.size() == 1) values.push_back(values[0]);
  if (values.size() != 2) args.typeError(i, name, "one or two integers");
  return values;
}

// More output elements than any machine could hold (2^48 floats are 1 PiB).
constexpr double kMaxOutputElements = 281474976710656.0;

// Rejects the dtypes and kernels for which libtorch's message names its internals
// instead of what to change: integer or mixed dtypes and an empty kernel.
void CheckConv2dTypes(const Args& args, const at::Tensor& input, const at::Tensor& weight) {
  if (weight.dim() == 4 && (weight.size(2) < 1 || weight.size(3) < 1)) {
    args.rangeError("weight has an empty kernel, shape " + ShapeText(weight) +
                    "; its height and width must be at least 1");
  }
  if (!at::isFloatingType(input.scalar_type())) {
    args.rangeError(std::string("input is ") + DtypeName(input.scalar_type()) +
                    ", but convolutions need floating-point tensors; convert it with .float()");
  }
  if (input.scalar_type() != weight.scalar_type() && !at::autocast::is_cpu_enabled()) {
    args.rangeError(std::string("input is ") + DtypeName(input.scalar_type()) +
                    " but weight is " + DtypeName(weight.scalar_type()) +
                    "; convert one to the other's dtype, or run under autocast");
  }
}

// Rejects sizes that libtorch cuts to 32 bits or cannot allocate: invalid groups, strides
// or dilations of 2^31 or more, padding that overflows and outputs too large for memory.
void CheckConv2dSizes(const Args& args, const at::Tensor& input, const at::Tensor& weight,
                      const std::vector<int64_t>& stride, const std::vector<int64_t>& padding,
                      const std::vector<int64_t>& dilation, int64_t groups) {
  if (groups < 1 || (input.dim() >= 3 && groups > input.size(input.dim() - 3))) {
    args.rangeError("groups " + std::to_string(groups) +
                    " is invalid: it must be at least 1 and divide the input's channels");
  }
  for (const auto& [name, values] : {std::pair{"stride", stride}, {"dilation", dilation}}) {
    for (int64_t value : values) {
      if (value > std::numeric_limits<int32_t>::max()) {
        args.rangeError(std::string(name) + " " + std::to_string(value) +
                        " is too large: it must be below 2^31");
      }
    }
  }
  for (size_t d = 0; d < 2 && input.dim() >= 2; ++d) {
    int64_t size = input.size(input.dim() - 2 + d);
    if (padding[d] > (std::numeric_limits<int32_t>::max() - size) / 2) {
      args.rangeError("padding " + std::to_string(padding[d]) +
                      " is too large: the padded input must have fewer than 2^31 rows and "
                      "columns");
    }
  }
  if (input.dim() != 4 || weight.dim() != 4) return;
  double elements = static_cast<double>(input.size(0)) * static_cast<double>(weight.size(0));
  for (size_t d = 0; d < 2; ++d) {
    double padded = static_cast<double>(input.size(2 + d)) + 2.0 * padding[d];
    double span = dilation[d] * (weight.size(2 + d) - 1.0) + 1;
    elements *= std::max(1.0, (padded - span) / stride[d] + 1);
  }
  if (elements > kMaxOutputElements) {
    char count[32];
    std::snprintf(count, sizeof count, "%.2g", elements);
    args.rangeError(std::string("the output would have about ") + count +
                    " elements, too many to allocate; reduce the padding or the batch");
  }
}

// Returns the [batch, channels, height, width] sizes of a convolution's output.
std::vector<int64_t> OutputSizes(const std::vector<int64_t>& input, const at::Tensor& weight,
                                 const std::vector<int64_t>& stride,
                                 const std::vector<int64_t>& padding,
                                 const std::vector<int64_t>& dilation) {
  std::vector<int64_t> sizes{input[0], weight.size(0), 0, 0};
  for (size_t d = 0; d < 2; ++d) {
    int64_t span = dilation[d] * (weight.size(2 + d) - 1) + 1;
    sizes[2 + d] = (input[2 + d] + 2 * padding[d] - span) / stride[d] + 1;
  }
  return sizes;
}

// Returns whether the convolution should write its output in 16-channel blocks for the next
// one, given in arguments 10 to 13 (weight, bias?, padding, stride). It should when that
// one will run through Winograd, which reads such blocks without converting them.
bool NextTakesBlocked(const Args& args, const at::Tensor& input, const at::Tensor& weight,
                      const c10::optional<at::Tensor>& bias, const std::vector<int64_t>& output) {
  if (!args.has(10) || output[1] % 16 != 0 || output[2] < 1 || output[3] < 1) return false;
  const at::Tensor& nextWeight = args.tensor(10, "nextWeight");
  c10::optional<at::Tensor> nextBias = args.optionalTensor(11, "nextBias");
  std::vector<int64_t> nextPadding = Pair(args, 12, "nextPadding");
  std::vector<int64_t> nextStride = Pair(args, 13, "nextStride");
  bool training = at::GradMode::is_enabled() &&
                  (input.requires_grad() || weight.requires_grad() ||
                   (bias && bias->requires_grad()));
  return WinogradTakes(output, input, nextWeight, nextBias, nextStride, nextPadding, training);
}

// Checks the input of a convolution whose argument 9 is set: it comes from the convolution
// before it in 16-channel blocks [batch, channels / 16, height, width, 16].
void CheckBlockedInput(const Args& args, const at::Tensor& input) {
  if (input.dim() != 5 || input.size(4) != 16 || input.scalar_type() != at::kFloat) {
    args.rangeError("a blocked input must be a float32 tensor [N, C / 16, H, W, 16], got " +
                    ShapeText(input));
  }
}

// conv2d(input, weight, bias?, stride, padding, dilation, groups, algorithm?, activation?,
// inputBlocked?, nextWeight?, nextBias?, nextPadding?, nextStride?); input [N, C, H, W].
// algorithm "auto" computes one-channel inputs directly (single_channel_conv.h), kernels
// as large as the input as a matrix product (full_kernel_conv.h), and lets eligible
// convolutions use Winograd (winograd.h). "direct" is libtorch's convolution, used when
// algorithm is omitted. The TypeScript conv2d passes "auto" by default. activation "relu"
// applies ReLU to the output, inside the convolution's own kernels where they allow it;
// "none" is the default. Two convolutions in a row pass activations in 16-channel blocks:
// the first receives the second's weight, bias, padding and stride and may return a
// blocked output, and the second receives that output with inputBlocked set.
at::Tensor Conv2d(const Args& args) {
  at::Tensor input = args.tensor(0, "input");
  const at::Tensor& weight = args.tensor(1, "weight");
  c10::optional<at::Tensor> bias = args.optionalTensor(2, "bias");
  std::vector<int64_t> stride = Pair(args, 3, "stride"), padding = Pair(args, 4, "padding");
  std::vector<int64_t> dilation = Pair(args, 5, "dilation");
  int64_t groups = args.integer(6, "groups");
  std::string algorithm = args.has(7) ? args.string(7, "algorithm") : "direct";
  std::string activation = args.has(8) ? args.string(8, "activation") : "none";
  if (activation != "none" && activation != "relu") {
    args.rangeError("unknown activation '" + activation + "'; expected none or relu");
  }
  if (algorithm != "auto" && algorithm != "direct") {
    args.rangeError("unknown algorithm '" + algorithm + "'; expected auto or direct");
  }
  bool relu = activation == "relu";
  bool inputBlocked = args.has(9) && args.boolean(9, "inputBlocked");
  if (inputBlocked) CheckBlockedInput(args, input);
  if (inputBlocked && algorithm != "auto") {
    input = FromBlocked16(input);
    inputBlocked = false;
  }
  std::vector<int64_t> sizes = inputBlocked ? LogicalSizes(input) : input.sizes().vec();
  const at::Tensor logical = inputBlocked ? at::empty(sizes, input.options().device(at::kMeta))
                                          : input;
  CheckConv2dTypes(args, logical, weight);
  CheckConv2dSizes(args, logical, weight, stride, padding, dilation, groups);
  // The addon's kernels take a 5-D input as blocked, so any other 5-D input goes to
  // libtorch, which rejects it.
  if (algorithm == "auto" && (inputBlocked || input.dim() != 5)) {
    bool positive = std::all_of(stride.begin(), stride.end(), [](int64_t s) { return s > 0; }) &&
                    std::all_of(dilation.begin(), dilation.end(), [](int64_t d) { return d > 0; });
    bool blockedOut = positive && sizes.size() == 4 && weight.dim() == 4 &&
                      sizes[1] == weight.size(1) &&
                      NextTakesBlocked(args, input, weight, bias,
                                       OutputSizes(sizes, weight, stride, padding, dilation));
    auto singleChannel = SingleChannelConv2d(input, weight, bias, stride, padding, dilation,
                                             groups, relu, blockedOut);
    if (singleChannel) return *singleChannel;
    auto fullKernel = FullKernelConv2d(input, weight, bias, padding, dilation, groups, relu);
    if (fullKernel) return *fullKernel;
    return Conv2dAuto(input, weight, bias, stride, padding, dilation, groups, relu, blockedOut);
  }
  at::Tensor output = at::conv2d(input, weight, bias, stride, padding, dilation, groups);
  return relu ? output.relu_() : output;
}

at::Tensor Linear(const Args& args) {
  return at::linear(args.tensor(0, "input"), args.tensor(1, "weight"),
                    args.optionalTensor(2, "bias"));
}

at::Tensor MaxPool2d(const Args& args) {
  return at::max_pool2d(args.tensor(0, "input"), Pair(args, 1, "kernelSize"),
                        Pair(args, 2, "stride"), Pair(args, 3, "padding"), {1, 1}, false);
}

// A 32-bit integer hash with good avalanche (the "lowbias32" mixer by Chris Wellons).
inline uint32_t Hash32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352dU;
  x ^= x >> 15;
  x *= 0x846ca68bU;
  x ^= x >> 16;
  return x;
}

// Fills `mask` with 0 or scale, keeping each element with probability keep. Element i draws
// from Hash32(i, seed), so the mask does not depend on the thread count.
template <typename T>
void FillDropoutMask(T* mask, int64_t count, double keep, uint64_t seed) {
  const auto threshold = static_cast<uint32_t>(std::min(keep * 4294967296.0, 4294967295.0));
  const T scale = static_cast<T>(1.0 / keep);
  const auto low = static_cast<uint32_t>(seed);
  const auto high = static_cast<uint32_t>(seed >> 32);
  at::parallel_for(0, count, 1 << 16, [=](int64_t begin, int64_t end) {
    // parallel_for hands the lambda on by reference, so the compiler must assume that a
    // store to the mask may change the captured values. Local copies let it keep them in
    // registers and vectorise the loop.
    T* const out = mask;
    const uint32_t limit = threshold, salt = low, offset = high;
    const T keptScale = scale;
    for (int64_t i = begin; i < end; ++i) {
      uint32_t bits = Hash32(Hash32(static_cast<uint32_t>(i) ^ salt) + offset);
      out[i] = bits < limit ? keptScale : T(0);
    }
  });
}

// dropout(input, p, train, generator?): zeroes each element with probability p and scales
// the rest by 1 / (1 - p). The mask comes from a counter-based hash seeded by one draw
// from the generator, which is much faster than a Bernoulli draw per element; the mask
// differs from torch.dropout's for the same seed.
at::Tensor Dropout(const Args& args) {
  const at::Tensor& input = args.tensor(0, "input");
  double p = args.number(1, "p");
  bool train = args.boolean(2, "train");
  if (!(p >= 0 && p < 1)) {
    char text[32];
    std::snprintf(text, sizeof text, "%g", p);
    args.rangeError(std::string("p must be in [0, 1), got ") + text);
  }
  if (!train || p == 0) return input;
  if (!at::isFloatingType(input.scalar_type())) {
    args.typeError(0, "input", "a floating-point Tensor");
  }
  at::Generator generator = args.generator(3, "generator")
                                .value_or(at::detail::getDefaultCPUGenerator());
  uint64_t seed;
  {
    std::lock_guard<std::mutex> lock(generator.mutex());
    seed = at::check_generator<at::CPUGeneratorImpl>(generator)->random64();
  }
  at::Tensor mask = at::empty_like(input, input.options().device(at::kCPU));
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kBFloat16, at::kHalf, mask.scalar_type(), "dropout", [&] {
    FillDropoutMask(mask.data_ptr<scalar_t>(), mask.numel(), 1 - p, seed);
  });
  return input * mask.to(input.device());
}

at::Tensor CrossEntropy(const Args& args) {
  return at::cross_entropy_loss(args.tensor(0, "input"), args.tensor(1, "target"),
                                args.optionalTensor(2, "weight"), Reduction(args, 3),
                                args.integer(4, "ignoreIndex"), args.number(5, "labelSmoothing"));
}

at::Tensor MseLoss(const Args& args) {
  return at::mse_loss(args.tensor(0, "input"), args.tensor(1, "target"), Reduction(args, 2));
}

at::Tensor BceWithLogits(const Args& args) {
  return at::binary_cross_entropy_with_logits(
      args.tensor(0, "input"), args.tensor(1, "target"), args.optionalTensor(2, "weight"),
      args.optionalTensor(3, "posWeight"), Reduction(args, 4));
}

at::Tensor HuberLoss(const Args& args) {
  return at::huber_loss(args.tensor(0, "input"), args.tensor(1, "target"), Reduction(args, 2),
                        args.number(3, "delta"));
}

// Pixel centres along one axis in [-1, 1], as torch.nn.functional.affine_grid places them.
at::Tensor GridAxis(int64_t steps, bool alignCorners, const at::TensorOptions& options) {
  if (steps <= 1) return at::zeros({steps}, options);
  at::Tensor axis = at::linspace(-1, 1, steps, options);
  return alignCorners ? axis : axis * (static_cast<double>(steps - 1) / steps);
}

// Computes the sampling grid [N, H, W, 2] of affine_grid. libtorch multiplies each image's
// base grid by its theta in a loop over the images, which costs more than the resampling
// for a batch of small images. One matrix product of the shared base grid [H·W, 3] with
// all thetas gives the same grid in a fraction of the time.
at::Tensor AffineGridOf(const at::Tensor& theta, int64_t height, int64_t width,
                        bool alignCorners) {
  int64_t n = theta.size(0);
  at::Tensor x = GridAxis(width, alignCorners, theta.options()).view({1, width, 1});
  at::Tensor y = GridAxis(height, alignCorners, theta.options()).view({height, 1, 1});
  at::Tensor base = at::cat({x.expand({height, width, 1}), y.expand({height, width, 1}),
                             at::ones({height, width, 1}, theta.options())},
                            2);
  at::Tensor grid = at::matmul(base.view({height * width, 3}), theta.reshape({n * 2, 3}).t());
  return grid.view({height * width, n, 2}).permute({1, 0, 2}).contiguous().view(
      {n, height, width, 2});
}

// affineGrid(theta [N, 2, 3], size [N, C, H, W], alignCorners).
at::Tensor AffineGrid(const Args& args) {
  const at::Tensor& theta = args.tensor(0, "theta");
  std::vector<int64_t> size = args.intList(1, "size");
  if (size.size() != 4) args.rangeError("size must be [N, C, H, W]");
  if (size[1] < 1 || size[2] < 1 || size[3] < 1) {
    args.rangeError("size must have channels, height and width of at least 1, got [" +
                    std::to_string(size[0]) + ", " + std::to_string(size[1]) + ", " +
                    std::to_string(size[2]) + ", " + std::to_string(size[3]) + "]");
  }
  bool shapeOk = theta.dim() == 3 && theta.size(0) == size[0] && theta.size(1) == 2 &&
                 theta.size(2) == 3;
  if (!shapeOk) args.rangeError("theta must have shape [N, 2, 3] with N = size[0]");
  at::ScalarType type = theta.scalar_type();
  if (type != at::kFloat && type != at::kDouble && type != at::kBFloat16) {
    args.rangeError(std::string("theta must be a float32, float64 or bfloat16 Tensor, got ") +
                    c10::toString(type));
  }
  return AffineGridOf(theta, size[2], size[3], args.boolean(2, "alignCorners"));
}

int64_t Interpolation(const Args& args, size_t i) {
  std::string text = args.string(i, "mode");
  if (text == "bilinear") return 0;
  if (text == "nearest") return 1;
  if (text == "bicubic") return 2;
  args.rangeError("unknown mode '" + text + "'; expected bilinear, nearest or bicubic");
}

int64_t Padding(const Args& args, size_t i) {
  std::string text = args.string(i, "paddingMode");
  if (text == "zeros") return 0;
  if (text == "border") return 1;
  if (text == "reflection") return 2;
  args.rangeError("unknown padding mode '" + text + "'; expected zeros, border or reflection");
}

at::Tensor GridSample(const Args& args) {
  return at::grid_sampler(args.tensor(0, "input"), args.tensor(1, "grid"),
                          Interpolation(args, 2), Padding(args, 3),
                          args.boolean(4, "alignCorners"));
}

// The soft functions that isbeError computes in its fused loop.
enum class Soft { kSoftmax, kSigmoid, kTanh, kHardtanh, kHardsigmoid, kScaledHardtanh,
                  kNormalize };

Soft SoftFromName(const Args& args, size_t i) {
  std::string text = args.string(i, "soft");
  if (text == "softmax") return Soft::kSoftmax;
  if (text == "sigmoid") return Soft::kSigmoid;
  if (text == "tanh") return Soft::kTanh;
  if (text == "hardtanh") return Soft::kHardtanh;
  if (text == "hardsigmoid") return Soft::kHardsigmoid;
  if (text == "scaled-hardtanh") return Soft::kScaledHardtanh;
  if (text == "normalize") return Soft::kNormalize;
  args.rangeError("unknown soft function '" + text + "'");
}

template <typename T>
T Elementwise(Soft soft, T x) {
  switch (soft) {
    case Soft::kSigmoid: return T(1) / (T(1) + std::exp(-x));
    case Soft::kTanh: return std::tanh(x);
    case Soft::kHardtanh: return std::min(T(1), std::max(T(-1), x));
    case Soft::kHardsigmoid: return std::min(T(1), std::max(T(0), (x + T(3)) / T(6)));
    case Soft::kScaledHardtanh: return std::min(T(1), std::max(T(0), (x + T(2)) / T(4)));
    default: return x;
  }
}

// Writes soft = f(row) and error = soft - target for one row of k scores.
template <typename T>
T SoftRow(Soft soft, const T* x, const T* target, T* y, T* error, int64_t k) {
  if (soft == Soft::kSoftmax) {
    T top = *std::max_element(x, x + k);
    T total = 0;
    for (int64_t j = 0; j < k; ++j) total += (y[j] = std::exp(x[j] - top));
    for (int64_t j = 0; j < k; ++j) y[j] /= total;
  } else if (soft == Soft::kNormalize) {
    T squares = 0;
    for (int64_t j = 0; j < k; ++j) squares += x[j] * x[j];
    T norm = std::max(std::sqrt(squares), T(1e-12));
    for (int64_t j = 0; j < k; ++j) y[j] = x[j] / norm;
  } else {
    for (int64_t j = 0; j < k; ++j) y[j] = Elementwise(soft, x[j]);
  }
  T squared = 0;
  for (int64_t j = 0; j < k; ++j) {
    error[j] = y[j] - target[j];
    squared += error[j] * error[j];
  }
  return squared;
}

// isbeError(scores [N, K], target [N, K], soft): returns [f(scores), f(scores) - target,
// sum of squared errors] in one pass over the scores, outside autograd.
Napi::Value IsbeError(const Args& args) {
  at::Tensor scores = args.tensor(0, "scores").detach();
  at::Tensor target = args.tensor(1, "target");
  Soft soft = SoftFromName(args, 2);
  if (scores.dim() != 2) args.rangeError("scores must have shape [N, K]");
  // The softmax loop reads the largest score of each row, which does not exist when K = 0.
  if (scores.size(1) == 0) args.rangeError("scores must have at least one class, got K = 0");
  if (!target.sizes().equals(scores.sizes())) {
    args.rangeError("target must have the shape of the scores");
  }
  at::ScalarType type = scores.scalar_type();
  if (type != at::kFloat && type != at::kDouble) {
    args.typeError(0, "scores", "a float32 or float64 Tensor");
  }
  at::NoGradGuard noGrad;
  scores = scores.cpu().contiguous();
  target = target.to(at::kCPU, type).contiguous();
  at::Tensor y = at::empty_like(scores);
  at::Tensor error = at::empty_like(scores);
  double squared = 0;
  AT_DISPATCH_FLOATING_TYPES(type, "isbeError", [&] {
    int64_t n = scores.size(0), k = scores.size(1);
    const scalar_t* x = scores.data_ptr<scalar_t>();
    const scalar_t* t = target.data_ptr<scalar_t>();
    scalar_t* yp = y.data_ptr<scalar_t>();
    scalar_t* ep = error.data_ptr<scalar_t>();
    for (int64_t i = 0; i < n; ++i) {
      squared += SoftRow(soft, x + i * k, t + i * k, yp + i * k, ep + i * k, k);
    }
  });
  at::Device device = args.tensor(0, "scores").device();
  Napi::Env env = args.env();
  Napi::Array result = Napi::Array::New(env, 3);
  result.Set(0u, ToJs(env, y.to(device)));
  result.Set(1u, ToJs(env, error.to(device)));
  result.Set(2u, Napi::Number::New(env, squared));
  return result;
}

}  // namespace

void RegisterNnOps(Napi::Env env, Napi::Object exports) {
  Bind(env, exports, "conv2d", Conv2d);
  Bind(env, exports, "linear", Linear);
  Bind(env, exports, "maxPool2d", MaxPool2d);
  Bind(env, exports, "dropout", Dropout);
  Bind(env, exports, "crossEntropy", CrossEntropy);
  Bind(env, exports, "mseLoss", MseLoss);
  Bind(env, exports, "binaryCrossEntropyWithLogits", BceWithLogits);
  Bind(env, exports, "huberLoss", HuberLoss);
  Bind(env, exports, "affineGrid", AffineGrid);
  Bind(env, exports, "gridSample", GridSample);
  Bind(env, exports, "isbeError", IsbeError);
}

}  // namespace isbe
