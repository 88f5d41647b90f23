// Flattening [N, C, H, W] to [N, C·H·W] with a backward that keeps the input's memory
// format. The built-in flatten of a channels_last tensor returns its gradient in the
// contiguous format, and every element-wise backward op before it (ReLU, dropout) then
// mixes two formats, which libtorch runs on a slow strided path, up to 20 times slower.
#include <ATen/ATen.h>
#include <torch/csrc/autograd/custom_function.h>

#include "gate.h"

namespace isbe {
namespace {

struct FlattenKeepingFormat : public torch::autograd::Function<FlattenKeepingFormat> {
  static at::Tensor forward(torch::autograd::AutogradContext* context, const at::Tensor& input) {
    context->saved_data["sizes"] = input.sizes().vec();
    bool channelsLast = input.suggest_memory_format() == at::MemoryFormat::ChannelsLast;
    context->saved_data["channelsLast"] = channelsLast;
    // The size of the rest, spelled out: reshape cannot infer -1 for an empty batch.
    int64_t rest = input.size(1) * input.size(2) * input.size(3);
    return input.reshape({input.size(0), rest});
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* context,
                                                 torch::autograd::variable_list grads) {
    std::vector<int64_t> sizes = context->saved_data["sizes"].toIntVector();
    at::Tensor grad = grads[0].reshape(sizes);
    if (context->saved_data["channelsLast"].toBool()) {
      grad = grad.contiguous(at::MemoryFormat::ChannelsLast);
    }
    return {grad};
  }
};

// flattenBatch(input): [N, ...] to [N, rest]; a 4-D input keeps its memory format in the
// backward.
at::Tensor FlattenBatch(const Args& args) {
  const at::Tensor& input = args.tensor(0, "input");
  if (input.dim() == 0) args.rangeError("input must have a batch dimension");
  if (input.dim() != 4 || !input.requires_grad()) return input.flatten(1);
  return FlattenKeepingFormat::apply(input);
}

}  // namespace

void RegisterFlattenOps(Napi::Env env, Napi::Object exports) {
  Bind(env, exports, "flattenBatch", FlattenBatch);
}

}  // namespace isbe
