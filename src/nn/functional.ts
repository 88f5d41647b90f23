/** Functional forms of layers and losses, as torch.nn.functional. */
import type { NativeTensor, Reduction } from '../native/addon.js';
import { native } from '../native/load.js';
import type { Generator } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { typeName } from '../util/type-name.js';

export type { Reduction };

type Pair = number | readonly [number, number];

function pair(value: Pair): readonly number[] {
  return typeof value === 'number' ? [value, value] : value;
}

// The native handle of a tensor argument; anything else is a TypeError that names it.
function handleOf(op: string, name: string, value: unknown): NativeTensor {
  if (value instanceof Tensor) return value.handle;
  throw new TypeError(`${op}: argument '${name}' must be a Tensor, got ${typeName(value)}`);
}

function optionalHandle(op: string, name: string, value: unknown): NativeTensor | undefined {
  return value === undefined ? undefined : handleOf(op, name, value);
}

/**
 * How a convolution is computed. 'auto' uses oneDNN's Winograd algorithm for float32 3×3
 * stride-1 convolutions with channel counts divisible by 16. It computes float32
 * convolutions of one-channel inputs that need no input gradient (a first layer on grey
 * images) with the addon's own kernel, in float32 also under bf16 autocast. It computes a
 * convolution whose kernel covers its whole input, with no padding, as a matrix product.
 * Otherwise it uses libtorch's convolution. Results differ from the direct algorithm by rounding: about
 * 1e−6 relative for outputs, and up to about 3e−5 for weight gradients summed over
 * thousands of images, where direct's float32 sums drift more. A NaN or infinity in the
 * input of a Winograd convolution reaches every output of the 4×4 output tiles whose
 * input contains it, not only the outputs it feeds. 'direct' always uses libtorch's
 * convolution, as PyTorch does.
 */
export type ConvAlgorithm = 'auto' | 'direct';

export interface Conv2dOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
  algorithm?: ConvAlgorithm;
  /**
   * 'relu' applies ReLU to the output, the same as calling relu() after the convolution.
   * With the 'auto' algorithm the one-channel and Winograd kernels apply it in the pass
   * that writes the output and fold its gradient into their backward, which saves passes
   * over memory. 'none' by default.
   */
  activation?: 'none' | 'relu';
}

/** 2-D convolution of input [N, C, H, W] with weight [O, C / groups, kH, kW]. */
export function conv2d(input: Tensor, weight: Tensor, bias?: Tensor, options: Conv2dOptions = {}) {
  const { stride = 1, padding = 0, dilation = 1, groups = 1, algorithm = 'auto' } = options ?? {};
  const { activation = 'none' } = options ?? {};
  const out = native.conv2d(
    handleOf('conv2d', 'input', input),
    handleOf('conv2d', 'weight', weight),
    optionalHandle('conv2d', 'bias', bias),
    pair(stride),
    pair(padding),
    pair(dilation),
    groups,
    algorithm,
    activation,
  );
  return new Tensor(out);
}

/** x Wᵀ + b for input [..., in] and weight [out, in]. */
export function linear(input: Tensor, weight: Tensor, bias?: Tensor): Tensor {
  return new Tensor(
    native.linear(
      handleOf('linear', 'input', input),
      handleOf('linear', 'weight', weight),
      optionalHandle('linear', 'bias', bias),
    ),
  );
}

/** Max pooling over [N, C, H, W]; the stride defaults to the kernel size. */
export function maxPool2d(
  input: Tensor,
  kernelSize: Pair,
  options: { stride?: Pair; padding?: Pair } = {},
): Tensor {
  const { stride = kernelSize, padding = 0 } = options;
  const out = native.maxPool2d(
    handleOf('maxPool2d', 'input', input),
    pair(kernelSize),
    pair(stride),
    pair(padding),
  );
  return new Tensor(out);
}

/**
 * Zeroes each element with probability p and scales the others by 1 / (1 - p) while
 * training; returns the input unchanged otherwise. The mask comes from a counter-based
 * hash seeded by the generator (the default one when omitted), so it differs from
 * torch.dropout's mask for the same seed while having the same distribution.
 */
