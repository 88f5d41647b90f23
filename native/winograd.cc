// 3×3 stride-1 convolutions through oneDNN's Winograd F(4×4, 3×3) algorithm, with their
// own autograd backward. libtorch always requests direct convolutions from oneDNN; Winograd
// needs about 2.25 times fewer multiplications, which more than pays for converting the
// activations to and from the blocked layout that oneDNN's Winograd kernels use. Where a
// convolution feeds a Winograd one, it writes that layout directly and the conversions
// between them go away (Conv2dAuto's blockedOut).
//
// Compiled only when the oneDNN headers are present (Debian's libdnnl-dev, the same oneDNN
// that Debian's libtorch loads); otherwise Conv2dAuto always uses at::conv2d.
#include <ATen/ATen.h>

#include "winograd.h"

#include "blocked_layout.h"
#include "gate.h"
#include "spans.h"

#ifdef ISBE_WITH_DNNL
#include <ATen/Parallel.h>
#include <ATen/autocast_mode.h>
#include <dnnl.hpp>
#include <torch/csrc/autograd/custom_function.h>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <tuple>
#include <unordered_map>

#include <unistd.h>
#endif

namespace isbe {
namespace {

#ifdef ISBE_WITH_DNNL

using dnnl::memory;
using Tag = memory::format_tag;

// Shape of one convolution: batch, input and output channels, input height and width,
// padding, whether it has a bias, whether it is for training (with a backward), and
// whether its input and its output are in the 16-channel blocked layout (nChw16c, a
// [batch, channels / 16, height, width, 16] tensor) instead of channels-last.
using ConvKey = std::tuple<int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, bool,
                           bool, bool, bool>;

dnnl::engine& Engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

// The oneDNN primitives of one convolution shape, created once and reused: creating one
// compiles its kernels, which takes milliseconds.
struct ConvPlan {
  bool blockedIn, blockedOut;
  memory::desc userSrc, userWeights, userDst, bias;
  dnnl::convolution_forward::primitive_desc forwardDesc;
  dnnl::convolution_forward forward;
  std::optional<dnnl::convolution_backward_data::primitive_desc> dataDesc;
  std::optional<dnnl::convolution_backward_data> backwardData;
  std::optional<dnnl::convolution_backward_weights::primitive_desc> weightsDesc;
  std::optional<dnnl::convolution_backward_weights> backwardWeights;
};

std::mutex plansMutex;
std::map<ConvKey, std::shared_ptr<ConvPlan>> plans;

// Creates the plan for a shape, or returns null when oneDNN has no Winograd kernel for it
// on this CPU (the caller then uses libtorch's own convolution).
std::shared_ptr<ConvPlan> MakePlan(const ConvKey& key) {
  auto [n, ic, oc, h, w, ph, pw, hasBias, training, blockedIn, blockedOut] = key;
  int64_t oh = h + 2 * ph - 2, ow = w + 2 * pw - 2;
  auto f32 = memory::data_type::f32;
  auto plan = std::make_shared<ConvPlan>();

  plan->blockedIn = blockedIn, plan->blockedOut = blockedOut;
  plan->userSrc = memory::desc({n, ic, h, w}, f32, blockedIn ? Tag::nChw16c : Tag::nhwc);
  plan->userWeights = memory::desc({oc, ic, 3, 3}, f32, Tag::ohwi);
  plan->userDst = memory::desc({n, oc, oh, ow}, f32, blockedOut ? Tag::nChw16c : Tag::nhwc);
  plan->bias = hasBias ? memory::desc({oc}, f32, Tag::x) : memory::desc();

  memory::desc src({n, ic, h, w}, f32, Tag::any), weights({oc, ic, 3, 3}, f32, Tag::any);
  memory::desc dst({n, oc, oh, ow}, f32, Tag::any);
  memory::dims strides{1, 1}, padding{ph, pw};
  auto algorithm = dnnl::algorithm::convolution_winograd;
  // forward_inference would pick a special Winograd weight layout that oneDNN 2.6 cannot
  // reorder into from a plain layout, so inference uses the training kernel too.
  auto kind = dnnl::prop_kind::forward_training;
  // Each execution gets its scratchpad from libtorch's allocator, so cached plans keep no
  // large buffers alive (Winograd's scratchpad grows with the batch).
  dnnl::primitive_attr attributes;
  attributes.set_scratchpad_mode(dnnl::scratchpad_mode::user);

  try {
    dnnl::convolution_forward::desc forward(kind, algorithm, src, weights, plan->bias, dst, strides,
                                            padding, padding);
    plan->forwardDesc = dnnl::convolution_forward::primitive_desc(forward, attributes, Engine());
    plan->forward = dnnl::convolution_forward(plan->forwardDesc);
    if (training) {
      dnnl::convolution_backward_data::desc data(algorithm, src, weights, dst, strides, padding,
                                                 padding);
      plan->dataDesc.emplace(data, attributes, Engine(), plan->forwardDesc);
      plan->backwardData.emplace(*plan->dataDesc);
      dnnl::convolution_backward_weights::desc grads(algorithm, src, weights, plan->bias, dst,
                                                     strides, padding, padding);
      plan->weightsDesc.emplace(grads, attributes, Engine(), plan->forwardDesc);
      plan->backwardWeights.emplace(*plan->weightsDesc);
    }
  } catch (const dnnl::error&) {
    return nullptr;
  }
  return plan;
}

// Plans kept at most; a training needs about four (training and evaluation batch sizes,
// each with a smaller last batch), so the cache is emptied only when shapes keep changing.
constexpr size_t kMaxPlans = 64;

std::shared_ptr<ConvPlan> Plan(const ConvKey& key) {
  std::lock_guard<std::mutex> lock(plansMutex);
  auto found = plans.find(key);
  if (found != plans.end()) return found->second;
  if (plans.size() >= kMaxPlans) plans.clear();
  auto plan = MakePlan(key);
  plans.emplace(key, plan);
  return plan;
}

// A oneDNN memory over `tensor`'s data in the layout `desc`.
memory Wrap(const memory::desc& desc, const at::Tensor& tensor) {
  return memory(desc, Engine(), tensor.data_ptr());
}

// A buffer in libtorch memory for data in the layout `desc`.
at::Tensor Buffer(const memory::desc& desc) {
  return at::empty({static_cast<int64_t>(desc.get_size())}, at::kByte);
}

// `source` in the layout `target`: the same memory when the layouts agree, else a
// reordered copy whose storage `keep` receives.
memory Convert(dnnl::stream& stream, const memory& source, const memory::desc& target,
               at::Tensor& keep) {
  if (source.get_desc() == target) return source;
  keep = Buffer(target);
  memory from = source;  // reorder::execute takes non-const handles
  memory converted = Wrap(target, keep);
  dnnl::reorder(from, converted).execute(stream, from, converted);
  return converted;
}

// Writes `result` (in the primitive's layout) into `out` (in the user layout).
void Store(dnnl::stream& stream, memory result, memory out) {
  if (result.get_data_handle() == out.get_data_handle()) return;
  dnnl::reorder(result, out).execute(stream, result, out);
}

ConvKey KeyOf(const std::vector<int64_t>& input, const at::Tensor& weight, bool hasBias,
              at::IntArrayRef padding, bool training, bool blockedIn, bool blockedOut) {
  return {input[0],   input[1],   weight.size(0), input[2], input[3],  padding[0],
          padding[1], hasBias,    training,       blockedIn, blockedOut};
}

// Returns a new tensor of the given [batch, channels, height, width] dims, channels-last or
// blocked.
at::Tensor EmptyLike(const memory::dims& dims, bool blocked, const at::Tensor& like) {
  if (blocked) return at::empty({dims[0], dims[1] / 16, dims[2], dims[3], 16}, like.options());
  return at::empty({dims[0], dims[1], dims[2], dims[3]},
                   like.options().memory_format(at::MemoryFormat::ChannelsLast));
}

// Applies ReLU to every element of a blocked tensor, in place. Like at::relu, it keeps NaN.
void ReLUInPlace(const memory& blocked) {
  float* x = static_cast<float*>(blocked.get_data_handle());
  int64_t count = static_cast<int64_t>(blocked.get_desc().get_size() / sizeof(float));
  at::parallel_for(0, count, 16384, [=](int64_t begin, int64_t end) {
    ReLUSpan(x + begin, x + begin, end - begin);
  });
}

// The primitive's output memory: `out` itself when the layouts agree, else a buffer.
memory OutputMemory(const memory::desc& wanted, const memory& out, at::Tensor& keep) {
  if (wanted == out.get_desc()) return out;
  keep = Buffer(wanted);
  return Wrap(wanted, keep);
}

// Adds a scratchpad for one execution of a primitive to its arguments; `keep` owns it.
template <typename PrimitiveDesc>
void AddScratchpad(const PrimitiveDesc& desc, std::unordered_map<int, memory>& args,
                   at::Tensor& keep) {
  memory::desc scratchpad = desc.scratchpad_desc();
  if (scratchpad.get_size() == 0) return;
  keep = Buffer(scratchpad);
  args.insert({DNNL_ARG_SCRATCHPAD, Wrap(scratchpad, keep)});
}

// Returns the memory descriptor of 16-channel blocked data (nChw16c) of `tensor`'s dims.
memory::desc Blocked16(const at::Tensor& tensor) {
  return memory::desc(LogicalSizes(tensor), memory::data_type::f32, Tag::nChw16c);
}

// Calls body(blockedOffset, channelsLastOffset) for each run of 16 channels of one pixel,
// over the images in parallel. The offsets are in floats, for tensors of `like`'s dims.
template <typename Body>
void ForEachBlock(const at::Tensor& like, const Body& body) {
  const int64_t channels = like.size(1), pixels = like.size(2) * like.size(3);
  const int64_t blocks = channels / 16;
  at::parallel_for(0, like.size(0) * blocks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t item = begin; item < end; ++item) {
      const int64_t image = item / blocks, block = item % blocks;
      const int64_t from = image * pixels * channels + block * 16;
      for (int64_t p = 0; p < pixels; ++p) body(item * pixels * 16 + p * 16, from + p * channels);
    }
  });
}

