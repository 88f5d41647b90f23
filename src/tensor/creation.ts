import type { DtypeName, NativeGenerator, StorageArray } from '../native/addon.js';
import { native } from '../native/load.js';
import { typeName } from '../util/type-name.js';
import type { Dtype } from './dtype.js';
import { Generator } from './random.js';
import { Tensor } from './tensor.js';

/** Options shared by the functions that create tensors. */
export interface CreateOptions {
  dtype?: Dtype;
  requiresGrad?: boolean;
}

/** Options of the functions that draw random tensors. */
export interface RandomOptions extends CreateOptions {
  generator?: Generator;
}

/** Numbers nested in arrays, one level per dimension. */
export type NestedNumbers = number | boolean | readonly NestedNumbers[];

function finish(result: Tensor, options: CreateOptions): Tensor {
  if (options.requiresGrad) result.requiresGrad = true;
  return result;
}

function naturalDtype(data: StorageArray): DtypeName {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Int8Array) return 'int8';
  if (data instanceof Uint8Array) return 'uint8';
  throw new TypeError('tensor(): a Uint16Array is ambiguous; pass float32 data instead');
}

function inferShape(data: NestedNumbers): number[] {
  const shape: number[] = [];
  let level: NestedNumbers = data;
  while (Array.isArray(level)) {
    shape.push(level.length);
    level = level[0] as NestedNumbers;
  }
  return shape;
}

function flatten(data: NestedNumbers, shape: readonly number[], depth = 0, out: number[] = []) {
  if (depth === shape.length) {
    if (typeof data !== 'number' && typeof data !== 'boolean') {
      throw new TypeError('tensor(): nested arrays must be rectangular and hold numbers');
    }
    out.push(Number(data));
    return out;
  }
  if (!Array.isArray(data) || data.length !== shape[depth]) {
    throw new TypeError('tensor(): nested arrays must be rectangular and hold numbers');
  }
  for (const item of data) flatten(item, shape, depth + 1, out);
  return out;
}

function storageFor(values: readonly number[], dtype: Dtype): [StorageArray, DtypeName] {
  switch (dtype) {
    case 'float64':
      return [Float64Array.from(values), 'float64'];
    case 'int64':
      return [BigInt64Array.from(values, (v) => BigInt(checkInteger(v))), 'int64'];
    case 'int32':
      return [Int32Array.from(values, checkInteger), 'int32'];
    case 'int8':
      return [Int8Array.from(values, checkInteger), 'int8'];
    case 'uint8':
    case 'bool':
      return [Uint8Array.from(values, dtype === 'bool' ? (v) => (v ? 1 : 0) : checkInteger), dtype];
    default:
      return [Float32Array.from(values), 'float32'];
  }
}

function checkInteger(value: number): number {
  if (!Number.isInteger(value)) {
    throw new TypeError(`tensor(): ${value} is not an integer, but the dtype is an integer type`);
  }
  return value;
}

/**
 * Creates a tensor from nested arrays of numbers or from a typed array (copied). Numbers
 * default to float32; a typed array keeps its own element type unless `dtype` is given.
 */
export function tensor(
  data: NestedNumbers | StorageArray,
  options: CreateOptions & { shape?: readonly number[] } = {},
): Tensor {
  if (ArrayBuffer.isView(data)) {
    const shape = options.shape ?? [data.length];
    const natural = naturalDtype(data);
    let result = new Tensor(native.fromTypedArray(data, shape, natural));
    if (options.dtype && options.dtype !== natural) {
      const converted = result.to(options.dtype);
      result.dispose();
      result = converted;
    }
    return finish(result, options);
  }
  const shape = inferShape(data);
  const values = flatten(data, shape);
  const dtype = options.dtype ?? 'float32';
  const [storage, storageDtype] = storageFor(values, dtype);
  let result = new Tensor(native.fromTypedArray(storage, options.shape ?? shape, storageDtype));
  if (storageDtype !== dtype) {
    const converted = result.to(dtype);
    result.dispose();
    result = converted;
  }
  return finish(result, options);
}

/**
 * Creates a tensor from raw elements in row-major order (the output of toStorage()); the
 * typed array must be the one that stores `dtype`, a Uint16Array for bfloat16 and float16.
 */
export function fromStorage(data: StorageArray, shape: readonly number[], dtype: Dtype): Tensor {
  return new Tensor(native.fromTypedArray(data, shape, dtype));
}