export function dropout(
  input: Tensor,
  p: number,
  options: { training?: boolean; generator?: Generator } = {},
): Tensor {
  const { training = true, generator } = options;
  return new Tensor(
    native.dropout(handleOf('dropout', 'input', input), p, training, generator?.handle),
  );
}

export interface CrossEntropyOptions {
  reduction?: Reduction;
  /** Weight of each class, shape [K]. */
  weight?: Tensor;
  /** Target class index whose rows are left out of the loss and its mean. */
  ignoreIndex?: number;
  /** Share of the target mass spread uniformly over the K classes. */
  labelSmoothing?: number;
}

/**
 * Cross-entropy of logits [N, K] against class indices [N] (int64) or class probabilities
 * [N, K], with PyTorch's semantics for weights, ignoreIndex and labelSmoothing.
 */
export function crossEntropy(
  input: Tensor,
  target: Tensor,
  options: CrossEntropyOptions = {},
): Tensor {
  const { reduction = 'mean', weight, ignoreIndex = -100, labelSmoothing = 0 } = options;
  const out = native.crossEntropy(
    handleOf('crossEntropy', 'input', input),
    handleOf('crossEntropy', 'target', target),
    optionalHandle('crossEntropy', 'weight', weight),
    reduction,
    ignoreIndex,
    labelSmoothing,
  );
  return new Tensor(out);
}

/** Mean (or summed) squared difference. */
export function mseLoss(input: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  return new Tensor(
    native.mseLoss(
      handleOf('mseLoss', 'input', input),
      handleOf('mseLoss', 'target', target),
      reduction,
    ),
  );
}

/** Binary cross-entropy of sigmoid(input) against targets in [0, 1], computed stably. */
export function binaryCrossEntropyWithLogits(
  input: Tensor,
  target: Tensor,
  options: { weight?: Tensor; posWeight?: Tensor; reduction?: Reduction } = {},
): Tensor {
  const { weight, posWeight, reduction = 'mean' } = options;
  const out = native.binaryCrossEntropyWithLogits(
    handleOf('binaryCrossEntropyWithLogits', 'input', input),
    handleOf('binaryCrossEntropyWithLogits', 'target', target),
    optionalHandle('binaryCrossEntropyWithLogits', 'weight', weight),
    optionalHandle('binaryCrossEntropyWithLogits', 'posWeight', posWeight),
    reduction,
  );
  return new Tensor(out);
}

/** Huber loss: squared below delta, linear above. */
export function huberLoss(
  input: Tensor,
  target: Tensor,
  options: { reduction?: Reduction; delta?: number } = {},
): Tensor {
  const { reduction = 'mean', delta = 1 } = options;
  return new Tensor(
    native.huberLoss(
      handleOf('huberLoss', 'input', input),
      handleOf('huberLoss', 'target', target),
      reduction,
      delta,
    ),
  );
}

/** Sampling grid [N, H, W, 2] for the affine maps theta [N, 2, 3] and output size [N, C, H, W]. */
export function affineGrid(
  theta: Tensor,
  size: readonly number[],
  options: { alignCorners?: boolean } = {},
): Tensor {
  return new Tensor(
    native.affineGrid(handleOf('affineGrid', 'theta', theta), size, options.alignCorners ?? false),
  );
}

export interface GridSampleOptions {
  mode?: 'bilinear' | 'nearest' | 'bicubic';
  paddingMode?: 'zeros' | 'border' | 'reflection';
  alignCorners?: boolean;
}

/** Samples input [N, C, H, W] at the grid's [N, H', W', 2] coordinates in [-1, 1]. */
export function gridSample(input: Tensor, grid: Tensor, options: GridSampleOptions = {}) {
  const { mode = 'bilinear', paddingMode = 'zeros', alignCorners = false } = options;
  return new Tensor(
    native.gridSample(
      handleOf('gridSample', 'input', input),
      handleOf('gridSample', 'grid', grid),
      mode,
      paddingMode,
      alignCorners,
    ),
  );
}