// Writes ReLU of `blocked`, the nChw16c result, into the channels-last `output`: one pass
// instead of a reorder and a ReLU. Like at::relu, it keeps NaN.
void StoreReLU(const memory& blocked, at::Tensor& output) {
  const float* x = static_cast<const float*>(blocked.get_data_handle());
  float* y = output.data_ptr<float>();
  ForEachBlock(output, [=](int64_t b, int64_t c) { ReLUSpan(x + b, y + c, 16); });
}

// Runs the forward convolution, followed by ReLU when `relu` is set. `source` receives
// the input in the primitive's layout, which the weight gradient of a training step needs
// again.
at::Tensor RunForward(const ConvPlan& plan, const at::Tensor& input, const at::Tensor& weight,
                      const c10::optional<at::Tensor>& bias, bool relu,
                      at::Tensor* source = nullptr) {
  dnnl::stream stream(Engine());
  at::Tensor output = EmptyLike(plan.userDst.dims(), plan.blockedOut, input);
  at::Tensor srcBuffer, weightsBuffer, dstBuffer;
  const auto& desc = plan.forwardDesc;
  memory src = Convert(stream, Wrap(plan.userSrc, input), desc.src_desc(), srcBuffer);
  memory weights = Convert(stream, Wrap(plan.userWeights, weight), desc.weights_desc(), weightsBuffer);
  memory out = Wrap(plan.userDst, output);
  memory dst = OutputMemory(desc.dst_desc(), out, dstBuffer);
  std::unordered_map<int, memory> args{
      {DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, dst}};
  if (bias) args.insert({DNNL_ARG_BIAS, Wrap(plan.bias, *bias)});
  at::Tensor scratchpad;
  AddScratchpad(desc, args, scratchpad);
  plan.forward.execute(stream, args);
  if (relu && plan.blockedOut && dst.get_data_handle() == out.get_data_handle()) {
    stream.wait();
    ReLUInPlace(dst);
  } else if (relu && !plan.blockedOut && dst.get_desc() == Blocked16(output)) {
    stream.wait();
    StoreReLU(dst, output);
  } else {
    Store(stream, dst, out);
    stream.wait();
    if (relu) output.relu_();
  }
  if (source != nullptr) *source = srcBuffer.defined() ? srcBuffer : input;
  return output;
}

