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

/** Throws a clear error for images or ranges that augmentBatch cannot use. */
function checkAugmentation(images: Tensor, maxDegrees: unknown, maxShift: unknown): void {
  if (images.ndim !== 4 || images.shape.some((size) => size < 1)) {
    throw new RangeError(
      `augmentBatch: images must have shape [N, C, H, W] with no empty dimension, got ` +
        `[${images.shape.join(', ')}]; add a channel dimension with unsqueeze(1)`,
    );
  }
  if (images.dtype !== 'float32' && images.dtype !== 'float64') {
    throw new TypeError(`augmentBatch: images must be float32 or float64, got ${images.dtype}`);
  }
  for (const [name, value] of [
    ['maxDegrees', maxDegrees],
    ['maxShift', maxShift],
  ] as const) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new RangeError(
        `augmentBatch: ${name} must be a finite number of at least 0, got ${String(value)}`,
      );
    }
  }
}

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
  checkAugmentation(images, maxDegrees, maxShift);
  const [n, , height, width] = images.shape as [number, number, number, number];
  const dtype = images.dtype;
  return noGrad(() =>
    tidy(() => {
      const radians = (maxDegrees * Math.PI) / 180;
      const angle = uniform([n], -radians, radians, { generator, dtype });
      const shiftX = (2 * maxShift) / width;
      const shiftY = (2 * maxShift) / height;
      const tx = uniform([n], -shiftX, shiftX, { generator, dtype });
      const ty = uniform([n], -shiftY, shiftY, { generator, dtype });
      const cos = angle.cos();
      const sin = angle.sin();
      const theta = stack([stack([cos, sin.neg(), tx], 1), stack([sin, cos, ty], 1)], 1);
      const grid = affineGrid(theta, images.shape);
      return gridSample(images, grid);
    }),
  );
}
