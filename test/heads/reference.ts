/**
 * Plain-JS references for the head tests: softmax, the target rows of each option and
 * CrossEntropyLoss's value and gradient with PyTorch's semantics. The file name does not
 * end in .test.ts, so the runner does not run it.
 */

export type Matrix = number[][];

/** Softmax of one row, with the maximum subtracted first. */
export function softmaxRow(row: readonly number[]): number[] {
  const top = Math.max(...row);
  const exps = row.map((x) => Math.exp(x - top));
  const total = exps.reduce((sum, e) => sum + e, 0);
  return exps.map((e) => e / total);
}

/** Options of the reference, named as CrossEntropyLoss names them. */
export interface ReferenceOptions {
  weight?: readonly number[];
  ignoreIndex?: number;
  labelSmoothing?: number;
  reduction: 'none' | 'mean' | 'sum';
}

/**
 * Target distribution of each row: (1 − ε) one-hot + ε / K for labels, (1 − ε) q + ε / K
 * for probability rows q. Ignored rows are all zero.
 */
export function targetDistributions(
  target: readonly number[] | Matrix,
  classes: number,
  options: Pick<ReferenceOptions, 'ignoreIndex' | 'labelSmoothing'>,
): Matrix {
  const epsilon = options.labelSmoothing ?? 0;
  return target.map((row) => {
    if (typeof row === 'number') {
      if (row === options.ignoreIndex) return new Array<number>(classes).fill(0);
      return Array.from(
        { length: classes },
        (_, k) => (k === row ? 1 - epsilon : 0) + epsilon / classes,
      );
    }
    return row.map((q) => (1 - epsilon) * q + epsilon / classes);
  });
}

/**
 * CrossEntropyLoss on logits: row losses −Σ_k w_k q_k log p_k and their gradients
 * (Σ_k w_k q_k) p − w ⊙ q, with q from targetDistributions(). 'mean' divides by the summed
 * weights of the target classes of the rows kept, or by N for probability targets.
 */
export function crossEntropyReference(
  logits: Matrix,
  target: readonly number[] | Matrix,
  options: ReferenceOptions,
): { loss: number[]; gradient: Matrix } {
  const classes = (logits[0] as number[]).length;
  const weight = options.weight ?? new Array<number>(classes).fill(1);
  const q = targetDistributions(target, classes, options);
  const rowLoss: number[] = [];
  const rowGradient: Matrix = [];
  logits.forEach((row, i) => {
    const p = softmaxRow(row);
    const qi = q[i] as number[];
    const weighted = qi.map((value, k) => value * (weight[k] as number));
    const mass = weighted.reduce((sum, v) => sum + v, 0);
    rowLoss.push(-weighted.reduce((sum, v, k) => sum + v * Math.log(p[k] as number), 0));
    rowGradient.push(p.map((pk, k) => mass * pk - (weighted[k] as number)));
  });
  if (options.reduction === 'none') return { loss: rowLoss, gradient: rowGradient };
  const total = rowLoss.reduce((sum, v) => sum + v, 0);
  if (options.reduction === 'sum') return { loss: [total], gradient: rowGradient };
  const denominator = meanDenominatorReference(target, weight, options.ignoreIndex);
  return {
    loss: [total / denominator],
    gradient: rowGradient.map((row) => row.map((g) => g / denominator)),
  };
}

/** Σ over kept rows of the weight of the target class; N for probability targets. */
export function meanDenominatorReference(
  target: readonly number[] | Matrix,
  weight: readonly number[],
  ignoreIndex?: number,
): number {
  return target.reduce<number>((sum, row) => {
    if (typeof row !== 'number') return sum + 1;
    if (row === ignoreIndex) return sum;
    return sum + (weight[row] as number);
  }, 0);
}

/** Flattens a matrix row by row, for comparison with toArray(). */
export function flat(matrix: Matrix): number[] {
  return matrix.flat();
}