// Returns the gradient of a ReLU's input in the blocked layout `target`, computed in one
// pass from the gradient and output of the ReLU, both channels-last or both blocked. Like
// at::threshold_backward, it passes the gradient where the output is NaN. Returns null
// unless `target` is nChw16c.
std::optional<memory> MaskToBlocked(const at::Tensor& grad, const at::Tensor& output,
                                    const memory::desc& target, at::Tensor& keep) {
  if (target != Blocked16(output)) return std::nullopt;
  keep = Buffer(target);
  const float* g = grad.data_ptr<float>();
  const float* y = output.data_ptr<float>();
  float* blocked = reinterpret_cast<float*>(keep.data_ptr());
  if (grad.dim() == 5) {
    at::parallel_for(0, grad.numel(), 16384, [=](int64_t begin, int64_t end) {
      ReLUGradientSpan(g + begin, y + begin, blocked + begin, end - begin);
    });
  } else {
    ForEachBlock(grad, [=](int64_t b, int64_t c) {
      ReLUGradientSpan(g + c, y + c, blocked + b, 16);
    });
  }
  return Wrap(target, keep);
}

// Gradients of a training step: input (when wanted), weight and bias (when the
// convolution has one). `source` is the input as RunForward left it, in the forward
// primitive's layout. `reluOutput`, when defined, is the output of a ReLU that follows
// the convolution, and gradOutput is the gradient of that output. The output gradient is
// converted once when both backward primitives read it in the same layout.
torch::autograd::variable_list RunBackward(const ConvPlan& plan, at::Tensor gradOutput,
                                           const at::Tensor& source, const at::Tensor& weight,
                                           const at::Tensor& reluOutput, bool wantInput,
                                           bool hasBias) {
  dnnl::stream stream(Engine());
  const auto& dataDesc = *plan.dataDesc;
  const auto& weightsDesc = *plan.weightsDesc;
  at::Tensor gradDataBuffer, gradWeightsBuffer, srcBuffer, weightsBuffer, resultBuffer;
  std::optional<memory> masked;
  if (reluOutput.defined()) {
    masked = MaskToBlocked(gradOutput, reluOutput, dataDesc.diff_dst_desc(), gradDataBuffer);
    if (!masked) gradOutput = at::threshold_backward(gradOutput, reluOutput, 0);
  }
  memory userGrad = Wrap(plan.userDst, gradOutput);
  memory diffDst =
      masked ? *masked : Convert(stream, userGrad, dataDesc.diff_dst_desc(), gradDataBuffer);
  memory diffDstForWeights = weightsDesc.diff_dst_desc() == dataDesc.diff_dst_desc()
                                 ? diffDst
                                 : Convert(stream, diffDst, weightsDesc.diff_dst_desc(),
                                           gradWeightsBuffer);
  at::Tensor gradInput;
  if (wantInput) {
    gradInput = EmptyLike(plan.userSrc.dims(), plan.blockedIn, weight);
    memory weights = Convert(stream, Wrap(plan.userWeights, weight), dataDesc.weights_desc(),
                             weightsBuffer);
    memory out = Wrap(plan.userSrc, gradInput);
    memory diffSrc = OutputMemory(dataDesc.diff_src_desc(), out, resultBuffer);
    std::unordered_map<int, memory> dataArgs{
        {DNNL_ARG_DIFF_DST, diffDst}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DIFF_SRC, diffSrc}};
    at::Tensor scratchpad;
    AddScratchpad(dataDesc, dataArgs, scratchpad);
    plan.backwardData->execute(stream, dataArgs);
    Store(stream, diffSrc, out);
  }
  at::Tensor gradWeight = at::empty_like(weight, at::MemoryFormat::ChannelsLast);
  at::Tensor gradBias = hasBias ? at::empty({weight.size(0)}, weight.options()) : at::Tensor();
  memory src = Convert(stream, Wrap(plan.forwardDesc.src_desc(), source), weightsDesc.src_desc(),
                       srcBuffer);
  memory out = Wrap(plan.userWeights, gradWeight);
  at::Tensor weightsResult;
  memory diffWeights = OutputMemory(weightsDesc.diff_weights_desc(), out, weightsResult);
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src},
                                       {DNNL_ARG_DIFF_DST, diffDstForWeights},
                                       {DNNL_ARG_DIFF_WEIGHTS, diffWeights}};
  if (hasBias) args.insert({DNNL_ARG_DIFF_BIAS, Wrap(plan.bias, gradBias)});
  at::Tensor scratchpad;
  AddScratchpad(weightsDesc, args, scratchpad);
  plan.backwardWeights->execute(stream, args);
  Store(stream, diffWeights, out);
  stream.wait();
  if (hasBias) return {gradInput, gradWeight, gradBias};
  return {gradInput, gradWeight};
}

