/** Target scores Y° for the heads: blurred or smoothed one-hot rows, mapped to a range. */
import { noGrad } from '../tensor/autograd.js';
import { tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import type { SoftRange } from './soft.js';

/** How class labels become target rows. */
export interface TargetOptions {
  /**
   * μ, the share of the target mass spread evenly over the K − 1 wrong classes:
   * e_i[j] = (1 − μ) δ_ij + μ / (K − 1) (1 − δ_ij). Default 1e−6.
   */
  blur?: number;
  /**
   * ε, PyTorch's label smoothing: (1 − ε) δ_ij + ε / K. When set, it replaces blur, so
   * the same option means the same target rows for CE and ISBE heads.
   */
  labelSmoothing?: number;
}

export const defaultBlur = 1e-6;

/** Checks that μ or ε is a number in [0, 1). */
export function checkTargetOptions(options: TargetOptions): void {
  for (const [name, value] of Object.entries(options)) {
    if (value === undefined || (name !== 'blur' && name !== 'labelSmoothing')) continue;
    if (typeof value !== 'number' || !(value >= 0 && value < 1)) {
      throw new RangeError(`${name} must be a number in [0, 1), got ${String(value)}`);
    }
  }
}

/**
 * Target rows [N, K] (float32 unless `dtype` says otherwise) for int64 labels [N]: blurred
 * (or smoothed) one-hot rows in [0, 1], mapped to 2e − 1 for soft functions whose range is
 * (−1, 1).
 */
export function labelTargets(
  labels: Tensor,
  numClasses: number,
  range: SoftRange,
  options: TargetOptions = {},
  dtype: 'float32' | 'float64' = 'float32',
): Tensor {
  if (numClasses < 2) throw new RangeError(`numClasses must be at least 2, got ${numClasses}`);
  const { on, off } = targetLevels(numClasses, options);
  return noGrad(() =>
    tidy(() => {
      const rows = labels
        .oneHot(numClasses)
        .to(dtype)
        .mul(on - off)
        .add(off);
      return range === 'symmetric' ? rows.mul(2).sub(1) : rows;
    }),
  );
}

/** Value of the true class and of every other class in a target row in [0, 1]. */
export function targetLevels(numClasses: number, options: TargetOptions = {}) {
  checkTargetOptions(options);
  if (options.labelSmoothing !== undefined) {
    const epsilon = options.labelSmoothing;
    return { on: 1 - epsilon + epsilon / numClasses, off: epsilon / numClasses };
  }
  const blur = options.blur ?? defaultBlur;
  return { on: 1 - blur, off: blur / (numClasses - 1) };
}

/** Maps probability rows in [0, 1] to a soft function's range, as float32 unless `dtype` says. */
export function mapToRange(
  probabilities: Tensor,
  range: SoftRange,
  dtype: 'float32' | 'float64' = 'float32',
): Tensor {
  const rows = probabilities.to(dtype);
  if (range === 'unit') return rows;
  const mapped = rows.mul(2).sub(1);
  rows.dispose();
  return mapped;
}
