import type { MemoryFormat, NativeTensor, StorageArray } from '../native/addon.js';
import { native } from '../native/load.js';
import type { Dtype } from './dtype.js';
import { track } from './scope.js';

/** A number or a tensor, as the second operand of arithmetic and comparisons. */
export type Operand = Tensor | number;

/** Values and indices of a reduction along one dimension, as torch.max(x, dim). */
export interface ValuesIndices {
  values: Tensor;
  indices: Tensor;
}

function raw(operand: Operand | boolean): NativeTensor | number | boolean {
  return operand instanceof Tensor ? operand.handle : operand;
}

/**
 * An n-dimensional array in libtorch memory, with autograd. Shapes are written
 * [N, C, H, W]. Each op returns a new tensor; free it with dispose(), a tidy() scope, or
 * `using`, because garbage collection frees native memory late.
 */
export class Tensor {
  /** @internal The native handle; only the TS API passes it to the addon. */
  readonly handle: NativeTensor;
  #shape: readonly number[] | undefined;
  #dtype: Dtype | undefined;
  #kept = false;

  /** @internal Wraps a handle that the addon returned. */
  constructor(handle: NativeTensor) {
    this.handle = handle;
    track(this);
  }

  /** Sizes of each dimension. */
  get shape(): readonly number[] {
    this.#shape ??= Object.freeze(native.shape(this.handle));
    return this.#shape;
  }

  /** Element type. */
  get dtype(): Dtype {
    this.#dtype ??= native.dtype(this.handle);
    return this.#dtype;
  }

  /** Number of dimensions. */
  get ndim(): number {
    return this.shape.length;
  }

  /** Number of elements. */
  get numel(): number {
    return this.shape.reduce((product, size) => product * size, 1);
  }

  /** Device name, for example "cpu" or "cuda:0". */
  get device(): string {
    return native.device(this.handle);
  }

  /** Element strides of each dimension. */
  get strides(): readonly number[] {
    return native.strides(this.handle);
  }

  /** Whether autograd records operations on this tensor. */
  get requiresGrad(): boolean {
    return native.requiresGrad(this.handle);
  }

  set requiresGrad(flag: boolean) {
    native.setRequiresGrad(this.handle, flag);
  }

  /** Sets requiresGrad in place and returns this tensor, as torch's requires_grad_(). */
  requiresGrad_(flag = true): this {
    native.setRequiresGrad(this.handle, flag);
    return this;
  }

  /** Accumulated gradient, or undefined before the first backward(). Each read is a new handle. */
  get grad(): Tensor | undefined {
    const handle = native.grad(this.handle);
    return handle === undefined ? undefined : new Tensor(handle);
  }

  set grad(gradient: Tensor | undefined) {
    native.setGrad(this.handle, gradient?.handle);
  }

  /** Whether this tensor is a leaf of the autograd graph. */
  get isLeaf(): boolean {
    return native.isLeaf(this.handle);
  }

  /** Whether dispose() has freed this tensor. */
  get isDisposed(): boolean {
    return this.handle.isDisposed();
  }

  /** Whether keep() exempted this tensor from tidy() scopes. */
  get isKept(): boolean {
    return this.#kept;
  }

  /** Exempts this tensor from every tidy() scope and returns it. */
  keep(): this {
    this.#kept = true;
    return this;
  }