at::Tensor ChannelsLast(const at::Tensor& tensor) {
  return tensor.contiguous(at::MemoryFormat::ChannelsLast);
}

// Returns a channels-last or blocked tensor in the memory order that the plan's user
// layout expects.
at::Tensor InUserLayout(const at::Tensor& tensor) {
  return tensor.dim() == 5 ? tensor.contiguous() : ChannelsLast(tensor);
}

// Forward of the autograd functions below: saves what the backward needs, the input in
// the forward primitive's layout among it, and the output when ReLU follows.
at::Tensor ForwardAndSave(torch::autograd::AutogradContext* context, const at::Tensor& input,
                          const at::Tensor& weight, const c10::optional<at::Tensor>& bias,
                          const std::vector<int64_t>& padding, bool relu, bool blockedOut) {
  at::Tensor src = InUserLayout(input), weights = ChannelsLast(weight);
  std::vector<int64_t> sizes = LogicalSizes(src);
  auto plan = Plan(KeyOf(sizes, weights, bias.has_value(), padding, true, src.dim() == 5,
                         blockedOut));
  at::Tensor source;
  at::Tensor output = RunForward(*plan, src, weights, bias, relu, &source);
  if (relu) {
    context->save_for_backward({source, weights, output});
  } else {
    context->save_for_backward({source, weights});
  }
  context->saved_data["padding"] = padding;
  context->saved_data["inputSizes"] = sizes;
  context->saved_data["blocked"] = std::vector<int64_t>{src.dim() == 5, blockedOut};
  return output;
}

