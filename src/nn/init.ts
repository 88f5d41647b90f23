/** Parameter initialisation that matches PyTorch's defaults. */
import { uniform } from '../tensor/creation.js';
import type { Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * Draws a weight as PyTorch's Linear and Conv2d do: kaiming_uniform_ with a = √5, which
 * is U(−1/√fanIn, 1/√fanIn), computed in the same order of operations. With the same seed
 * and layer order, the weights equal PyTorch's bit for bit.
 */
export function defaultWeight(shape: readonly number[], generator?: Generator): Tensor {
  const fanIn = shape.slice(1).reduce((product, size) => product * size, 1);
  const gain = Math.sqrt(2 / (1 + 5));
  const bound = Math.sqrt(3) * (gain / Math.sqrt(fanIn));
  return uniform(shape, -bound, bound, { generator });
}

/** Draws a bias as PyTorch does: U(−1/√fanIn, 1/√fanIn). */
export function defaultBias(size: number, fanIn: number, generator?: Generator): Tensor {
  const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  return uniform([size], -bound, bound, { generator });
}
