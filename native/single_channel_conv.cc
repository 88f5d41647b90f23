// Convolutions of inputs with one channel, such as the first layer on grey images.
// libtorch hands them to oneDNN, whose kernels suit many input channels. Take N0's first
// layer: 128 images 28×28, 32 filters 3×3, stride 2. On a 2-core Xeon with AMX, oneDNN
// took about 0.27 ms forward and 0.4 ms for the weight gradient in float32, and 0.3 and
// 0.8 ms under bf16 autocast. Here each output pixel is one loop over the kernel taps,
// vectorised across the filters, and the weight gradient is summed the same way.
//
// The arithmetic and the output are float32, also under autocast: with one input channel
// each output has only a few products, so bf16 saves little.
#include "single_channel_conv.h"

#include "spans.h"

#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>
#include <vector>

namespace isbe {
namespace {

// Filter counts above this use libtorch's convolution, because each output pixel's sums
// live in a stack buffer of this size.
constexpr int64_t kMaxFilters = 256;

// Sizes of one convolution: input [batch, 1, height, width], weight [filters, 1, kernelH,
// kernelW], output [batch, filters, outHeight, outWidth].
struct Shape {
  int64_t batch, height, width, filters, kernelH, kernelW, strideH, strideW, padH, padW;
  int64_t outHeight, outWidth;
  bool relu;  // whether ReLU follows the convolution
};

Shape ShapeOf(const at::Tensor& input, const at::Tensor& weight, at::IntArrayRef stride,
              at::IntArrayRef padding, bool relu) {
  Shape s{input.size(0), input.size(2), input.size(3), weight.size(0), weight.size(2),
          weight.size(3), stride[0], stride[1], padding[0], padding[1], 0, 0, relu};
  s.outHeight = (s.height + 2 * s.padH - s.kernelH) / s.strideH + 1;
  s.outWidth = (s.width + 2 * s.padW - s.kernelW) / s.strideW + 1;
  return s;
}

// The weights as [kernelH * kernelW][filters], so that the filters of one tap are adjacent.
std::vector<float> TapMajor(const at::Tensor& weight, const Shape& s) {
  at::Tensor taps = weight.reshape({s.filters, s.kernelH * s.kernelW}).t().contiguous();
  return std::vector<float>(taps.data_ptr<float>(), taps.data_ptr<float>() + taps.numel());
}

// Strides of a [batch, filters, height, width] tensor: element [n][f][oh][ow] is at
// n * image + (f / 16) * block + (f % 16) * filter + oh * row + ow * column. A strided
// tensor has block = 16 * filter; the 16-channel blocked layout [batch, filters / 16,
// height, width, 16] has filter 1 and block height * width * 16.
struct Layout {
  int64_t image, filter, row, column, block;
};

inline int64_t FilterOffset(const Layout& layout, int64_t f) {
  return (f >> 4) * layout.block + (f & 15) * layout.filter;
}

Layout LayoutOf(const at::Tensor& t) {
  if (t.dim() == 5) return {t.stride(0), 1, t.stride(2), t.stride(3), t.stride(1)};
  return {t.stride(0), t.stride(1), t.stride(2), t.stride(3), 16 * t.stride(1)};
}

// Kernel rows [first, last) of output row (or column) o that fall inside an input of
// `size` pixels, and the input index of kernel row 0, which may lie in the padding.
struct TapRange {
  int64_t first, last, origin;
};

inline TapRange TapsInside(int64_t o, int64_t stride, int64_t pad, int64_t kernel, int64_t size) {
  int64_t origin = o * stride - pad;
  return {std::max<int64_t>(0, -origin), std::min(kernel, size - origin), origin};
}

// Output pixels of images [begin, end) for 16 * kVecs filters, or any count when kVecs is
// 0 (scalar loops). Each pixel's sums stay in registers.
template <int kVecs>
void ForwardImages(const float* input, const float* taps, const float* bias, float* output,
                   const Shape& s, const Layout& out, int64_t begin, int64_t end) {
  const int64_t filters = kVecs > 0 ? 16 * kVecs : s.filters;
  alignas(64) float sum[kVecs > 0 ? 16 * kVecs : kMaxFilters];
  for (int64_t n = begin; n < end; ++n) {
    const float* image = input + n * s.height * s.width;
    for (int64_t oh = 0; oh < s.outHeight; ++oh) {
      const TapRange rows = TapsInside(oh, s.strideH, s.padH, s.kernelH, s.height);
      for (int64_t ow = 0; ow < s.outWidth; ++ow) {
        const TapRange columns = TapsInside(ow, s.strideW, s.padW, s.kernelW, s.width);
        if constexpr (kVecs > 0) {
          Vec acc[kVecs];
          for (int j = 0; j < kVecs; ++j) acc[j] = bias != nullptr ? Load(bias + 16 * j) : Vec{};
          for (int64_t kh = rows.first; kh < rows.last; ++kh) {
            const float* line = image + (rows.origin + kh) * s.width + columns.origin;
            for (int64_t kw = columns.first; kw < columns.last; ++kw) {
              const Vec value = Vec{} + line[kw];
              const float* w = taps + (kh * s.kernelW + kw) * filters;
              for (int j = 0; j < kVecs; ++j) acc[j] += value * Load(w + 16 * j);
            }
          }
          if (out.filter == 1) {
            // Each run of 16 filters is contiguous: store the registers as they are.
            float* o = output + n * out.image + oh * out.row + ow * out.column;
            for (int j = 0; j < kVecs; ++j) {
              if (s.relu) acc[j] = acc[j] < 0 ? Vec{} : acc[j];
              Store(o + j * out.block, acc[j]);
            }
            continue;
          }
          for (int j = 0; j < kVecs; ++j) Store(sum + 16 * j, acc[j]);
        } else {
          for (int64_t f = 0; f < filters; ++f) sum[f] = bias != nullptr ? bias[f] : 0.0f;
          for (int64_t kh = rows.first; kh < rows.last; ++kh) {
            const float* line = image + (rows.origin + kh) * s.width + columns.origin;
            for (int64_t kw = columns.first; kw < columns.last; ++kw) {
              const float* w = taps + (kh * s.kernelW + kw) * filters;
              for (int64_t f = 0; f < filters; ++f) sum[f] += line[kw] * w[f];
            }
          }
        }
        float* o = output + n * out.image + oh * out.row + ow * out.column;
        if (s.relu) {
          for (int64_t f = 0; f < filters; ++f) o[FilterOffset(out, f)] = std::max(sum[f], 0.0f);
        } else {
          for (int64_t f = 0; f < filters; ++f) o[FilterOffset(out, f)] = sum[f];
        }
      }
    }
  }
}

// Returns a new output tensor in `layout`.
at::Tensor EmptyOutput(const at::Tensor& input, const Shape& s, OutputLayout layout) {
  if (layout == OutputLayout::kBlocked16) {
    return at::empty({s.batch, s.filters / 16, s.outHeight, s.outWidth, 16}, input.options());
  }
  return at::empty({s.batch, s.filters, s.outHeight, s.outWidth},
                   input.options().memory_format(layout == OutputLayout::kChannelsLast
                                                     ? at::MemoryFormat::ChannelsLast
                                                     : at::MemoryFormat::Contiguous));
}

at::Tensor Forward(const at::Tensor& input, const at::Tensor& weight,
                   const c10::optional<at::Tensor>& bias, const Shape& s, OutputLayout layout) {
  at::Tensor source = input.contiguous();
  std::vector<float> taps = TapMajor(weight, s);
  at::Tensor biasValues = bias ? bias->contiguous() : at::Tensor();
  at::Tensor output = EmptyOutput(input, s, layout);
  const float* x = source.data_ptr<float>();
  const float* b = biasValues.defined() ? biasValues.data_ptr<float>() : nullptr;
  float* y = output.data_ptr<float>();
  Layout strides = LayoutOf(output);
  at::parallel_for(0, s.batch, 1, [&](int64_t begin, int64_t end) {
    switch (s.filters) {
      case 16: return ForwardImages<1>(x, taps.data(), b, y, s, strides, begin, end);
      case 32: return ForwardImages<2>(x, taps.data(), b, y, s, strides, begin, end);
      case 64: return ForwardImages<4>(x, taps.data(), b, y, s, strides, begin, end);
      default: return ForwardImages<0>(x, taps.data(), b, y, s, strides, begin, end);
    }
  });
  return output;
}

// The data of a [batch, filters, height, width] float32 tensor and its strides.
struct StridedData {
  const float* values;
  Layout layout;
};

// Returns whether an image of this layout is one channels-last block: filters, then columns, then
// rows, with no gaps.
bool IsChannelsLastImage(const Layout& layout, const Shape& s) {
  return layout.filter == 1 && layout.column == s.filters &&
         layout.row == s.outWidth * s.filters && (s.filters <= 16 || layout.block == 16);
}

// Returns whether an image of this layout is in 16-channel blocks, each a channels-last
// block of 16 filters.
bool IsBlockedImage(const Layout& layout, const Shape& s) {
  return layout.filter == 1 && layout.column == 16 && layout.row == s.outWidth * 16 &&
         layout.block == s.outHeight * s.outWidth * 16;
}

// Returns the gradient of image n as channels-last rows, copied into `tile` when it is NCHW
// or when a ReLU follows. With ReLU it zeroes the pixels where `output` (after ReLU) is at
// most zero, as at::threshold_backward does. Sets the row and column strides of the result.
const float* ImageGradient(const StridedData& grad, const StridedData& output, const Shape& s,
                           int64_t n, std::vector<float>& tile, int64_t* row, int64_t* column) {
  const Layout& in = grad.layout;
  const float* g = grad.values + n * in.image;
  if (IsChannelsLastImage(in, s) && !s.relu) {
    *row = in.row, *column = in.column;
    return g;
  }
  const Layout& out = output.layout;
  const float* y = s.relu ? output.values + n * out.image : nullptr;
  *row = s.outWidth * s.filters, *column = s.filters;
  float* to = tile.data();
  if (y != nullptr && IsChannelsLastImage(in, s) && IsChannelsLastImage(out, s)) {
    ReLUGradientSpan(g, y, to, s.outHeight * s.outWidth * s.filters);
    return to;
  }
  const int64_t pixels = s.outHeight * s.outWidth;
  if (IsBlockedImage(in, s) && (y == nullptr || IsBlockedImage(out, s))) {
    for (int64_t block = 0; block < s.filters / 16; ++block) {
      const float* from = g + block * in.block;
      const float* active = y != nullptr ? y + block * out.block : nullptr;
      for (int64_t p = 0; p < pixels; ++p) {
        float* pixel = to + p * s.filters + block * 16;
        if (active != nullptr) {
          ReLUGradientSpan(from + p * 16, active + p * 16, pixel, 16);
        } else {
          CopySpan(from + p * 16, pixel, 16);
        }
      }
    }
    return to;
  }
  for (int64_t oh = 0, p = 0; oh < s.outHeight; ++oh) {
    for (int64_t ow = 0; ow < s.outWidth; ++ow, ++p) {
      const float* from = g + oh * in.row + ow * in.column;
      float* pixel = to + p * s.filters;
      for (int64_t f = 0; f < s.filters; ++f) pixel[f] = from[FilterOffset(in, f)];
      if (y == nullptr) continue;
      const float* active = y + oh * out.row + ow * out.column;
      for (int64_t f = 0; f < s.filters; ++f) {
        if (active[FilterOffset(out, f)] <= 0) pixel[f] = 0.0f;
      }
    }
  }
  return to;
}

// Adds the weight and bias gradients of images [begin, end) to weightSum [taps][filters]
// and biasSum [filters], for 16 * kVecs filters, or any count when kVecs is 0. Each
// image's gradient is first made channels-last (ImageGradient). Then each tap's sums over
// the image's pixels stay in registers. They are summed in float32 per image and added in
// double, so that rounding does not grow with the batch.
template <int kVecs>
void GradientImages(const float* input, const StridedData& grad, const StridedData& output,
                    const Shape& s, int64_t begin, int64_t end, double* weightSum,
                    double* biasSum) {
  const int64_t filters = kVecs > 0 ? 16 * kVecs : s.filters;
  std::vector<float> tile(s.outHeight * s.outWidth * filters);
  alignas(64) float sum[kVecs > 0 ? 16 * kVecs : kMaxFilters];
  for (int64_t n = begin; n < end; ++n) {
    const float* image = input + n * s.height * s.width;
    int64_t row, column;
    const float* g = ImageGradient(grad, output, s, n, tile, &row, &column);
    // Tap -1 sums the bias gradient, and taps 0 to kernelH * kernelW - 1 the weight gradient.
    for (int64_t tap = -1; tap < s.kernelH * s.kernelW; ++tap) {
      const int64_t kh = tap < 0 ? 0 : tap / s.kernelW, kw = tap < 0 ? 0 : tap % s.kernelW;
      Vec acc[kVecs > 0 ? kVecs : 1] = {};
      if constexpr (kVecs == 0) std::fill(sum, sum + filters, 0.0f);
      for (int64_t oh = 0; oh < s.outHeight; ++oh) {
        const int64_t ih = oh * s.strideH - s.padH + kh;
        if (tap >= 0 && (ih < 0 || ih >= s.height)) continue;
        for (int64_t ow = 0; ow < s.outWidth; ++ow) {
          const int64_t iw = ow * s.strideW - s.padW + kw;
          if (tap >= 0 && (iw < 0 || iw >= s.width)) continue;
          const float value = tap < 0 ? 1.0f : image[ih * s.width + iw];
          const float* pixel = g + oh * row + ow * column;
          if constexpr (kVecs > 0) {
            const Vec broadcast = Vec{} + value;
            for (int j = 0; j < kVecs; ++j) acc[j] += broadcast * Load(pixel + 16 * j);
          } else {
            for (int64_t f = 0; f < filters; ++f) sum[f] += value * pixel[f];
          }
        }
      }
      if constexpr (kVecs > 0) {
        for (int j = 0; j < kVecs; ++j) Store(sum + 16 * j, acc[j]);
      }
      double* target = tap < 0 ? biasSum : weightSum + tap * filters;
      for (int64_t f = 0; f < filters; ++f) target[f] += sum[f];
    }
  }
}

// Returns the weight gradient (shaped and strided like weight) and the bias gradient.
// `output` is the convolution's output after ReLU, needed only when s.relu.
std::pair<at::Tensor, at::Tensor> Gradients(const at::Tensor& input, const at::Tensor& weight,
                                            const at::Tensor& gradOutput,
                                            const at::Tensor& output, const Shape& s) {
  at::Tensor source = input.contiguous();
  // A channels-last gradient is read as it is. Any other is made contiguous, which keeps a
  // blocked one [batch, filters / 16, height, width, 16] in its layout.
  at::Tensor grad = gradOutput.is_contiguous(at::MemoryFormat::ChannelsLast)
                        ? gradOutput
                        : gradOutput.contiguous();
  const int64_t taps = s.kernelH * s.kernelW, width = taps * s.filters + s.filters;
  // One row of sums per thread, added up at the end.
  std::vector<double> sums(static_cast<size_t>(at::get_num_threads() * width), 0.0);
  const float* x = source.data_ptr<float>();
  StridedData g{grad.data_ptr<float>(), LayoutOf(grad)};
  StridedData y{s.relu ? output.data_ptr<float>() : nullptr,
                s.relu ? LayoutOf(output) : Layout{}};
  at::parallel_for(0, s.batch, 1, [&](int64_t begin, int64_t end) {
    double* row = sums.data() + at::get_thread_num() * width;
    double* biasRow = row + taps * s.filters;
    switch (s.filters) {
      case 16: return GradientImages<1>(x, g, y, s, begin, end, row, biasRow);
      case 32: return GradientImages<2>(x, g, y, s, begin, end, row, biasRow);
      case 64: return GradientImages<4>(x, g, y, s, begin, end, row, biasRow);
      default: return GradientImages<0>(x, g, y, s, begin, end, row, biasRow);
    }
  });
  at::Tensor tapMajor = at::zeros({taps * s.filters + s.filters}, at::kDouble);
  double* total = tapMajor.data_ptr<double>();
  for (size_t i = 0; i < sums.size(); ++i) total[i % width] += sums[i];
  at::Tensor weightGrad = at::empty_like(weight);
  weightGrad.copy_(tapMajor.narrow(0, 0, taps * s.filters)
                       .view({taps, s.filters})
                       .t()
                       .reshape(weight.sizes()));
  at::Tensor biasGrad = tapMajor.narrow(0, taps * s.filters, s.filters).to(at::kFloat);
  return {weightGrad, biasGrad};
}

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Returns the shape from geometry, the stride, padding and ReLU flag as one list [strideH,
// strideW, padH, padW, relu], which is how they travel through the autograd functions.
Shape ShapeOfGeometry(const at::Tensor& input, const at::Tensor& weight,
                      const std::vector<int64_t>& geometry) {
  return ShapeOf(input, weight, {geometry[0], geometry[1]}, {geometry[2], geometry[3]},
                 geometry[4] != 0);
}

at::Tensor ForwardAndSave(AutogradContext* context, const at::Tensor& input,
                          const at::Tensor& weight, const c10::optional<at::Tensor>& bias,
                          const std::vector<int64_t>& geometry, OutputLayout layout) {
  Shape s = ShapeOfGeometry(input, weight, geometry);
  at::Tensor output = Forward(input, weight, bias, s, layout);
  // The ReLU's backward needs the output. Without ReLU, saving it would keep it alive for
  // nothing.
  if (s.relu) {
    context->save_for_backward({input, weight, output});
  } else {
    context->save_for_backward({input, weight});
  }
  context->saved_data["geometry"] = geometry;
  return output;
}

variable_list Backward(AutogradContext* context, const at::Tensor& gradOutput, bool hasBias) {
  variable_list saved = context->get_saved_variables();
  std::vector<int64_t> geometry = context->saved_data["geometry"].toIntVector();
  Shape s = ShapeOfGeometry(saved[0], saved[1], geometry);
  at::Tensor output = s.relu ? saved[2] : at::Tensor();
  auto [weightGrad, biasGrad] = Gradients(saved[0], saved[1], gradOutput, output, s);
  if (hasBias) return {at::Tensor(), weightGrad, biasGrad, at::Tensor(), at::Tensor()};
  return {at::Tensor(), weightGrad, at::Tensor(), at::Tensor()};
}

// One autograd function per bias case, because libtorch 1.13's custom functions accept no
// undefined tensor arguments.
struct SingleChannelConv : public torch::autograd::Function<SingleChannelConv> {
  static at::Tensor forward(AutogradContext* context, const at::Tensor& input,
                            const at::Tensor& weight, std::vector<int64_t> geometry,
                            int64_t layout) {
    return ForwardAndSave(context, input, weight, c10::nullopt, geometry,
                          static_cast<OutputLayout>(layout));
  }

  static variable_list backward(AutogradContext* context, variable_list grads) {
    return Backward(context, grads[0], false);
  }
};

struct SingleChannelConvBias : public torch::autograd::Function<SingleChannelConvBias> {
  static at::Tensor forward(AutogradContext* context, const at::Tensor& input,
                            const at::Tensor& weight, const at::Tensor& bias,
                            std::vector<int64_t> geometry, int64_t layout) {
    return ForwardAndSave(context, input, weight, bias, geometry,
                          static_cast<OutputLayout>(layout));
  }

  static variable_list backward(AutogradContext* context, variable_list grads) {
    return Backward(context, grads[0], true);
  }
};

bool IsFloatOnCpu(const at::Tensor& t) {
  return t.device().is_cpu() && t.scalar_type() == at::kFloat && t.layout() == at::kStrided;
}

// Returns whether this kernel computes the convolution. Anything else, including every
// shape that at::conv2d rejects, goes to libtorch.
bool Qualifies(const at::Tensor& input, const at::Tensor& weight,
               const c10::optional<at::Tensor>& bias, at::IntArrayRef stride,
               at::IntArrayRef padding, at::IntArrayRef dilation, int64_t groups) {
  if (!IsFloatOnCpu(input) || !IsFloatOnCpu(weight) || input.dim() != 4 || weight.dim() != 4) {
    return false;
  }
  if (input.size(1) != 1 || weight.size(1) != 1 || input.size(0) < 1) return false;
  if (weight.size(0) < 1 || weight.size(0) > kMaxFilters || weight.size(2) < 1 ||
      weight.size(3) < 1) {
    return false;
  }
  if (bias && (!IsFloatOnCpu(*bias) || bias->dim() != 1 || bias->size(0) != weight.size(0))) {
    return false;
  }
  if (groups != 1 || stride.size() != 2 || padding.size() != 2 || dilation.size() != 2 ||
      dilation[0] != 1 || dilation[1] != 1 || stride[0] < 1 || stride[1] < 1 ||
      padding[0] < 0 || padding[1] < 0) {
    return false;
  }
  if (input.size(2) + 2 * padding[0] < weight.size(2) ||
      input.size(3) + 2 * padding[1] < weight.size(3)) {
    return false;
  }
  // The kernel skips padded taps, so it never multiplies a weight by a padding zero.
  // libtorch does, and an infinite weight then gives NaN (0 × ∞), so such weights go there.
  if ((padding[0] > 0 || padding[1] > 0) && !at::isfinite(weight).all().item<bool>()) {
    return false;
  }
  return !(at::GradMode::is_enabled() && input.requires_grad());
}

}  // namespace

c10::optional<at::Tensor> SingleChannelConv2d(const at::Tensor& input, const at::Tensor& weight,
                                              const c10::optional<at::Tensor>& bias,
                                              at::IntArrayRef stride, at::IntArrayRef padding,
                                              at::IntArrayRef dilation, int64_t groups,
                                              bool relu, bool blocked) {
  if (!Qualifies(input, weight, bias, stride, padding, dilation, groups)) return c10::nullopt;
  // The output is channels-last when the input or the weight is, as libtorch's oneDNN
  // convolutions decide.
  OutputLayout layout = input.suggest_memory_format() == at::MemoryFormat::ChannelsLast ||
                                weight.suggest_memory_format() == at::MemoryFormat::ChannelsLast
                            ? OutputLayout::kChannelsLast
                            : OutputLayout::kContiguous;
  if (blocked && weight.size(0) % 16 == 0) layout = OutputLayout::kBlocked16;
  bool training = at::GradMode::is_enabled() &&
                  (weight.requires_grad() || (bias && bias->requires_grad()));
  if (!training) {
    return Forward(input, weight, bias, ShapeOf(input, weight, stride, padding, relu), layout);
  }
  std::vector<int64_t> geometry{stride[0], stride[1], padding[0], padding[1], relu ? 1 : 0};
  auto code = static_cast<int64_t>(layout);
  if (bias) return SingleChannelConvBias::apply(input, weight, *bias, geometry, code);
  return SingleChannelConv::apply(input, weight, geometry, code);
}

}  // namespace isbe
