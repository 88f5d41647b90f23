/**
 * Typed description of the native addon (native/*.cc). Every function here is bound in C++;
 * the TS API in src/tensor, src/nn and src/optim is the only caller.
 */

/** Names of the tensor element types, shared with the native code. */
export type DtypeName =
  'float32' | 'float64' | 'bfloat16' | 'float16' | 'int64' | 'int32' | 'uint8' | 'int8' | 'bool';

/** Memory layouts of a 4-D tensor. */
export type MemoryFormat = 'contiguous' | 'channelsLast' | 'preserve';

/** Loss reductions, as in PyTorch. */
export type Reduction = 'none' | 'mean' | 'sum';

/** Typed arrays that hold the raw elements of a tensor. */
export type StorageArray =
  Float32Array | Float64Array | BigInt64Array | Int32Array | Int8Array | Uint16Array | Uint8Array;

/** Opaque handle owning one libtorch tensor. */
export interface NativeTensor {
  dispose(): void;
  isDisposed(): boolean;
}

/** Handle owning one CPU random generator (mt19937, as torch.Generator). */
export interface NativeGenerator {
  manualSeed(seed: number): void;
  initialSeed(): number;
  getState(): Uint8Array;
  setState(state: Uint8Array): void;
}

type T = NativeTensor;
type G = NativeGenerator | undefined;
type Operand = NativeTensor | number | boolean;
type Shape = readonly number[];

/** Compiled and loaded libtorch versions and the library's build configuration. */
export interface VersionInfo {
  compiled: string;
  loaded: string;
  config: string;
  hardwareConcurrency: number;
}

/** The functions and classes the addon exports. */
export interface NativeAddon {
  NativeTensor: new () => NativeTensor;
  NativeGenerator: new (seed: number) => NativeGenerator;
  setErrorClasses(torchError: unknown, disposedError: unknown): void;

  fromTypedArray(data: StorageArray, shape: Shape, dtype: DtypeName): T;
  bytesToFloat(data: Uint8Array, shape: Shape, divisor: number): T;
  toTypedArray(self: T): StorageArray;
  item(self: T): number;
  full(shape: Shape, value: number | boolean, dtype?: DtypeName): T;
  zerosLike(self: T): T;
  arange(start: number, end: number, step: number, dtype?: DtypeName): T;
  uniform(shape: Shape, low: number, high: number, dtype?: DtypeName, generator?: G): T;
  normal(shape: Shape, mean: number, std: number, dtype?: DtypeName, generator?: G): T;
  randint(low: number, high: number, shape: Shape, generator?: G): T;
  randperm(n: number, generator?: G): T;
  bernoulli(probabilities: T, generator?: G): T;
  shape(self: T): number[];
  strides(self: T): number[];
  dtype(self: T): DtypeName;
  device(self: T): string;
  isContiguous(self: T, memoryFormat: MemoryFormat): boolean;
  contiguous(self: T, memoryFormat: MemoryFormat): T;
  toMemoryFormat(self: T, memoryFormat: MemoryFormat): T;
  clone(self: T, memoryFormat?: MemoryFormat): T;
  toDtype(self: T, dtype: DtypeName): T;
  toDevice(self: T, device: string): T;
  reshape(self: T, shape: Shape): T;
  view(self: T, shape: Shape): T;
  permute(self: T, dims: Shape): T;
  transpose(self: T, dim0: number, dim1: number): T;
  flatten(self: T, startDim: number, endDim: number): T;
  flattenBatch(input: T): T;
  unsqueeze(self: T, dim: number): T;
  squeeze(self: T, dim?: number): T;
  expand(self: T, shape: Shape): T;
  narrow(self: T, dim: number, start: number, length: number): T;
  slice(self: T, dim: number, start?: number, end?: number, step?: number): T;
  select(self: T, dim: number, index: number): T;
  indexSelect(self: T, dim: number, index: T): T;
  gather(self: T, dim: number, index: T): T;
  cat(tensors: readonly T[], dim: number): T;
  stack(tensors: readonly T[], dim: number): T;
  oneHot(self: T, numClasses: number): T;
  where(condition: T, self: T, other: T): T;
  copy_(self: T, source: T): void;
  fill_(self: T, value: number | boolean): void;

