#include "full_kernel_conv.h"

#include <ATen/autocast_mode.h>

namespace isbe {
namespace {

// Returns whether the convolution has a 1×1 output that covers every input pixel once.
bool CoversInput(const at::Tensor& input, const at::Tensor& weight, at::IntArrayRef padding,
                 at::IntArrayRef dilation, int64_t groups) {
  if (input.dim() != 4 || weight.dim() != 4 || groups != 1 || input.size(0) == 0) return false;
  if (input.size(1) != weight.size(1) || weight.size(0) == 0 || weight.size(1) == 0) {
    return false;
  }
  for (int64_t d = 0; d < 2; ++d) {
    int64_t kernel = weight.size(2 + d);
    if (input.size(2 + d) != kernel || padding[d] != 0 || (kernel > 1 && dilation[d] != 1)) {
      return false;
    }
  }
  return true;
}

// Returns whether libtorch has a CPU matrix product for the dtypes: float32, float64 and
// bfloat16. Under autocast it casts to bfloat16 itself.
bool SupportedTypes(const at::Tensor& input, const at::Tensor& weight) {
  if (!input.device().is_cpu() || !weight.device().is_cpu()) return false;
  if (at::autocast::is_cpu_enabled()) return true;
  at::ScalarType type = input.scalar_type();
  return type == weight.scalar_type() &&
         (type == at::kFloat || type == at::kDouble || type == at::kBFloat16);
}

// Flattens each image of a batch in the order of its memory, so that no copy is needed, and
// the weight in the same order.
std::pair<at::Tensor, at::Tensor> Flatten(const at::Tensor& input, const at::Tensor& weight) {
  int64_t batch = input.size(0), outputs = weight.size(0);
  if (input.suggest_memory_format() == at::MemoryFormat::ChannelsLast) {
    return {input.permute({0, 2, 3, 1}).reshape({batch, -1}),
            weight.permute({0, 2, 3, 1}).reshape({outputs, -1})};
  }
  return {input.reshape({batch, -1}), weight.reshape({outputs, -1})};
}

}  // namespace

c10::optional<at::Tensor> FullKernelConv2d(const at::Tensor& input, const at::Tensor& weight,
                                           const c10::optional<at::Tensor>& bias,
                                           at::IntArrayRef padding, at::IntArrayRef dilation,
                                           int64_t groups, bool relu) {
  if (!CoversInput(input, weight, padding, dilation, groups) || !SupportedTypes(input, weight)) {
    return c10::nullopt;
  }
  if (bias && (bias->dim() != 1 || bias->size(0) != weight.size(0))) return c10::nullopt;
  auto [rows, matrix] = Flatten(input, weight);
  at::Tensor output = at::linear(rows, matrix, bias);
  if (relu) output.relu_();
  return output.view({input.size(0), weight.size(0), 1, 1});
}

}  // namespace isbe
