// Batching of an image set: batch sizes, coverage of every image, and invalid batch sizes
// and sets.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  arange,
  batchCount,
  Generator,
  orderedBatches,
  shuffledBatches,
  zeros,
} from '../../src/index.js';
import type { ImageSet } from '../../src/data/dataset.js';

function imageSet(count: number): ImageSet {
  return { images: zeros([count, 1, 2, 2]), labels: arange(count, { dtype: 'int64' }) };
}

describe('batches', () => {
  test('shuffled batches cover every image', () => {
    const set = imageSet(10);
    const seen: number[] = [];
    const sizes: number[] = [];
    for (const batch of shuffledBatches(set, 4, new Generator(0))) {
      sizes.push(batch.labels.shape[0] as number);
      seen.push(...batch.labels.toArray());
      batch.images.dispose();
      batch.labels.dispose();
    }
    assert.deepEqual(sizes, [4, 4, 2]);
    assert.deepEqual(
      seen.sort((a, b) => a - b),
      Array.from({ length: 10 }, (_, i) => i),
    );
    set.images.dispose();
    set.labels.dispose();
  });

  test('more images than labels rejected', () => {
    const set = { images: zeros([5, 1, 2, 2]), labels: arange(3, { dtype: 'int64' }) };
    assert.throws(() => shuffledBatches(set, 2, new Generator(0)).next(), {
      name: 'RangeError',
      message: 'shuffledBatches: the set has 5 images but 3 labels; give one label per image',
    });
    set.images.dispose();
    set.labels.dispose();
  });

  for (const size of [0, -5, 2.5, Number.NaN]) {
    test(`batch size ${size} is rejected`, () => {
      const set = imageSet(3);
      const message = `batch size must be an integer of at least 1, got ${size}`;
      assert.throws(() => batchCount(3, size), { name: 'RangeError', message });
      assert.throws(() => shuffledBatches(set, size, new Generator(0)).next(), { message });
      assert.throws(() => orderedBatches(set, size).next(), { message });
      set.images.dispose();
      set.labels.dispose();
    });
  }
});
