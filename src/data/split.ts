import type { DataSplits, ImageSet } from './dataset.js';
import { sliceSet } from './dataset.js';
import type { Tensor } from '../tensor/tensor.js';

/** Data that cannot be used as given; the message says what is wrong and how to fix it. */
export class DataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataError';
  }
}

/** Everything needed to hold out a validation set from the training images. */
export interface SplitInput extends Omit<DataSplits, 'train' | 'validation'> {
  trainImages: Tensor;
  trainLabels: Tensor;
  validationSize: number;
  limit?: number;
}

/**
 * Holds out the last `validationSize` training images for validation and keeps the first
 * `limit` of the rest for training. The full tensors are freed; the splits are views
 * that keep their storage alive.
 */
export function splitTrainValidation(input: SplitInput): DataSplits {
  const total = input.trainLabels.shape[0] as number;
  const { validationSize, limit } = input;
  if (total < 2) {
    throw new DataError(
      `the training files contain ${total} images, but training and validation need at least 2; ` +
        'check that the training images and labels files are complete',
    );
  }
  if (!Number.isInteger(validationSize) || validationSize < 1 || validationSize >= total) {
    throw new DataError(
      `validation size must be an integer in [1, ${total - 1}] for ${total} training images, ` +
        `got ${validationSize}`,
    );
  }
  const available = total - validationSize;
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
    throw new DataError(`limit must be a positive integer, got ${limit}`);
  }
  const trainCount = Math.min(limit ?? available, available);
  const all: ImageSet = { images: input.trainImages, labels: input.trainLabels };
  const train = sliceSet(all, 0, trainCount);
  const validation = sliceSet(all, available, validationSize);
  input.trainImages.dispose();
  input.trainLabels.dispose();
  const { name, source, numClasses, imageShape, test } = input;
  return { name, source, numClasses, imageShape, train, validation, test };
}