// Backward of the autograd functions below. The plan is found again in the cache by the
// saved shapes.
torch::autograd::variable_list Backward(torch::autograd::AutogradContext* context,
                                        const at::Tensor& gradOutput, bool hasBias) {
  auto saved = context->get_saved_variables();
  const at::Tensor& source = saved[0];
  const at::Tensor& weight = saved[1];
  bool relu = saved.size() > 2;  // ForwardAndSave keeps the output only for ReLU
  std::vector<int64_t> padding = context->saved_data["padding"].toIntVector();
  std::vector<int64_t> sizes = context->saved_data["inputSizes"].toIntVector();
  std::vector<int64_t> blocked = context->saved_data["blocked"].toIntVector();
  auto plan = Plan(KeyOf(sizes, weight, hasBias, padding, true, blocked[0], blocked[1]));
  at::Tensor reluOutput = relu ? saved[2] : at::Tensor();
  auto grads = RunBackward(*plan, InUserLayout(gradOutput), source, weight, reluOutput,
                           context->needs_input_grad(0), hasBias);
  grads.push_back(at::Tensor());  // padding
  grads.push_back(at::Tensor());  // relu
  grads.push_back(at::Tensor());  // blockedOut
  return grads;
}

// The convolution as an autograd function, one for each bias case because libtorch 1.13's
// custom functions accept no undefined tensor arguments.
struct WinogradConv : public torch::autograd::Function<WinogradConv> {
  static at::Tensor forward(torch::autograd::AutogradContext* context, const at::Tensor& input,
                            const at::Tensor& weight, std::vector<int64_t> padding, bool relu,
                            bool blockedOut) {
    return ForwardAndSave(context, input, weight, c10::nullopt, padding, relu, blockedOut);
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* context,
                                                 torch::autograd::variable_list grads) {
    return Backward(context, grads[0], false);
  }
};

