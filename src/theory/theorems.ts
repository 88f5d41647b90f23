/**
 * Checks of the softmax trick at random points, in float64. Theorem 1 (Skarbek, arXiv
 * 2311.16357): the Jacobian J of F satisfies J·(−y°/y) = y − y° for every target y° with
 * Σ y° = 1 iff J = diag(y) − y yᵀ iff F is softmax up to relocation, softmax(x − c).
 * Theorem 2 extends it to dilation, softmax(d ⊙ x − c).
 */
import { crossEntropy } from '../nn/functional.js';
import { enableGrad } from '../tensor/autograd.js';
import { tensor, uniform } from '../tensor/creation.js';
import { Generator } from '../tensor/random.js';
import { tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { getSoftFunction, softFunctionNames } from '../heads/soft.js';
import { type Check, makeCheck } from './check.js';
import {
  evaluateAt,
  jacobian,
  type Matrix,
  maxAbsDifference,
  multiply,
  scaleColumns,
  scaleRows,
  softmaxJacobian,
  type Vector,
} from './jacobian.js';

/** Options of the random points: how many, their size K and their seed. */
export interface PointOptions {
  /** Number of random points. Default 20. */
  points?: number;
  /** Number of classes K. Default 10. */
  classes?: number;
  /** Seed of libtorch's generator that draws the points. Default 2311. */
  seed?: number;
}

/** Group names of the checks, as `isbe verify` prints them. */
export const theorem1Group = 'Theorem 1: the softmax trick holds only for softmax(x − c)';
export const theorem2Group = 'Theorem 2: dilated softmax(d ⊙ x − c)';

// Float64 rounding in J and in −y°/y (whose entries stay within about 1e3 for scores in
// [−1.9, 1.9]) stays near 1e−14; an identity that fails misses by far more.
const jacobianTolerance = 1e-12;
const trickTolerance = 1e-10;

interface Point {
  x: Vector;
  /** A target distribution: positive entries that sum to 1. */
  target: Vector;
  /** Relocation c. */
  shift: Vector;
  /** Dilation d, in [0.5, 2]. */
  dilation: Vector;
}

// Scores in [−1.9, 1.9] keep the hard functions away from zero outputs (scaled-hardtanh is
// 0 below −2, hardsigmoid below −3), so −y°/y stays finite.
function randomPoints(options: PointOptions): Point[] {
  const { points = 20, classes = 10, seed = 2311 } = options;
  const generator = new Generator(seed);
  const draw = (low: number, high: number) =>
    tidy(() => uniform([points, classes], low, high, { dtype: 'float64', generator }).toArray());
  const rowsOf = (values: number[]) =>
    Array.from({ length: points }, (_, i) => values.slice(i * classes, (i + 1) * classes));
  const xs = rowsOf(draw(-1.9, 1.9));
  const targets = rowsOf(draw(0.05, 1)).map((row) => {
    const total = row.reduce((sum, v) => sum + v, 0);
    return row.map((v) => v / total);
  });
  const shifts = rowsOf(draw(-1, 1));
  const dilations = rowsOf(draw(0.5, 2));
  return xs.map((x, i) => ({
    x,
    target: targets[i] as Vector,
    shift: shifts[i] as Vector,
    dilation: dilations[i] as Vector,
  }));
}

function trickLeft(j: Matrix, y: Vector, target: Vector, scale?: Vector): Vector {
  const direction = target.map((t, i) => -t / ((y[i] as number) * (scale?.[i] ?? 1)));
  return multiply(j, direction);
}

function difference(y: Vector, target: Vector): Vector {
  return y.map((value, i) => value - (target[i] as number));
}

// Applies a soft function, defined on rows [N, K], to a vector [K].
function rowMap(name: string): (x: Tensor) => Tensor {
  const soft = getSoftFunction(name);
  return (x) => soft.apply(x.unsqueeze(0)).squeeze(0);
}

function vectorOf(values: Vector): Tensor {
  return tensor(Float64Array.from(values));
}

/** Theorem 1 for softmax, relocated softmax and every other registered soft function. */
export function theorem1Checks(options: PointOptions = {}): Check[] {
  const points = randomPoints(options);
  const maps: {
    label: string;
    expected: 'holds' | 'fails';
    at: (p: Point) => (x: Tensor) => Tensor;
  }[] = [
    { label: 'softmax', expected: 'holds', at: () => rowMap('softmax') },
    {
      label: 'relocated softmax(x − c)',
      expected: 'holds',
      at: (p) => (x) => x.sub(vectorOf(p.shift)).softmax(0),
    },
    ...softFunctionNames()
      .filter((name) => name !== 'softmax')
      .map((name) => ({ label: name, expected: 'fails' as const, at: () => rowMap(name) })),
  ];
  const checks: Check[] = [];
  for (const { label, expected, at } of maps) {
    let jacobianDeviation = 0;
    let trickDeviation = 0;
    for (const point of points) {
      const map = at(point);
      const y = evaluateAt(map, point.x);
      const j = jacobian(map, point.x);
      jacobianDeviation = Math.max(jacobianDeviation, maxAbsDifference(j, softmaxJacobian(y)));
      const left = trickLeft(j, y, point.target);
      trickDeviation = Math.max(
        trickDeviation,
        maxAbsDifference(left, difference(y, point.target)),
      );
    }
    checks.push(
      makeCheck(
        theorem1Group,
        `${label}: J = diag(y) − yyᵀ`,
        expected,
        jacobianDeviation,
        jacobianTolerance,
      ),
      makeCheck(
        theorem1Group,
        `${label}: J·(−y°/y) = y − y°`,
        expected,
        trickDeviation,
        trickTolerance,
      ),
    );
  }
  checks.push(unnormalisedTargetCheck(points));
  return checks;
}

// The trick needs Σ y° = 1: J·(−y°/y) = y Σ y° − y°, so a target row summing to 1.5 misses
// y − y° by y / 2.
function unnormalisedTargetCheck(points: Point[]): Check {
  let deviation = 0;
  const map = rowMap('softmax');
  for (const point of points) {
    const target = point.target.map((t) => 1.5 * t);
    const y = evaluateAt(map, point.x);
    const left = trickLeft(jacobian(map, point.x), y, target);
    deviation = Math.max(deviation, maxAbsDifference(left, difference(y, target)));
  }
  return makeCheck(
    theorem1Group,
    'softmax with Σ y° = 1.5: J·(−y°/y) = y − y°',
    'fails',
    deviation,
    trickTolerance,
  );
}

/**
 * Theorem 2 for dilated softmax y = softmax(d ⊙ x − c), where d ⊙ x is the elementwise
 * product. Its Jacobian is ∂y_i/∂x_j = (δ_ij y_i − y_i y_j) d_j = (diag(y) − yyᵀ) diag(d):
 * column j is scaled by d_j, which is "d ⊙ (diag(y) − yyᵀ)" with d broadcast as a row
 * vector (NumPy and PyTorch broadcasting), not diag(d) (diag(y) − yyᵀ). The softmax trick
 * then needs the direction −y° ⊘ (d ⊙ y); the undilated −y°/y gives y Σ d y° − d ⊙ y°.
 */
export function theorem2Checks(options: PointOptions = {}): Check[] {
  const points = randomPoints(options);
  const worst = { columns: 0, rows: 0, plainTrick: 0, dilatedTrick: 0, gradient: 0 };
  for (const point of points) {
    const map = (x: Tensor) =>
      x.mul(vectorOf(point.dilation)).sub(vectorOf(point.shift)).softmax(0);
    const y = evaluateAt(map, point.x);
    const j = jacobian(map, point.x);
    const plain = softmaxJacobian(y);
    const error = difference(y, point.target);
    worst.columns = Math.max(
      worst.columns,
      maxAbsDifference(j, scaleColumns(plain, point.dilation)),
    );
    worst.rows = Math.max(worst.rows, maxAbsDifference(j, scaleRows(plain, point.dilation)));
    worst.plainTrick = Math.max(
      worst.plainTrick,
      maxAbsDifference(trickLeft(j, y, point.target), error),
    );
    const dilated = trickLeft(j, y, point.target, point.dilation);
    worst.dilatedTrick = Math.max(worst.dilatedTrick, maxAbsDifference(dilated, error));
    const gradient = crossEntropyGradient(point);
    const expected = error.map((e, i) => (point.dilation[i] as number) * e);
    worst.gradient = Math.max(worst.gradient, maxAbsDifference(gradient, expected));
  }
  const group = theorem2Group;
  return [
    makeCheck(
      group,
      'J = (diag(y) − yyᵀ)·diag(d), d ⊙ M with d as a row',
      'holds',
      worst.columns,
      jacobianTolerance,
    ),
    makeCheck(
      group,
      'J = diag(d)·(diag(y) − yyᵀ), d scaling rows',
      'fails',
      worst.rows,
      jacobianTolerance,
    ),
    makeCheck(group, 'J·(−y°/y) = y − y°', 'fails', worst.plainTrick, trickTolerance),
    makeCheck(group, 'J·(−y° ⊘ (d ⊙ y)) = y − y°', 'holds', worst.dilatedTrick, trickTolerance),
    makeCheck(
      group,
      '∇ₓ CE(softmax(d ⊙ x − c), y°) = d ⊙ (y − y°)',
      'holds',
      worst.gradient,
      trickTolerance,
    ),
  ];
}

// Autograd gradient with respect to x of the cross-entropy of softmax(d ⊙ x − c) and y°.
function crossEntropyGradient(point: Point): Vector {
  return tidy(() =>
    enableGrad(() => {
      const x = tensor(Float64Array.from(point.x), { requiresGrad: true });
      const scores = x.mul(vectorOf(point.dilation)).sub(vectorOf(point.shift)).unsqueeze(0);
      const target = vectorOf(point.target).unsqueeze(0);
      crossEntropy(scores, target, { reduction: 'sum' }).backward();
      return x.grad?.toArray() ?? [];
    }),
  );
}
