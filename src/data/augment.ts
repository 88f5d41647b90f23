/**
 * "Moderate" augmentation: a random rotation and shift of each image, resampled
 * bilinearly with zero padding, batched on tensors with affineGrid and gridSample. No
 * flips, since flipped digits change meaning.
 */
import { affineGrid, gridSample } from '../nn/functional.js';
import { noGrad } from '../tensor/autograd.js';
import { stack, uniform } from '../tensor/creation.js';
import type { Generator } from '../tensor/random.js';
import { tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';

export interface AugmentOptions {
  /** Largest rotation in degrees, either way. Default 10. */
  maxDegrees?: number;
  /** Largest shift in pixels along each axis, either way. Default 2. */
  maxShift?: number;
}

/** The augmentation used for the paper's runs: ±10° rotation and ±2 px shift. */
export const moderateAugmentation: Required<AugmentOptions> = { maxDegrees: 10, maxShift: 2 };

/**
 * Rotates and shifts each image of [N, C, H, W] by its own random amounts drawn from
 * `generator`; returns a new tensor.
 */
export function augmentBatch(
  images: Tensor,
  generator: Generator,
  options: AugmentOptions = {},
): Tensor {
  const { maxDegrees, maxShift } = { ...moderateAugmentation, ...options };
  const [n, , height, width] = images.shape as [number, number, number, number];
  return noGrad(() =>
    tidy(() => {
      const radians = (maxDegrees * Math.PI) / 180;
      const angle = uniform([n], -radians, radians, { generator });
      const tx = uniform([n], -(2 * maxShift) / width, (2 * maxShift) / width, { generator });
      const ty = uniform([n], -(2 * maxShift) / height, (2 * maxShift) / height, { generator });
      const cos = angle.cos();
      const sin = angle.sin();
      const theta = stack([stack([cos, sin.neg(), tx], 1), stack([sin, cos, ty], 1)], 1);
      const grid = affineGrid(theta, images.shape);
      return gridSample(images, grid);
    }),
  );
}
