// Convolutions of one-channel images, computed directly (single_channel_conv.cc).
#pragma once

#include <ATen/ATen.h>

#include "blocked_layout.h"

namespace isbe {

// Computes at::conv2d of a float32 input with one channel in one pass over the images, with
// its own backward for the weight and bias, followed by ReLU when `relu` is set. With
// `blocked`, the output is in OutputLayout::kBlocked16 when the filter count is a multiple
// of 16. Returns nullopt for any other convolution: more channels, groups, dilation,
// another dtype, or an input that needs its own gradient.
c10::optional<at::Tensor> SingleChannelConv2d(const at::Tensor& input, const at::Tensor& weight,
                                              const c10::optional<at::Tensor>& bias,
                                              at::IntArrayRef stride, at::IntArrayRef padding,
                                              at::IntArrayRef dilation, int64_t groups,
                                              bool relu, bool blocked = false);

}  // namespace isbe
