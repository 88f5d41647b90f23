/** The layers the paper's networks use, as torch.nn modules. */
import { native } from '../native/load.js';
import { Generator } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { typeName, valueText } from '../util/type-name.js';
import { type ConvAlgorithm, conv2d, dropout, linear, maxPool2d } from './functional.js';
import { defaultBias, defaultWeight } from './init.js';
import { Module } from './module.js';

export interface Conv2dOptions {
  inChannels: number;
  outChannels: number;
  kernelSize: number;
  stride?: number;
  padding?: number;
  bias?: boolean;
  /** Generator for the initial weights; libtorch's default generator when omitted. */
  generator?: Generator;
  /** 'auto' (default) lets eligible convolutions use Winograd; see functional.conv2d. */
  algorithm?: ConvAlgorithm;
}

/** 2-D convolution over [N, C, H, W] with a square kernel. */
export class Conv2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | undefined;
  readonly stride: number;
  readonly padding: number;
  readonly algorithm: ConvAlgorithm;

  constructor(options: Conv2dOptions) {
    super();
    requireOptions('Conv2d', options, '{ inChannels: 1, outChannels: 32, kernelSize: 3 }');
    const { inChannels, outChannels, kernelSize, stride = 1, padding = 0 } = options;
    for (const [name, value] of Object.entries({ inChannels, outChannels, kernelSize, stride })) {
      requirePositiveInteger(`Conv2d ${name}`, value);
    }
    if (!Number.isInteger(padding) || padding < 0) {
      throw new RangeError(
        `Conv2d padding must be a non-negative integer, got ${valueText(padding)}`,
      );
    }
    const { algorithm = 'auto', generator } = options;
    if (algorithm !== 'auto' && algorithm !== 'direct') {
      throw new RangeError(
        `Conv2d algorithm must be 'auto' or 'direct', got ${valueText(algorithm)}`,
      );
    }
    requireGenerator('Conv2d', generator);
    requireOptionalBoolean('Conv2d bias', options.bias);
    const shape = [outChannels, inChannels, kernelSize, kernelSize];
    this.weight = this.registerParameter('weight', defaultWeight(shape, options.generator));
    const fanIn = inChannels * kernelSize * kernelSize;
    this.bias =
      options.bias === false
        ? undefined
        : this.registerParameter('bias', defaultBias(outChannels, fanIn, options.generator));
    this.stride = stride;
    this.padding = padding;
    this.algorithm = algorithm;
  }

  forward(input: Tensor): Tensor {
    return this.convolve(input, 'none');
  }

  /** Computes the convolution followed by ReLU, fused into one operation where possible. */
  forwardReLU(input: Tensor): Tensor {
    return this.convolve(input, 'relu');
  }

  private convolve(input: Tensor, activation: 'none' | 'relu'): Tensor {
    const { stride, padding, algorithm } = this;
    return conv2d(input, this.weight, this.bias, { stride, padding, algorithm, activation });
  }

  /**
   * The convolution as Sequential runs it, linked to the convolution `next` that follows
   * it. When `next` will use Winograd, the output comes in the 16-channel blocks of
   * oneDNN's Winograd kernels, [N, C / 16, H, W, 16], which `next` reads as they are
   * (inputBlocked), instead of a layout conversion on each side. Such a tensor is only
   * ever passed from one convolution to the next.
   */
  forwardLinked(
    input: Tensor,
    activation: 'none' | 'relu',
    inputBlocked: boolean,
    next: Conv2d | undefined,
  ): Tensor {
    const { stride, padding, algorithm } = this;
    // The addon decides which convolutions use Winograd from their shapes; a follower set
    // to the direct algorithm never does.
    const linked = next?.algorithm === 'auto' ? next : undefined;
    const out = native.conv2d(
      input.handle,
      this.weight.handle,
      this.bias?.handle,
      [stride, stride],
      [padding, padding],
      [1, 1],
      1,
      algorithm,
      activation,
      inputBlocked,
      linked?.weight.handle,
      linked?.bias?.handle,
      linked === undefined ? undefined : [linked.padding, linked.padding],
      linked === undefined ? undefined : [linked.stride, linked.stride],
    );
    return new Tensor(out);
  }
}

export interface LinearOptions {
  inFeatures: number;
  outFeatures: number;
  bias?: boolean;
  generator?: Generator;
}

/** Affine map x Wᵀ + b over the last dimension. */
export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | undefined;

  constructor(options: LinearOptions) {
    super();
    requireOptions('Linear', options, '{ inFeatures: 512, outFeatures: 10 }');
    requireGenerator('Linear', options.generator);
    requireOptionalBoolean('Linear bias', options.bias);
    const { inFeatures, outFeatures } = options;
    requirePositiveInteger('Linear inFeatures', inFeatures);
    requirePositiveInteger('Linear outFeatures', outFeatures);
    const shape = [outFeatures, inFeatures];
    this.weight = this.registerParameter('weight', defaultWeight(shape, options.generator));
    this.bias =
      options.bias === false
        ? undefined
        : this.registerParameter('bias', defaultBias(outFeatures, inFeatures, options.generator));
  }

  forward(input: Tensor): Tensor {
    return linear(input, this.weight, this.bias);
  }
}