  /** Frees the native memory now; later use throws DisposedTensorError. Idempotent. */
  dispose(): void {
    this.handle.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  /** Reads the single element of a one-element tensor. */
  item(): number {
    return native.item(this.handle);
  }

  /**
   * Copies the elements to a typed array in row-major order. bfloat16 and float16 come back
   * as Float32Array, int64 as BigInt64Array, bool as Uint8Array.
   */
  toTypedArray(): StorageArray {
    if (this.dtype === 'bfloat16' || this.dtype === 'float16') {
      using wide = this.to('float32');
      return native.toTypedArray(wide.handle);
    }
    return native.toTypedArray(this.handle);
  }

  /**
   * Copies the raw elements in row-major order, bfloat16 and float16 as their bits in a
   * Uint16Array; fromStorage() reverses it.
   */
  toStorage(): StorageArray {
    return native.toTypedArray(this.handle);
  }

  /** Copies the elements to a flat array of numbers (int64 values above 2^53 lose precision). */
  toArray(): number[] {
    const data = this.toTypedArray();
    return data instanceof BigInt64Array ? Array.from(data, Number) : Array.from(data);
  }

  /** A copy with its own storage. */
  clone(memoryFormat?: MemoryFormat): Tensor {
    return new Tensor(native.clone(this.handle, memoryFormat));
  }

  /** This tensor laid out densely in the given memory format (a copy only when needed). */
  contiguous(memoryFormat: MemoryFormat = 'contiguous'): Tensor {
    return new Tensor(native.contiguous(this.handle, memoryFormat));
  }

  /**
   * This tensor laid out in the given memory format as torch's to(memory_format=) does:
   * unlike contiguous(), it also sets the strides of a tensor that is already dense in
   * that format by accident, such as one with a single channel.
   */
  toMemoryFormat(memoryFormat: MemoryFormat): Tensor {
    return new Tensor(native.toMemoryFormat(this.handle, memoryFormat));
  }

  /** Whether the elements are dense in the given memory format. */
  isContiguous(memoryFormat: MemoryFormat = 'contiguous'): boolean {
    return native.isContiguous(this.handle, memoryFormat);
  }

  /** The same data cut off from the autograd graph. */
  detach(): Tensor {
    return new Tensor(native.detach(this.handle));
  }

  /** Converts to another dtype. */
  to(dtype: Dtype): Tensor {
    return new Tensor(native.toDtype(this.handle, dtype));
  }

  /** Copies to another device, for example "cuda:0". */
  toDevice(device: string): Tensor {
    return new Tensor(native.toDevice(this.handle, device));
  }

  add(other: Operand, alpha?: number): Tensor {
    return new Tensor(native.add(this.handle, raw(other), alpha));
  }

  sub(other: Operand, alpha?: number): Tensor {
    return new Tensor(native.sub(this.handle, raw(other), alpha));
  }

  mul(other: Operand): Tensor {
    return new Tensor(native.mul(this.handle, raw(other)));
  }

  div(other: Operand): Tensor {
    return new Tensor(native.div(this.handle, raw(other)));
  }

  pow(exponent: Operand): Tensor {
    return new Tensor(native.pow(this.handle, raw(exponent)));
  }

  eq(other: Operand): Tensor {
    return new Tensor(native.eq(this.handle, raw(other)));
  }

  ne(other: Operand): Tensor {
    return new Tensor(native.ne(this.handle, raw(other)));
  }

  lt(other: Operand): Tensor {
    return new Tensor(native.lt(this.handle, raw(other)));
  }

  le(other: Operand): Tensor {
    return new Tensor(native.le(this.handle, raw(other)));
  }

  gt(other: Operand): Tensor {
    return new Tensor(native.gt(this.handle, raw(other)));
  }

  ge(other: Operand): Tensor {
    return new Tensor(native.ge(this.handle, raw(other)));
  }

  maximum(other: Tensor): Tensor {
    return new Tensor(native.maximum(this.handle, other.handle));
  }

  minimum(other: Tensor): Tensor {
    return new Tensor(native.minimum(this.handle, other.handle));
  }

  matmul(other: Tensor): Tensor {
    return new Tensor(native.matmul(this.handle, other.handle));
  }

  neg(): Tensor {
    return new Tensor(native.neg(this.handle));
  }

  exp(): Tensor {
    return new Tensor(native.exp(this.handle));
  }

  cos(): Tensor {
    return new Tensor(native.cos(this.handle));
  }

  sin(): Tensor {
    return new Tensor(native.sin(this.handle));
  }

  log(): Tensor {
    return new Tensor(native.log(this.handle));
  }

  sqrt(): Tensor {
    return new Tensor(native.sqrt(this.handle));
  }

  abs(): Tensor {
    return new Tensor(native.abs(this.handle));
  }

  sign(): Tensor {
    return new Tensor(native.sign(this.handle));
  }

  square(): Tensor {
    return new Tensor(native.square(this.handle));
  }

  reciprocal(): Tensor {
    return new Tensor(native.reciprocal(this.handle));
  }

  floor(): Tensor {
    return new Tensor(native.floor(this.handle));
  }

  clamp(min?: number, max?: number): Tensor {
    return new Tensor(native.clamp(this.handle, min, max));
  }

  relu(): Tensor {
    return new Tensor(native.relu(this.handle));
  }

  /** ReLU in place; returns this tensor. */
  relu_(): this {
    native.relu_(this.handle);
    return this;
  }

  sigmoid(): Tensor {
    return new Tensor(native.sigmoid(this.handle));
  }

  tanh(): Tensor {
    return new Tensor(native.tanh(this.handle));
  }

  /** Clamps to [minValue, maxValue]; the defaults give torch's hardtanh. */
  hardtanh(minValue = -1, maxValue = 1): Tensor {
    return new Tensor(native.hardtanh(this.handle, minValue, maxValue));
  }

  /** PyTorch's hardsigmoid, relu6(x + 3) / 6. */
  hardsigmoid(): Tensor {
    return new Tensor(native.hardsigmoid(this.handle));
  }

  softmax(dim: number): Tensor {
    return new Tensor(native.softmax(this.handle, dim));
  }

  logSoftmax(dim: number): Tensor {
    return new Tensor(native.logSoftmax(this.handle, dim));
  }

  /** Divides by max(‖x‖_p along dim, eps), as torch.nn.functional.normalize. */
  normalize(dim = 1, p = 2, eps = 1e-12): Tensor {
    return new Tensor(native.normalize(this.handle, p, dim, eps));
  }

  isfinite(): Tensor {
    return new Tensor(native.isfinite(this.handle));
  }

  isnan(): Tensor {
    return new Tensor(native.isnan(this.handle));
  }

  logicalNot(): Tensor {
    return new Tensor(native.logicalNot(this.handle));
  }

  /** Whether every element is finite; true for integer dtypes. */
  allFinite(): boolean {
    return native.allFinite(this.handle);
  }

  /** Sum over `dim` (a dimension or a list), or over every element when dim is omitted. */
  sum(dim?: number | readonly number[], keepdim = false): Tensor {
    return new Tensor(native.sum(this.handle, dims(dim), keepdim));
  }

  mean(dim?: number | readonly number[], keepdim = false): Tensor {
    return new Tensor(native.mean(this.handle, dims(dim), keepdim));
  }

  /** Variance with Bessel's correction by default (correction 1), as torch.var. */
  var(dim?: number | readonly number[], correction = 1, keepdim = false): Tensor {
    return new Tensor(native.var(this.handle, dims(dim), correction, keepdim));
  }

  norm(p = 2, dim?: number | readonly number[], keepdim = false): Tensor {
    return new Tensor(native.norm(this.handle, p, dims(dim), keepdim));
  }

  /** Largest element, or values and indices of the largest along `dim`. */
  max(): Tensor;
  max(dim: number, keepdim?: boolean): ValuesIndices;
  max(dim?: number, keepdim = false): Tensor | ValuesIndices {
    return reduceExtreme(native.max(this.handle, dim, keepdim), dim);
  }

  min(): Tensor;
  min(dim: number, keepdim?: boolean): ValuesIndices;
  min(dim?: number, keepdim = false): Tensor | ValuesIndices {
    return reduceExtreme(native.min(this.handle, dim, keepdim), dim);
  }

  argmax(dim?: number, keepdim = false): Tensor {
    return new Tensor(native.argmax(this.handle, dim, keepdim));
  }

  argmin(dim?: number, keepdim = false): Tensor {
    return new Tensor(native.argmin(this.handle, dim, keepdim));
  }

  all(): Tensor {
    return new Tensor(native.all(this.handle));
  }

  any(): Tensor {
    return new Tensor(native.any(this.handle));
  }

  reshape(shape: readonly number[]): Tensor {
    return new Tensor(native.reshape(this.handle, shape));
  }

  view(shape: readonly number[]): Tensor {
    return new Tensor(native.view(this.handle, shape));
  }

  permute(dims: readonly number[]): Tensor {
    return new Tensor(native.permute(this.handle, dims));
  }

  transpose(dim0: number, dim1: number): Tensor {
    return new Tensor(native.transpose(this.handle, dim0, dim1));
  }

  /** Matrix transpose of a 2-D tensor. */
  t(): Tensor {
    return this.transpose(0, 1);
  }

  flatten(startDim = 0, endDim = -1): Tensor {
    return new Tensor(native.flatten(this.handle, startDim, endDim));
  }

  unsqueeze(dim: number): Tensor {
    return new Tensor(native.unsqueeze(this.handle, dim));
  }

  squeeze(dim?: number): Tensor {
    return new Tensor(native.squeeze(this.handle, dim));
  }

  expand(shape: readonly number[]): Tensor {
    return new Tensor(native.expand(this.handle, shape));
  }

  /** A view of `length` entries of `dim` starting at `start`. */
  narrow(dim: number, start: number, length: number): Tensor {
    return new Tensor(native.narrow(this.handle, dim, start, length));
  }

  /** A view of entries start, start + step, ... before end along `dim`, as x[start:end:step]. */
  slice(dim: number, start?: number, end?: number, step = 1): Tensor {
    return new Tensor(native.slice(this.handle, dim, start, end, step));
  }

  /** A view of one entry of `dim`, with that dimension removed. */
  select(dim: number, index: number): Tensor {
    return new Tensor(native.select(this.handle, dim, index));
  }

  /** The entries of `dim` listed by an int64 `index`, gathered in one native call. */
  indexSelect(dim: number, index: Tensor): Tensor {
    return new Tensor(native.indexSelect(this.handle, dim, index.handle));
  }

  gather(dim: number, index: Tensor): Tensor {
    return new Tensor(native.gather(this.handle, dim, index.handle));
  }

  /** One-hot encoding of an int64 tensor of class indices, as an int64 tensor. */
  oneHot(numClasses: number): Tensor {
    return new Tensor(native.oneHot(this.handle, numClasses));
  }

  /** Copies `source` into this tensor in place and returns this tensor. */
  copy_(source: Tensor): this {
    native.copy_(this.handle, source.handle);
    return this;
  }

  /**
   * Makes this tensor use the data of `source`, keeping its identity for autograd and
   * optimisers, as `param.data = source` in PyTorch.
   */
  setData_(source: Tensor): this {
    native.setData(this.handle, source.handle);
    this.#shape = undefined;
    this.#dtype = undefined;
    return this;
  }

  /** Sets every element in place and returns this tensor. */
  fill_(value: number | boolean): this {
    native.fill_(this.handle, value);
    return this;
  }

  /**
   * Backpropagates from this tensor. A non-scalar tensor needs `gradient`, its own
   * gradient (the ISBE unit passes f(scores) - targets here).
   */
  backward(gradient?: Tensor, options: { retainGraph?: boolean } = {}): void {
    native.backward(this.handle, gradient?.handle, options.retainGraph ?? false);
  }

  toString(): string {
    if (this.isDisposed) return 'Tensor(disposed)';
    return `Tensor(shape=[${this.shape.join(', ')}], dtype=${this.dtype}, device=${this.device})`;
  }
}

function dims(dim: number | readonly number[] | undefined): readonly number[] | undefined {
  return typeof dim === 'number' ? [dim] : dim;
}

function reduceExtreme(handles: NativeTensor[], dim: number | undefined): Tensor | ValuesIndices {
  const [values, indices] = handles.map((handle) => new Tensor(handle));
  if (dim === undefined || indices === undefined) return values as Tensor;
  return { values: values as Tensor, indices };
}