  neg(self: T): T;
  exp(self: T): T;
  cos(self: T): T;
  sin(self: T): T;
  log(self: T): T;
  sqrt(self: T): T;
  abs(self: T): T;
  sign(self: T): T;
  square(self: T): T;
  reciprocal(self: T): T;
  floor(self: T): T;
  relu(self: T): T;
  relu_(self: T): void;
  sigmoid(self: T): T;
  logSigmoid(self: T): T;
  softplus(self: T): T;
  tanh(self: T): T;
  hardsigmoid(self: T): T;
  isfinite(self: T): T;
  isnan(self: T): T;
  logicalNot(self: T): T;
  add(self: T, other: Operand, alpha?: number): T;
  sub(self: T, other: Operand, alpha?: number): T;
  mul(self: T, other: Operand): T;
  div(self: T, other: Operand): T;
  pow(self: T, other: Operand): T;
  eq(self: T, other: Operand): T;
  ne(self: T, other: Operand): T;
  lt(self: T, other: Operand): T;
  le(self: T, other: Operand): T;
  gt(self: T, other: Operand): T;
  ge(self: T, other: Operand): T;
  matmul(self: T, other: T): T;
  maximum(self: T, other: T): T;
  minimum(self: T, other: T): T;
  hardtanh(self: T, minValue: number, maxValue: number): T;
  clamp(self: T, min?: number, max?: number): T;
  softmax(self: T, dim: number): T;
  logSoftmax(self: T, dim: number): T;
  normalize(self: T, p: number, dim: number, eps: number): T;
  sum(self: T, dims?: Shape, keepdim?: boolean): T;
  mean(self: T, dims?: Shape, keepdim?: boolean): T;
  var(self: T, dims?: Shape, correction?: number, keepdim?: boolean): T;
  norm(self: T, p: number, dims?: Shape, keepdim?: boolean): T;
  max(self: T, dim?: number, keepdim?: boolean): T[];
  min(self: T, dim?: number, keepdim?: boolean): T[];
  argmax(self: T, dim?: number, keepdim?: boolean): T;
  argmin(self: T, dim?: number, keepdim?: boolean): T;
  all(self: T): T;
  any(self: T): T;
  diagEmbed(self: T): T;
  allFinite(self: T): boolean;

  conv2d(
    input: T,
    weight: T,
    bias: T | undefined,
    stride: Shape,
    padding: Shape,
    dilation: Shape,
    groups: number,
    algorithm?: 'auto' | 'direct',
    activation?: 'none' | 'relu',
    inputBlocked?: boolean,
    nextWeight?: T,
    nextBias?: T,
    nextPadding?: Shape,
    nextStride?: Shape,
  ): T;
  winogradAvailable(): boolean;
  linear(input: T, weight: T, bias?: T): T;
  maxPool2d(input: T, kernelSize: Shape, stride: Shape, padding: Shape): T;
  dropout(input: T, p: number, train: boolean, generator?: G): T;
  crossEntropy(
    input: T,
    target: T,
    weight: T | undefined,
    reduction: Reduction,
    ignoreIndex: number,
    labelSmoothing: number,
  ): T;
  mseLoss(input: T, target: T, reduction: Reduction): T;
  binaryCrossEntropyWithLogits(
    input: T,
    target: T,
    weight: T | undefined,
    posWeight: T | undefined,
    reduction: Reduction,
  ): T;
  huberLoss(input: T, target: T, reduction: Reduction, delta: number): T;
  affineGrid(theta: T, size: Shape, alignCorners: boolean): T;
  gridSample(
    input: T,
    grid: T,
    mode: 'bilinear' | 'nearest' | 'bicubic',
    paddingMode: 'zeros' | 'border' | 'reflection',
    alignCorners: boolean,
  ): T;
  isbeError(scores: T, target: T, soft: string): [T, T, number];

  backward(self: T, gradient?: T, retainGraph?: boolean): void;
  grad(self: T): T | undefined;
  setGrad(self: T, gradient?: T): void;
  requiresGrad(self: T): boolean;
  setRequiresGrad(self: T, requiresGrad: boolean): void;
  isLeaf(self: T): boolean;
  detach(self: T): T;
  setData(self: T, source: T): void;
  setGradEnabled(enabled: boolean): boolean;
  isGradEnabled(): boolean;
  enterInferenceMode(): void;
  exitInferenceMode(): void;
  isInferenceMode(): boolean;
  setAutocast(enabled: boolean, dtype?: DtypeName): boolean;
  zeroGrad(params: readonly T[]): void;
  gradsFinite(params: readonly T[]): boolean;
  adamStep(
    params: readonly T[],
    expAvgs: readonly T[],
    expAvgSqs: readonly T[],
    steps: readonly number[],
    lr: number,
    beta1: number,
    beta2: number,
    eps: number,
    weightDecay: number,
  ): { steps: number[]; gradientsFinite: boolean };
  sgdStep(
    params: readonly T[],
    buffers: readonly T[],
    started: readonly number[],
    lr: number,
    momentum: number,
    dampening: number,
    weightDecay: number,
    nesterov: boolean,
  ): number[];
  setNumThreads(threads: number): void;
  getNumThreads(): number;
  manualSeed(seed: number): void;
  liveTensorCount(): number;
  releaseFreeMemory(): void;
  cachedTensorBytes(): number;
  versionInfo(): VersionInfo;
  startProfiler(path: string): void;
  stopProfiler(): void;
}
