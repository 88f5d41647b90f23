import { native } from '../native/load.js';
import { tensor } from '../tensor/creation.js';
import { tidy } from '../tensor/scope.js';
import { Tensor } from '../tensor/tensor.js';

/** Images and labels of one split, in libtorch memory. */
export interface ImageSet {
  /** Pixels scaled to [0, 1], float32 [N, C, H, W]. */
  images: Tensor;
  /** Class indices, int64 [N]. */
  labels: Tensor;
}

/** A data set split into training, validation and test images. */
export interface DataSplits {
  /** Name of the data set, for example "mnist". */
  name: string;
  /** Where the images came from (a folder or an npm package). */
  source: string;
  numClasses: number;
  /** Shape of one image, [C, H, W]. */
  imageShape: readonly [number, number, number];
  train: ImageSet;
  validation: ImageSet;
  test: ImageSet;
}

/** Number of images in a split. */
export function setSize(set: ImageSet): number {
  return set.labels.shape[0] as number;
}

/**
 * Converts raw bytes (one byte a pixel, rows of images) into a float32 [N, C, H, W] tensor
 * scaled to [0, 1], the same scaling for every split. The result is kept out of tidy().
 */
export function imagesFromBytes(bytes: Uint8Array, shape: readonly number[]): Tensor {
  return new Tensor(native.bytesToFloat(bytes, shape, 255)).keep();
}

/** Converts label bytes into an int64 [N] tensor kept out of tidy(). */
export function labelsFromBytes(bytes: Uint8Array): Tensor {
  return tidy(() => tensor(bytes).to('int64')).keep();
}

/** Frees the tensors of every split. */
export function disposeSplits(splits: DataSplits): void {
  for (const set of [splits.train, splits.validation, splits.test]) {
    set.images.dispose();
    set.labels.dispose();
  }
}

/** Rows first .. first + count − 1 of a split, as views kept out of tidy(). */
export function sliceSet(set: ImageSet, first: number, count: number): ImageSet {
  return {
    images: set.images.narrow(0, first, count).keep(),
    labels: set.labels.narrow(0, first, count).keep(),
  };
}
