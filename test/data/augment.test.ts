// Augmentation: random rotation and shift per image, and its checks of bad input.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { augmentBatch, Generator, nn, rand, randn, tensor, tidy } from '../../src/index.js';

describe('augmentBatch', () => {
  test('keeps shape and dtype', () => {
    tidy(() => {
      for (const dtype of ['float32', 'float64'] as const) {
        const images = rand([3, 1, 28, 28], { dtype });
        const out = augmentBatch(images, new Generator(1));
        assert.deepEqual(out.shape, [3, 1, 28, 28]);
        assert.equal(out.dtype, dtype);
      }
    });
  });

  test('same seed gives the same batch', () => {
    tidy(() => {
      const images = rand([4, 1, 12, 12]);
      const first = augmentBatch(images, new Generator(7)).toArray();
      const second = augmentBatch(images, new Generator(7)).toArray();
      assert.deepEqual(first, second);
    });
  });

  test('no rotation or shift keeps the images', () => {
    tidy(() => {
      const images = rand([2, 1, 9, 9]);
      const out = augmentBatch(images, new Generator(3), { maxDegrees: 0, maxShift: 0 });
      const deviation = out.sub(images).abs().max().item();
      assert.ok(deviation < 1e-6, `deviation ${deviation}`);
    });
  });

  test('rejects images without a channel dimension', () => {
    tidy(() => {
      assert.throws(() => augmentBatch(rand([3, 28, 28]), new Generator(1)), {
        name: 'RangeError',
        message: /must have shape \[N, C, H, W\].*got \[3, 28, 28\]; add a channel dimension/,
      });
      assert.throws(() => augmentBatch(rand([3, 1, 0, 28]), new Generator(1)), {
        message: /no empty dimension, got \[3, 1, 0, 28\]/,
      });
    });
  });

  test('rejects integer images', () => {
    tidy(() => {
      assert.throws(
        () =>
          augmentBatch(
            tensor([1, 2, 3, 4], { dtype: 'int64' }).reshape([1, 1, 2, 2]),
            new Generator(1),
          ),
        {
          name: 'TypeError',
          message: /must be float32 or float64, got int64/,
        },
      );
    });
  });

  test('rejects bad ranges', () => {
    tidy(() => {
      const images = rand([1, 1, 4, 4]);
      const bad: [string, unknown][] = [
        ['maxDegrees', -10],
        ['maxDegrees', Number.NaN],
        ['maxShift', Number.POSITIVE_INFINITY],
        ['maxDegrees', '10'],
      ];
      for (const [name, value] of bad) {
        assert.throws(() => augmentBatch(images, new Generator(1), { [name]: value }), {
          name: 'RangeError',
          message: new RegExp(
            `${name} must be a finite number of at least 0, got ${String(value)}`,
          ),
        });
      }
    });
  });
});

describe('affineGrid checks', () => {
  test('rejects integer and half theta', () => {
    tidy(() => {
      const theta = randn([1, 2, 3]);
      for (const dtype of ['int64', 'float16'] as const) {
        assert.throws(() => nn.functional.affineGrid(theta.to(dtype), [1, 1, 4, 4]), {
          message: /theta must be a float32, float64 or bfloat16 Tensor, got (Long|Half)/,
        });
      }
    });
  });

  test('rejects sizes without channels', () => {
    tidy(() => {
      assert.throws(() => nn.functional.affineGrid(randn([1, 2, 3]), [1, 0, 4, 4]), {
        message: /size must have channels, height and width of at least 1, got \[1, 0, 4, 4\]/,
      });
    });
  });
});
