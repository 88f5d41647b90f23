import { randperm } from '../tensor/creation.js';
import type { Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import type { ImageSet } from './dataset.js';
import { setSize } from './dataset.js';

/** One batch of a split, gathered into new tensors. */
export interface Batch {
  images: Tensor;
  labels: Tensor;
  /** Position of the batch in its epoch, from 0. */
  index: number;
}

/** Number of batches of `batchSize` in `count` images; the last batch may be smaller. */
export function batchCount(count: number, batchSize: number): number {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batch size must be an integer of at least 1, got ${batchSize}`);
  }
  return Math.ceil(count / batchSize);
}

/**
 * Yields the batches of one epoch in the order of a permutation drawn from `generator`.
 * Each batch is gathered with one indexSelect call per tensor. The caller owns (and
 * frees) each batch's tensors; the permutation is freed when the loop ends.
 */
export function* shuffledBatches(
  set: ImageSet,
  batchSize: number,
  generator: Generator,
  firstBatch = 0,
): IterableIterator<Batch> {
  const count = setSize(set);
  if (set.images.shape[0] !== count) {
    throw new RangeError(
      `shuffledBatches: the set has ${set.images.shape[0]} images but ${count} labels; ` +
        'give one label per image',
    );
  }
  const batches = batchCount(count, batchSize);
  const order = randperm(count, { generator }).keep();
  try {
    for (let index = firstBatch; index < batches; index++) {
      const start = index * batchSize;
      const ids = order.narrow(0, start, Math.min(batchSize, count - start));
      const batch = {
        images: set.images.indexSelect(0, ids),
        labels: set.labels.indexSelect(0, ids),
        index,
      };
      ids.dispose();
      yield batch;
    }
  } finally {
    order.dispose();
  }
}

/** Yields consecutive batches of a split, in order, as views (evaluation needs no copy). */
export function* orderedBatches(set: ImageSet, batchSize: number): IterableIterator<Batch> {
  const count = setSize(set);
  const batches = batchCount(count, batchSize);
  for (let index = 0; index < batches; index++) {
    const start = index * batchSize;
    const length = Math.min(batchSize, count - start);
    yield {
      images: set.images.narrow(0, start, length),
      labels: set.labels.narrow(0, start, length),
      index,
    };
  }
}
