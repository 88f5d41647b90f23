// Output shapes of the convolutions in the MNIST networks: for kernel k, stride s and
// padding p, the output side is floor((side + 2p - k) / s) + 1.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { manualSeed, nn, noGrad, zeros } from '../../src/index.js';

interface ConvCase {
  name: string;
  inChannels: number;
  side: number;
  kernelSize: number;
  stride: number;
  padding: number;
  expectedSide: number;
}

const cases: ConvCase[] = [
  {
    name: '3x3 stride 1 on 28',
    inChannels: 1,
    side: 28,
    kernelSize: 3,
    stride: 1,
    padding: 0,
    expectedSide: 26,
  },
  {
    name: '3x3 stride 1 on 26',
    inChannels: 32,
    side: 26,
    kernelSize: 3,
    stride: 1,
    padding: 0,
    expectedSide: 24,
  },
  {
    name: '3x3 stride 2 on 28',
    inChannels: 1,
    side: 28,
    kernelSize: 3,
    stride: 2,
    padding: 0,
    expectedSide: 13,
  },
  {
    name: '3x3 stride 2 on 13',
    inChannels: 32,
    side: 13,
    kernelSize: 3,
    stride: 2,
    padding: 0,
    expectedSide: 6,
  },
  {
    name: '5x5 stride 2 padding 2 on 24',
    inChannels: 32,
    side: 24,
    kernelSize: 5,
    stride: 2,
    padding: 2,
    expectedSide: 12,
  },
  {
    name: '5x5 stride 2 padding 2 on 8',
    inChannels: 64,
    side: 8,
    kernelSize: 5,
    stride: 2,
    padding: 2,
    expectedSide: 4,
  },
  {
    name: '4x4 stride 1 on 4',
    inChannels: 64,
    side: 4,
    kernelSize: 4,
    stride: 1,
    padding: 0,
    expectedSide: 1,
  },
];

describe('Conv2d output shape', () => {
  for (const c of cases) {
    test(`Conv2d ${c.name}`, () => {
      manualSeed(0);
      const layer = new nn.Conv2d({
        inChannels: c.inChannels,
        outChannels: 8,
        kernelSize: c.kernelSize,
        stride: c.stride,
        padding: c.padding,
      });
      using input = zeros([2, c.inChannels, c.side, c.side]);
      using output = noGrad(() => layer.forward(input));
      assert.deepEqual(output.shape, [2, 8, c.expectedSide, c.expectedSide]);
      layer.dispose();
    });
  }
});

describe('network shape chains', () => {
  test('N0 convolutions reach 64x6x6', () => {
    manualSeed(0);
    const network = new nn.Sequential([
      new nn.Conv2d({ inChannels: 1, outChannels: 32, kernelSize: 3, stride: 2 }),
      new nn.ReLU(),
      new nn.Conv2d({ inChannels: 32, outChannels: 64, kernelSize: 3, stride: 2 }),
      new nn.ReLU(),
      new nn.Flatten(),
      new nn.Linear({ inFeatures: 64 * 6 * 6, outFeatures: 10 }),
    ]);
    using input = zeros([3, 1, 28, 28]);
    using output = noGrad(() => network.forward(input));
    assert.deepEqual(output.shape, [3, 10]);
    network.dispose();
  });

  test('N1 convolutions reach 128x1x1', () => {
    manualSeed(0);
    const conv = (inChannels: number, outChannels: number, kernelSize: number, stride = 1) =>
      new nn.Conv2d({
        inChannels,
        outChannels,
        kernelSize,
        stride,
        padding: kernelSize === 5 ? 2 : 0,
      });
    const network = new nn.Sequential([
      conv(1, 32, 3),
      conv(32, 32, 3),
      conv(32, 32, 5, 2),
      conv(32, 64, 3),
      conv(64, 64, 3),
      conv(64, 64, 5, 2),
      conv(64, 128, 4),
    ]);
    using input = zeros([2, 1, 28, 28]);
    using output = noGrad(() => network.forward(input));
    assert.deepEqual(output.shape, [2, 128, 1, 1]);
    network.dispose();
  });

  test('functional conv2d with rectangular padding', () => {
    using input = zeros([1, 2, 7, 9]);
    using weight = zeros([4, 2, 3, 3]);
    using output = nn.functional.conv2d(input, weight, undefined, {
      stride: [2, 1],
      padding: [1, 0],
    });
    assert.deepEqual(output.shape, [1, 4, 4, 7]);
  });
});
