// Convolutions that use oneDNN's Winograd algorithm where it is faster (winograd.cc).
#pragma once

#include <ATen/ATen.h>

namespace isbe {

// at::conv2d, followed by ReLU when `relu` is set, except that eligible float32 3×3
// stride-1 convolutions on small maps run through oneDNN's Winograd kernels, forward and
// backward, with the ReLU applied in the pass that converts the output.
at::Tensor Conv2dAuto(const at::Tensor& input, const at::Tensor& weight,
                      const c10::optional<at::Tensor>& bias, at::IntArrayRef stride,
                      at::IntArrayRef padding, at::IntArrayRef dilation, int64_t groups,
                      bool relu);

// Whether the addon was built with oneDNN's headers, and so with Winograd convolutions.
bool WinogradAvailable();

}  // namespace isbe
