/**
 * Jacobians by autograd, one row per backward pass, and the small dense matrix arithmetic
 * the identity checks need. Vectors here have K ≈ 10 entries, so plain arrays suffice.
 */
import { tensor } from '../tensor/creation.js';
import { enableGrad } from '../tensor/autograd.js';
import { tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';

export type Vector = number[];
export type Matrix = number[][];

/**
 * J[i][j] = ∂y_i / ∂x_j of `map` (a function of a [K] tensor returning a [K] tensor) at
 * `point`, in float64. Row i is the gradient of y_i, read from one backward pass.
 */
export function jacobian(map: (x: Tensor) => Tensor, point: readonly number[]): Matrix {
  return tidy(() =>
    enableGrad(() => {
      const x = tensor(Float64Array.from(point), { requiresGrad: true });
      const y = map(x);
      if (y.ndim !== 1 || y.shape[0] !== point.length) {
        throw new RangeError(
          `jacobian: the map must return shape [${point.length}], got [${y.shape}]`,
        );
      }
      return point.map((_, i) => {
        const selector = tensor(Float64Array.from(point, (_value, j) => (i === j ? 1 : 0)));
        y.backward(selector, { retainGraph: true });
        const row = x.grad?.toArray() ?? new Array<number>(point.length).fill(0);
        x.grad = undefined;
        return row;
      });
    }),
  );
}

/** y = map(x) at a point, in float64. */
export function evaluateAt(map: (x: Tensor) => Tensor, point: readonly number[]): Vector {
  return tidy(() => map(tensor(Float64Array.from(point))).toArray());
}

/** M v. */
export function multiply(matrix: Matrix, vector: Vector): Vector {
  return matrix.map((row) => row.reduce((sum, value, j) => sum + value * (vector[j] as number), 0));
}

/** diag(y) − y yᵀ, the Jacobian of softmax at a point where softmax gives y. */
export function softmaxJacobian(y: Vector): Matrix {
  return y.map((yi, i) => y.map((yj, j) => (i === j ? yi : 0) - yi * yj));
}

/** M diag(d): column j scaled by d_j, which is d ⊙ M with d broadcast as a row. */
export function scaleColumns(matrix: Matrix, d: Vector): Matrix {
  return matrix.map((row) => row.map((value, j) => value * (d[j] as number)));
}

/** diag(d) M: row i scaled by d_i. */
export function scaleRows(matrix: Matrix, d: Vector): Matrix {
  return matrix.map((row, i) => row.map((value) => value * (d[i] as number)));
}

/** Largest |a − b| over corresponding entries of two vectors or matrices of one shape. */
export function maxAbsDifference(a: Vector | Matrix, b: Vector | Matrix): number {
  const left = a.flat();
  const right = b.flat();
  if (left.length !== right.length) {
    throw new RangeError(`cannot compare ${left.length} entries with ${right.length}`);
  }
  return left.reduce(
    (worst, value, i) => Math.max(worst, Math.abs(value - (right[i] as number))),
    0,
  );
}