export function full(shape: readonly number[], value: number, options: CreateOptions = {}) {
  return finish(new Tensor(native.full(shape, value, options.dtype)), options);
}

export function zeros(shape: readonly number[], options: CreateOptions = {}): Tensor {
  return full(shape, 0, options);
}

export function ones(shape: readonly number[], options: CreateOptions = {}): Tensor {
  return full(shape, 1, options);
}

/** Zeros with the shape, dtype and memory format of `like`. */
export function zerosLike(like: Tensor, options: CreateOptions = {}): Tensor {
  if (options.dtype !== undefined && options.dtype !== like.dtype) {
    return full(like.shape, 0, options);
  }
  return finish(new Tensor(native.zerosLike(like.handle)), options);
}

/** Values start, start + step, ... below end; int64 unless a dtype is given. */
export function arange(end: number, options?: CreateOptions & { start?: number; step?: number }) {
  const { start = 0, step = 1, dtype = 'int64' } = options ?? {};
  return finish(new Tensor(native.arange(start, end, step, dtype)), options ?? {});
}

/** Uniform samples from [low, high). */
export function uniform(
  shape: readonly number[],
  low: number,
  high: number,
  options: RandomOptions = {},
): Tensor {
  const result = native.uniform(
    shape,
    low,
    high,
    options.dtype,
    generatorHandle('uniform', options.generator),
  );
  return finish(new Tensor(result), options);
}

/** Uniform samples from [0, 1). */
export function rand(shape: readonly number[], options: RandomOptions = {}): Tensor {
  return uniform(shape, 0, 1, options);
}

/** Normal samples with the given mean and standard deviation (default 0 and 1). */
export function randn(
  shape: readonly number[],
  options: RandomOptions & { mean?: number; std?: number } = {},
): Tensor {
  const { mean = 0, std = 1 } = options;
  const result = native.normal(
    shape,
    mean,
    std,
    options.dtype,
    generatorHandle('randn', options.generator),
  );
  return finish(new Tensor(result), options);
}

/** Integers drawn uniformly from [low, high), as int64. */
export function randint(
  low: number,
  high: number,
  shape: readonly number[],
  options: { generator?: Generator } = {},
): Tensor {
  return new Tensor(
    native.randint(low, high, shape, generatorHandle('randint', options.generator)),
  );
}

/** A random permutation of 0 .. n - 1, as int64 (the same as torch.randperm for one seed). */
export function randperm(n: number, options: { generator?: Generator } = {}): Tensor {
  return new Tensor(native.randperm(n, generatorHandle('randperm', options.generator)));
}

/** 0 or 1 for each element, 1 with the probability that element gives. */
export function bernoulli(probabilities: Tensor, options: { generator?: Generator } = {}) {
  return new Tensor(
    native.bernoulli(probabilities.handle, generatorHandle('bernoulli', options.generator)),
  );
}

// The native handle of an optional generator argument; anything else is a TypeError.
function generatorHandle(op: string, generator: unknown): NativeGenerator | undefined {
  if (generator === undefined) return undefined;
  if (generator instanceof Generator) return generator.handle;
  const got = typeName(generator);
  throw new TypeError(`${op}: option 'generator' must be a Generator, got ${got}`);
}

// Handles of a list of tensors; a non-tensor element is a TypeError that names it.
function handlesOf(op: string, tensors: readonly Tensor[]) {
  if (!Array.isArray(tensors)) throw new TypeError(`${op}: expected an array of Tensors`);
  return tensors.map((item: unknown, index) => {
    if (item instanceof Tensor) return item.handle;
    const got = typeName(item);
    throw new TypeError(`${op}: element ${index} of 'tensors' must be a Tensor, got ${got}`);
  });
}

/** Joins tensors along an existing dimension. */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  return new Tensor(native.cat(handlesOf('cat', tensors), dim));
}

/** Joins tensors along a new dimension. */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  return new Tensor(native.stack(handlesOf('stack', tensors), dim));
}

/** Picks from `self` where `condition` is true and from `other` elsewhere. */
export function where(condition: Tensor, self: Tensor, other: Tensor): Tensor {
  return new Tensor(native.where(condition.handle, self.handle, other.handle));
}

/** diag(v) for the last dimension of `v`: [..., K] gives [..., K, K]. */
export function diagEmbed(v: Tensor): Tensor {
  return new Tensor(native.diagEmbed(v.handle));
}
