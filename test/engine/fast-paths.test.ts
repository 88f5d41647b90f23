// The layers that bypass libtorch's own kernels for speed: Winograd convolutions, the
// flatten whose gradient keeps the input's memory format and the affine grid of
// augmentation. Each must agree with the plain computation.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { autocast, manualSeed, nn, randn, type Tensor, tidy } from '../../src/index.js';
import { native } from '../../src/native/load.js';

const { conv2d } = nn.functional;

function relativeError(actual: Tensor, expected: Tensor): number {
  return tidy(() => actual.sub(expected).abs().max().item() / expected.abs().max().item());
}

interface Case {
  name: string;
  input: number[];
  outChannels: number;
  padding: number;
  bias: boolean;
}

const cases: Case[] = [
  {
    name: '32 to 64 channels on 12×12',
    input: [4, 32, 12, 12],
    outChannels: 64,
    padding: 0,
    bias: true,
  },
  {
    name: '64 to 64 channels on 10×10',
    input: [3, 64, 10, 10],
    outChannels: 64,
    padding: 0,
    bias: false,
  },
  {
    name: 'padded 16 channels on 8×8',
    input: [2, 16, 8, 8],
    outChannels: 32,
    padding: 1,
    bias: true,
  },
  { name: 'large map falls back', input: [2, 32, 26, 26], outChannels: 32, padding: 0, bias: true },
];

describe('conv2d auto algorithm', () => {
  for (const item of cases) {
    test(`conv2d auto matches direct: ${item.name}`, () => {
      manualSeed(1);
      tidy(() => {
        const input = randn(item.input).contiguous('channelsLast').requiresGrad_();
        const weight = randn([item.outChannels, item.input[1]!, 3, 3])
          .mul(0.1)
          .toMemoryFormat('channelsLast')
          .requiresGrad_();
        const bias = item.bias ? randn([item.outChannels]).requiresGrad_() : undefined;
        const options = { padding: item.padding };
        const direct = conv2d(input, weight, bias, { ...options, algorithm: 'direct' });
        const gradient = randn(direct.shape);
        direct.backward(gradient);
        const expected = [input.grad!, weight.grad!, bias?.grad];
        input.grad = undefined;
        weight.grad = undefined;
        if (bias) bias.grad = undefined;
        const auto = conv2d(input, weight, bias, { ...options, algorithm: 'auto' });
        auto.backward(gradient);
        assert.ok(relativeError(auto, direct) < 1e-4, 'output');
        assert.ok(relativeError(input.grad!, expected[0]!) < 1e-4, 'input gradient');
        assert.ok(relativeError(weight.grad!, expected[1]!) < 1e-4, 'weight gradient');
        if (bias) assert.ok(relativeError(bias.grad!, expected[2]!) < 1e-4, 'bias gradient');
        assert.ok(auto.isContiguous('channelsLast'), 'output stays channels_last');
      });
    });
  }

  test('conv2d auto without gradients', () => {
    tidy(() => {
      const input = randn([2, 32, 12, 12]).contiguous('channelsLast');
      const weight = randn([32, 32, 3, 3]).mul(0.1);
      const direct = conv2d(input, weight, undefined, { algorithm: 'direct' });
      const auto = conv2d(input, weight, undefined, { algorithm: 'auto' });
      assert.ok(relativeError(auto, direct) < 1e-4);
    });
  });

  test('conv2d auto under bf16 autocast', () => {
    tidy(() => {
      const input = randn([2, 32, 12, 12]).contiguous('channelsLast');
      const weight = randn([32, 32, 3, 3]).mul(0.1);
      const output = autocast(() => conv2d(input, weight, undefined, { algorithm: 'auto' }));
      assert.equal(output.dtype, 'bfloat16');
    });
  });

  test('conv2d auto reports whether Winograd is built in', () => {
    assert.equal(typeof native.winogradAvailable(), 'boolean');
  });
});

describe('flatten of a channels_last batch', () => {
  test('flatten gradient keeps channels_last', () => {
    tidy(() => {
      const input = randn([4, 8, 5, 5]).contiguous('channelsLast').requiresGrad_();
      const flat = new nn.Flatten().forward(input);
      assert.deepEqual(flat.shape, [4, 200]);
      flat.backward(randn([4, 200]));
      assert.ok(input.grad!.isContiguous('channelsLast'));
    });
  });

  test('flatten matches the contiguous order', () => {
    tidy(() => {
      const input = randn([2, 3, 4, 4]);
      const fromChannelsLast = new nn.Flatten().forward(input.contiguous('channelsLast'));
      assert.deepEqual(fromChannelsLast.toArray(), input.flatten(1).toArray());
    });
  });

  test('flatten gradient equals the plain one', () => {
    tidy(() => {
      const input = randn([2, 3, 4, 4]).contiguous('channelsLast').requiresGrad_();
      const weights = randn([2, 48]);
      new nn.Flatten().forward(input).mul(weights).sum().backward();
      assert.deepEqual(input.grad!.toArray(), weights.reshape([2, 3, 4, 4]).toArray());
    });
  });
});

// Pixel centres along an axis of `steps` pixels, from torch.nn.functional.affine_grid's
// definition.
function axis(steps: number, alignCorners: boolean): number[] {
  return Array.from({ length: steps }, (_, i) => {
    const corner = steps === 1 ? 0 : -1 + (2 * i) / (steps - 1);
    return alignCorners ? corner : (corner * (steps - 1)) / steps;
  });
}

describe('affineGrid in one matrix product', () => {
  for (const alignCorners of [false, true]) {
    test(`affineGrid follows its definition, alignCorners ${alignCorners}`, () => {
      manualSeed(3);
      tidy(() => {
        const [n, height, width] = [3, 5, 4];
        const theta = randn([n, 2, 3]);
        const grid = nn.functional.affineGrid(theta, [n, 1, height, width], { alignCorners });
        assert.deepEqual(grid.shape, [n, height, width, 2]);
        const thetaValues = theta.toArray();
        const gridValues = grid.toArray();
        const [xs, ys] = [axis(width, alignCorners), axis(height, alignCorners)];
        let largest = 0;
        for (let i = 0; i < n; i++) {
          for (let h = 0; h < height; h++) {
            for (let w = 0; w < width; w++) {
              for (let k = 0; k < 2; k++) {
                const row = i * 6 + k * 3;
                const expected =
                  thetaValues[row]! * xs[w]! +
                  thetaValues[row + 1]! * ys[h]! +
                  thetaValues[row + 2]!;
                const actual = gridValues[((i * height + h) * width + w) * 2 + k]!;
                largest = Math.max(largest, Math.abs(actual - expected));
              }
            }
          }
        }
        assert.ok(largest < 1e-6, `largest deviation ${largest}`);
      });
    });
  }
});
