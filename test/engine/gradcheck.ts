/**
 * Test helpers: a finite-difference gradient check in float64, an element-wise closeness
 * assertion and the relative error of two tensors. The file name does not end in .test.ts, so the runner skips it.
 */
import assert from 'node:assert/strict';

import { Generator, noGrad, Tensor, tensor, tidy, uniform } from '../../src/index.js';

/** Absolute and relative tolerance: |actual - expected| <= atol + rtol * |expected|. */
export interface Tolerance {
  atol: number;
  rtol: number;
}

/**
 * Asserts that two arrays have the same length and agree element-wise within `tolerance`.
 * The failure message names the first element outside it.
 */
export function assertAllClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tolerance: Tolerance,
  label: string,
): void {
  assert.equal(actual.length, expected.length, `${label}: length differs`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i] as number;
    const e = expected[i] as number;
    const close = Math.abs(a - e) <= tolerance.atol + tolerance.rtol * Math.abs(e);
    if (!close) {
      assert.fail(
        `${label}: element ${i} is ${a}, expected ${e} ` +
          `(atol ${tolerance.atol}, rtol ${tolerance.rtol}; actual [${Array.from(actual)}], ` +
          `expected [${Array.from(expected)}])`,
      );
    }
  }
}

/** Values and shape of one differentiable float64 input of a gradient check. */
export interface DifferentiableInput {
  values: readonly number[];
  shape: readonly number[];
}

export interface GradcheckOptions {
  /** Finite-difference step h of the central difference (f(x + h) - f(x - h)) / 2h. */
  step?: number;
  tolerance?: Tolerance;
}

/**
 * Compares the autograd gradient of `fn` with central finite differences, in float64.
 * Each DifferentiableInput becomes a leaf tensor that requires gradients. A Tensor
 * argument is passed through unchanged and not checked (integer targets, for example).
 * The output is projected to a scalar with fixed random weights, so every element of the
 * output contributes with its own weight. Asserts, for each differentiable input, that
 * the numeric gradient is not zero everywhere (which would make the check vacuous) and
 * that both gradients agree.
 */
export function gradcheck(
  fn: (...inputs: Tensor[]) => Tensor,
  inputs: readonly (DifferentiableInput | Tensor)[],
  options: GradcheckOptions = {},
): void {
  const { step = 1e-6, tolerance = { atol: 1e-6, rtol: 1e-6 } } = options;
  tidy(() => {
    const leaves = inputs.map((input) =>
      input instanceof Tensor ? input : leafTensor(input.values, input.shape, true),
    );
    const output = fn(...leaves);
    assert.equal(output.dtype, 'float64', 'gradcheck needs a float64 output');
    const weights = uniform(output.shape, -1, 1, {
      dtype: 'float64',
      generator: new Generator(1234),
    });
    output.mul(weights).sum().backward();

    inputs.forEach((input, i) => {
      if (input instanceof Tensor) return;
      const gradient = leaves[i]?.grad;
      assert.ok(gradient !== undefined, `input ${i}: backward() left no gradient`);
      const numeric = numericGradient(fn, leaves, i, input, weights, step);
      const largest = Math.max(...numeric.map(Math.abs));
      assert.ok(largest > 1e-6, `input ${i}: the numeric gradient is zero everywhere`);
      assertAllClose(gradient.toArray(), numeric, tolerance, `gradient of input ${i}`);
    });
  });
}

function leafTensor(values: readonly number[], shape: readonly number[], requiresGrad: boolean) {
  return tensor(Float64Array.from(values), { shape, requiresGrad });
}

// Central differences of sum(fn(...) * weights) with respect to every element of input i.
function numericGradient(
  fn: (...inputs: Tensor[]) => Tensor,
  leaves: readonly Tensor[],
  index: number,
  input: DifferentiableInput,
  weights: Tensor,
  step: number,
): number[] {
  const projectAt = (values: number[]): number =>
    noGrad(() =>
      tidy(() => {
        const replaced = leafTensor(values, input.shape, false);
        const perturbed = leaves.map((leaf, k) => (k === index ? replaced : leaf));
        return fn(...perturbed)
          .mul(weights)
          .sum()
          .item();
      }),
    );
  return input.values.map((value, j) => {
    const plus = [...input.values];
    const minus = [...input.values];
    plus[j] = value + step;
    minus[j] = value - step;
    return (projectAt(plus) - projectAt(minus)) / (2 * step);
  });
}

/**
 * Deterministic pseudo-random values in [low, high) from the mulberry32 generator, so test
 * inputs are reproducible without libtorch's generator.
 */
export function sampleValues(count: number, low: number, high: number, seed: number): number[] {
  let state = seed >>> 0;
  const values: number[] = [];
  for (let i = 0; i < count; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const unit = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    values.push(low + (high - low) * unit);
  }
  return values;
}

/** Returns the largest absolute difference of two tensors over the largest magnitude of `expected`. */
export function relativeError(actual: Tensor, expected: Tensor): number {
  return tidy(() => actual.sub(expected).abs().max().item() / expected.abs().max().item());
}