struct WinogradConvBias : public torch::autograd::Function<WinogradConvBias> {
  static at::Tensor forward(torch::autograd::AutogradContext* context, const at::Tensor& input,
                            const at::Tensor& weight, const at::Tensor& bias,
                            std::vector<int64_t> padding, bool relu, bool blockedOut) {
    return ForwardAndSave(context, input, weight, bias, padding, relu, blockedOut);
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* context,
                                                 torch::autograd::variable_list grads) {
    return Backward(context, grads[0], true);
  }
};

// Whether a convolution should use Winograd: float32 on the CPU, 3×3, stride 1, no
// dilation, one group, channel counts that oneDNN's blocked layout accepts, at least one
// image (an empty training batch crashed oneDNN with SIGFPE), and an output that is small
// enough (SmallOutput). `sizes` are the input's [batch, channels, height, width].
bool Eligible(const std::vector<int64_t>& sizes, const at::Tensor& input, const at::Tensor& weight,
              at::IntArrayRef stride, at::IntArrayRef dilation, int64_t groups) {
  return input.device().is_cpu() && input.scalar_type() == at::kFloat &&
         weight.scalar_type() == at::kFloat && sizes.size() == 4 && sizes[0] > 0 &&
         weight.dim() == 4 &&
         weight.size(2) == 3 && weight.size(3) == 3 && weight.size(1) == sizes[1] &&
         stride[0] == 1 && stride[1] == 1 && dilation[0] == 1 && dilation[1] == 1 &&
         groups == 1 && sizes[1] % 16 == 0 && weight.size(0) % 16 == 0 &&
         !at::autocast::is_cpu_enabled();
}

// The largest output, in pixels, for which Winograd is used. On larger maps the layout
// conversions cost more than Winograd saves, and where that happens depends on the CPU. In
// N1 on a 2-core AMD EPYC (Zen 4, 1 MiB L2 per core) Winograd cut the step by about 14 ms on
// the 10×10 and 8×8 outputs but added about 5 ms on the 24×24 one. On a 2-core Intel Xeon
// with 2 MiB L2 per core it saved about 2.5 ms on the 24×24 one. The limit follows the L2
// size, the difference between the two that we suspect matters; other CPUs are untested.
int64_t LargestWinogradOutput() {
  static const int64_t largest = sysconf(_SC_LEVEL2_CACHE_SIZE) >= (2 << 20) ? 24 * 24 : 16 * 16;
  return largest;
}

bool SmallOutput(const std::vector<int64_t>& sizes, at::IntArrayRef padding) {
  int64_t height = sizes[2] + 2 * padding[0] - 2, width = sizes[3] + 2 * padding[1] - 2;
  return height >= 1 && width >= 1 && height * width <= LargestWinogradOutput();
}

bool BiasFits(const c10::optional<at::Tensor>& bias, const at::Tensor& weight) {
  return !bias || (bias->dim() == 1 && bias->size(0) == weight.size(0) &&
                   bias->scalar_type() == at::kFloat);
}

bool PaddingFits(at::IntArrayRef padding) {
  return padding[0] >= 0 && padding[1] >= 0 && padding[0] <= 2 && padding[1] <= 2;
}

bool IsTraining(const at::Tensor& input, const at::Tensor& weight,
                const c10::optional<at::Tensor>& bias) {
  return at::GradMode::is_enabled() &&
         (input.requires_grad() || weight.requires_grad() || (bias && bias->requires_grad()));
}