/** Dropout with probability p while training; identity in evaluation mode. */
export class Dropout extends Module {
  constructor(
    readonly p: number,
    readonly generator?: Generator,
  ) {
    super();
    if (typeof p !== 'number' || !(p >= 0 && p < 1)) {
      throw new RangeError(`Dropout p must be a number in [0, 1), got ${valueText(p)}`);
    }
    requireGenerator('Dropout', generator);
  }

  forward(input: Tensor): Tensor {
    return dropout(input, this.p, { training: this.training, generator: this.generator });
  }
}

/**
 * ReLU. With `inplace`, it overwrites its input, which saves a pass over memory when the
 * input is a fresh layer output that nothing else reads.
 */
export class ReLU extends Module {
  constructor(readonly inplace = false) {
    super();
    requireOptionalBoolean('ReLU inplace', inplace);
  }

  forward(input: Tensor): Tensor {
    return this.inplace ? input.relu_() : input.relu();
  }
}

/** Flattens dimensions startDim..endDim, by default all but the batch dimension. */
export class Flatten extends Module {
  constructor(
    readonly startDim = 1,
    readonly endDim = -1,
  ) {
    super();
  }

  /**
   * Flattens; the usual [N, C, H, W] to [N, C·H·W] case returns its gradient in the
   * input's memory format, which keeps the backward of the layers before it fast.
   */
  forward(input: Tensor): Tensor {
    const wholeSample =
      this.startDim === 1 && (this.endDim === -1 || this.endDim === input.ndim - 1);
    if (wholeSample && input.ndim === 4) return new Tensor(native.flattenBatch(input.handle));
    return input.flatten(this.startDim, this.endDim);
  }
}

/** Max pooling with a square window; the stride defaults to the window size. */
export class MaxPool2d extends Module {
  constructor(
    readonly kernelSize: number,
    readonly stride = kernelSize,
  ) {
    super();
    requirePositiveInteger('MaxPool2d kernelSize', kernelSize);
    requirePositiveInteger('MaxPool2d stride', stride);
  }

  forward(input: Tensor): Tensor {
    return maxPool2d(input, this.kernelSize, { stride: this.stride });
  }
}

/** Modules applied in order; children are named "0", "1", ... as in PyTorch. */
export class Sequential extends Module {
  readonly layers: readonly Module[];

  constructor(layers: readonly Module[]) {
    super();
    if (!Array.isArray(layers)) {
      throw new TypeError('Sequential takes an array of modules, such as [new nn.ReLU()]');
    }
    layers.forEach((layer: unknown, index) => {
      if (!(layer instanceof Module)) {
        throw new TypeError(`Sequential layer ${index} must be a Module, got ${typeName(layer)}`);
      }
    });
    this.layers = layers;
    layers.forEach((layer, index) => this.registerModule(String(index), layer));
  }

  /**
   * Runs the layers in order. A Conv2d directly followed by a ReLU runs as one fused
   * operation, with the same result. A Conv2d followed by another (after its ReLU, if any)
   * hands its output over in the layout that the second one computes in, when that one
   * uses Winograd (Conv2d.forwardLinked). Intermediate outputs are freed as soon as the
   * next layer has consumed them; autograd keeps what backward() needs on its own.
   */
  forward(input: Tensor): Tensor {
    if (!(input instanceof Tensor)) {
      throw new TypeError(`Sequential.forward takes a Tensor, got ${typeName(input)}`);
    }
    let output = input;
    let blocked = false;
    for (let i = 0; i < this.layers.length; i++) {
      const layer = this.layers[i]!;
      let result: Tensor;
      if (layer instanceof Conv2d) {
        const relu = this.layers[i + 1] instanceof ReLU;
        const following = this.layers[i + (relu ? 2 : 1)];
        const next = following instanceof Conv2d ? following : undefined;
        result = layer.forwardLinked(output, relu ? 'relu' : 'none', blocked, next);
        blocked = next !== undefined && result.ndim === 5;
        if (relu) i++;
      } else {
        result = layer.forward(output);
      }
      if (output !== input && result !== output) output.dispose();
      output = result;
    }
    return output;
  }
}

function requirePositiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive integer, got ${valueText(value)}`);
  }
}

function requireOptions(layer: string, options: unknown, example: string): void {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`${layer} takes an options object, such as ${example}`);
  }
}

function requireGenerator(layer: string, generator: unknown): void {
  if (generator !== undefined && !(generator instanceof Generator)) {
    throw new TypeError(`${layer} generator must be a Generator, got ${typeName(generator)}`);
  }
}

function requireOptionalBoolean(name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'boolean') {
    throw new TypeError(`${name} must be true or false, got ${valueText(value)}`);
  }
}
