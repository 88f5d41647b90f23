// Convolutions that use oneDNN's Winograd algorithm where it is faster (winograd.cc).
#pragma once

#include <ATen/ATen.h>

namespace isbe {

// at::conv2d, followed by ReLU when `relu` is set, except that eligible float32 3×3
// stride-1 convolutions on small maps run through oneDNN's Winograd kernels, forward and
// backward, with the ReLU applied in the pass that converts the output. The input may be
// a blocked tensor [batch, channels / 16, height, width, 16] (OutputLayout::kBlocked16).
// With `blockedOut`, a Winograd convolution writes its output in that layout too, and any
// other returns a channels-last one.
at::Tensor Conv2dAuto(const at::Tensor& input, const at::Tensor& weight,
                      const c10::optional<at::Tensor>& bias, at::IntArrayRef stride,
                      at::IntArrayRef padding, at::IntArrayRef dilation, int64_t groups,
                      bool relu, bool blockedOut = false);

// Returns whether Conv2dAuto would run a convolution with this weight, bias, stride and padding
// (and no dilation or groups) through Winograd, reading a blocked input of `sizes` [batch,
// channels, height, width] and the dtype of `like`. If so, the layer before it writes its
// output blocked.
bool WinogradTakes(const std::vector<int64_t>& sizes, const at::Tensor& like,
                   const at::Tensor& weight, const c10::optional<at::Tensor>& bias,
                   at::IntArrayRef stride, at::IntArrayRef padding, bool training);

// Converts a blocked tensor to a channels-last [batch, channels, height, width] one, through
// differentiable libtorch operations.
at::Tensor FromBlocked16(const at::Tensor& blocked);

// Whether the addon was built with oneDNN's headers, and so with Winograd convolutions.
bool WinogradAvailable();

}  // namespace isbe