// Returns the Winograd plan for this convolution, or null when it should use libtorch's.
std::shared_ptr<ConvPlan> PlanFor(const std::vector<int64_t>& sizes, const at::Tensor& input,
                                  const at::Tensor& weight, const c10::optional<at::Tensor>& bias,
                                  at::IntArrayRef stride, at::IntArrayRef padding,
                                  at::IntArrayRef dilation, int64_t groups, bool training,
                                  bool blockedIn, bool blockedOut) {
  if (!BiasFits(bias, weight) || !PaddingFits(padding) ||
      !Eligible(sizes, input, weight, stride, dilation, groups) || !SmallOutput(sizes, padding)) {
    return nullptr;
  }
  return Plan(KeyOf(sizes, weight, bias.has_value(), padding, training, blockedIn, blockedOut));
}

#endif  // ISBE_WITH_DNNL

}  // namespace

at::Tensor Conv2dAuto(const at::Tensor& input, const at::Tensor& weight,
                      const c10::optional<at::Tensor>& bias, at::IntArrayRef stride,
                      at::IntArrayRef padding, at::IntArrayRef dilation, int64_t groups,
                      bool relu, bool blockedOut) {
#ifdef ISBE_WITH_DNNL
  std::vector<int64_t> sizes = LogicalSizes(input);
  bool training = IsTraining(input, weight, bias);
  bool blockedIn = input.dim() == 5;
  auto plan = PlanFor(sizes, input, weight, bias, stride, padding, dilation, groups, training,
                      blockedIn, blockedOut);
  if (plan) {
    std::vector<int64_t> pads(padding.begin(), padding.end());
    at::Tensor output;
    if (training && bias) {
      output = WinogradConvBias::apply(input, weight, *bias, pads, relu, blockedOut);
    } else if (training) {
      output = WinogradConv::apply(input, weight, pads, relu, blockedOut);
    } else {
      output = RunForward(*plan, InUserLayout(input), ChannelsLast(weight), bias, relu);
    }
    // The output is channels-last or blocked. libtorch returns NCHW unless an argument is
    // channels-last, so this does the same, and a blocked input counts as neither.
    bool channelsLast = blockedOut ||
                        input.suggest_memory_format() == at::MemoryFormat::ChannelsLast ||
                        weight.suggest_memory_format() == at::MemoryFormat::ChannelsLast;
    return channelsLast ? output : output.contiguous();
  }
  if (blockedIn) {
    return Conv2dAuto(FromBlocked16(input), weight, bias, stride, padding, dilation, groups, relu,
                      false);
  }
#endif
  at::Tensor output = at::conv2d(input, weight, bias, stride, padding, dilation, groups);
  return relu ? output.relu_() : output;
}

bool WinogradTakes(const std::vector<int64_t>& sizes, const at::Tensor& like,
                   const at::Tensor& weight, const c10::optional<at::Tensor>& bias,
                   at::IntArrayRef stride, at::IntArrayRef padding, bool training) {
#ifdef ISBE_WITH_DNNL
  std::vector<int64_t> dilation{1, 1};
  return PlanFor(sizes, like, weight, bias, stride, padding, dilation, 1, training, true,
                 false) != nullptr;
#else
  return false;
#endif
}

at::Tensor FromBlocked16(const at::Tensor& blocked) {
  int64_t batch = blocked.size(0), height = blocked.size(2), width = blocked.size(3);
  return blocked.permute({0, 2, 3, 1, 4})
      .reshape({batch, height, width, blocked.size(1) * 16})
      .permute({0, 3, 1, 2});
}

bool WinogradAvailable() {
#ifdef ISBE_WITH_DNNL
  return true;
#else
  return false;
#endif
}

namespace {

bool IsWinogradAvailable(const Args&) { return WinogradAvailable(); }

}  // namespace

void RegisterWinogradOps(Napi::Env env, Napi::Object exports) {
  Bind(env, exports, "winogradAvailable", IsWinogradAvailable);
}

}  // namespace isbe
