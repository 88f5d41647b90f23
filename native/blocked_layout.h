// The 16-channel blocked layout in which convolutions hand activations to a following
// Winograd convolution.
#pragma once

#include <ATen/ATen.h>

#include <vector>

namespace isbe {

// Memory layouts of a convolution's output. kBlocked16 is a [batch, channels / 16, height,
// width, 16] tensor, the layout of oneDNN's Winograd kernels (nChw16c), which a following
// Winograd convolution reads without converting it.
enum class OutputLayout : int64_t { kContiguous, kChannelsLast, kBlocked16 };

// Returns the [batch, channels, height, width] sizes of a tensor, strided or blocked.
inline std::vector<int64_t> LogicalSizes(const at::Tensor& tensor) {
  if (tensor.dim() == 5) {
    return {tensor.size(0), tensor.size(1) * 16, tensor.size(2), tensor.size(3)};
  }
  return tensor.sizes().vec();
}

}  // namespace isbe
