// Convolutions whose kernel covers the whole input, computed as one matrix product
// (full_kernel_conv.cc).
#pragma once

#include <ATen/ATen.h>

namespace isbe {

// Computes at::conv2d, followed by ReLU when `relu` is set, as at::linear on the flattened
// input when the kernel has the input's height and width and there is no padding. The
// output is then 1×1 and the layer a fully connected one, which a matrix product computes
// several times faster than a convolution kernel. Returns nullopt for any other convolution.
c10::optional<at::Tensor> FullKernelConv2d(const at::Tensor& input, const at::Tensor& weight,
                                           const c10::optional<at::Tensor>& bias,
                                           at::IntArrayRef padding, at::IntArrayRef dilation,
                                           int64_t groups, bool relu);

}  // namespace isbe
