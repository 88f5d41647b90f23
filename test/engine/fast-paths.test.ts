// The layers that bypass libtorch's own kernels for speed: Winograd convolutions, direct
// convolutions of one-channel images, the flatten whose gradient keeps the input's memory
// format and the affine grid of augmentation. Each must agree with the plain computation.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  autocast,
  full,
  manualSeed,
  nn,
  noGrad,
  ones,
  randn,
  type Tensor,
  tensor,
  tidy,
} from '../../src/index.js';
import { native } from '../../src/native/load.js';
import { relativeError } from './gradcheck.js';

const { conv2d } = nn.functional;

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
  { name: '24×24 output', input: [2, 32, 26, 26], outChannels: 32, padding: 0, bias: true },
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
      const nchw = input.contiguous();
      const strides = (algorithm: 'auto' | 'direct') =>
        conv2d(nchw, weight, undefined, { algorithm }).strides;
      assert.deepEqual(strides('auto'), strides('direct'), 'NCHW stays NCHW');
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

  test('autocast rejects other dtypes', () => {
    assert.throws(() => autocast(() => 0, 'float16'), {
      name: 'RangeError',
      message:
        "autocast: CPU autocast supports only bfloat16, got float16; omit the dtype or pass 'bfloat16'",
    });
  });

  test('conv2d auto reports whether Winograd is built in', () => {
    assert.equal(typeof native.winogradAvailable(), 'boolean');
  });
});

interface SingleChannelCase {
  name: string;
  input: [number, number, number, number];
  filters: number;
  kernel: number;
  stride: number;
  padding: number;
  bias: boolean;
  channelsLast: boolean;
}

const singleChannelCases: SingleChannelCase[] = [
  {
    name: "N0's first layer",
    input: [6, 1, 28, 28],
    filters: 32,
    kernel: 3,
    stride: 2,
    padding: 0,
    bias: true,
    channelsLast: true,
  },
  {
    name: "N1's first layer",
    input: [3, 1, 28, 28],
    filters: 32,
    kernel: 3,
    stride: 1,
    padding: 0,
    bias: true,
    channelsLast: true,
  },
  {
    name: 'NCHW, 16 filters',
    input: [3, 1, 20, 20],
    filters: 16,
    kernel: 3,
    stride: 1,
    padding: 1,
    bias: true,
    channelsLast: false,
  },
  {
    name: '64 filters, stride 3, padded',
    input: [2, 1, 7, 9],
    filters: 64,
    kernel: 3,
    stride: 3,
    padding: 1,
    bias: true,
    channelsLast: true,
  },
  {
    name: '5 filters 5×5, padded, no bias',
    input: [2, 1, 9, 9],
    filters: 5,
    kernel: 5,
    stride: 2,
    padding: 2,
    bias: false,
    channelsLast: false,
  },
  {
    name: '17 filters 4×4',
    input: [2, 1, 12, 12],
    filters: 17,
    kernel: 4,
    stride: 1,
    padding: 0,
    bias: true,
    channelsLast: true,
  },
];

// The output and the weight and bias gradients of one convolution with `algorithm`.
function convolveOnce(item: SingleChannelCase, algorithm: 'auto' | 'direct') {
  manualSeed(3);
  const input = randn(item.input);
  let weight = randn([item.filters, 1, item.kernel, item.kernel]).mul(0.3);
  if (item.channelsLast) weight = weight.toMemoryFormat('channelsLast');
  weight.requiresGrad_();
  const bias = item.bias ? randn([item.filters]).requiresGrad_() : undefined;
  const options = { stride: item.stride, padding: item.padding, algorithm };
  const output = conv2d(input, weight, bias, options);
  output.backward(randn(output.shape));
  return { output, weightGrad: weight.grad!, biasGrad: bias?.grad };
}

describe('conv2d of one-channel images', () => {
  for (const item of singleChannelCases) {
    test(`one-channel conv: ${item.name}`, () => {
      tidy(() => {
        const direct = convolveOnce(item, 'direct');
        const auto = convolveOnce(item, 'auto');
        assert.deepEqual(auto.output.shape, direct.output.shape);
        assert.deepEqual(auto.output.strides, direct.output.strides, 'memory format');
        assert.ok(relativeError(auto.output, direct.output) < 1e-5, 'output');
        assert.ok(relativeError(auto.weightGrad, direct.weightGrad) < 1e-5, 'weight gradient');
        assert.deepEqual(auto.weightGrad.strides, direct.weightGrad.strides);
        if (item.bias) {
          assert.ok(relativeError(auto.biasGrad!, direct.biasGrad!) < 1e-5, 'bias gradient');
        }
      });
    });
  }

  test('one-channel conv is deterministic', () => {
    tidy(() => {
      const first = convolveOnce(singleChannelCases[1]!, 'auto');
      const second = convolveOnce(singleChannelCases[1]!, 'auto');
      assert.equal(first.output.sub(second.output).abs().max().item(), 0);
      assert.equal(first.weightGrad.sub(second.weightGrad).abs().max().item(), 0);
    });
  });

  test('one-channel conv, no grad, autocast', () => {
    tidy(() => {
      const input = randn([4, 1, 28, 28]);
      const weight = randn([32, 1, 3, 3]);
      const direct = conv2d(input, weight, undefined, { stride: 2, algorithm: 'direct' });
      const auto = noGrad(() => conv2d(input, weight, undefined, { stride: 2, algorithm: 'auto' }));
      assert.ok(relativeError(auto, direct) < 1e-5);
      const mixed = autocast(() => conv2d(input, weight, undefined, { stride: 2 }));
      assert.equal(mixed.dtype, 'float32');
      assert.ok(relativeError(mixed, direct) < 1e-5);
    });
  });

  test('one-channel padded conv, infinite weight', () => {
    tidy(() => {
      // Padding zeros times an infinite weight give NaN in libtorch, and so here.
      const input = ones([1, 1, 3, 3]);
      const weight = full([1, 1, 3, 3], Infinity);
      const outputs = (['auto', 'direct'] as const).map((algorithm) =>
        noGrad(() => conv2d(input, weight, undefined, { padding: 1, algorithm }).toArray()),
      );
      assert.deepEqual(outputs[0], outputs[1]);
      assert.ok(Number.isNaN(outputs[0]![0]!));
    });
  });

  test('one-channel input needing its gradient', () => {
    tidy(() => {
      manualSeed(4);
      const input = randn([2, 1, 10, 10]).requiresGrad_();
      const weight = randn([16, 1, 3, 3]).requiresGrad_();
      const output = conv2d(input, weight, undefined, { algorithm: 'auto' });
      const gradient = randn(output.shape);
      output.backward(gradient);
      const auto = input.grad!;
      input.grad = undefined;
      conv2d(input, weight, undefined, { algorithm: 'direct' }).backward(gradient);
      assert.ok(relativeError(auto, input.grad!) < 1e-6);
    });
  });
});

interface ReluCase {
  name: string;
  input: [number, number, number, number];
  filters: number;
  kernel: number;
  stride: number;
  padding: number;
  /** Whether the output gradient is channels-last, like the output, or NCHW. */
  channelsLastGradient: boolean;
}

const reluCases: ReluCase[] = [
  // One-channel kernel.
  {
    name: "N1's first layer",
    input: [3, 1, 28, 28],
    filters: 32,
    kernel: 3,
    stride: 1,
    padding: 0,
    channelsLastGradient: true,
  },
  {
    name: 'one channel, NCHW gradient, 5 filters',
    input: [2, 1, 9, 9],
    filters: 5,
    kernel: 3,
    stride: 2,
    padding: 1,
    channelsLastGradient: false,
  },
  // Winograd.
  {
    name: '32 to 32 channels on 26×26',
    input: [2, 32, 26, 26],
    filters: 32,
    kernel: 3,
    stride: 1,
    padding: 0,
    channelsLastGradient: true,
  },
  {
    name: '16 to 32 channels, padded, NCHW gradient',
    input: [2, 16, 8, 8],
    filters: 32,
    kernel: 3,
    stride: 1,
    padding: 1,
    channelsLastGradient: false,
  },
  // libtorch's convolution.
  {
    name: '5×5 stride 2',
    input: [2, 32, 12, 12],
    filters: 32,
    kernel: 5,
    stride: 2,
    padding: 2,
    channelsLastGradient: true,
  },
];

// Output and gradients of conv2d with a fused ReLU, or of the direct conv2d then relu().
function convolveWithReLU(item: ReluCase, fused: boolean) {
  manualSeed(5);
  const input = randn(item.input).contiguous('channelsLast');
  if (item.input[1] > 1) input.requiresGrad_();
  const weight = randn([item.filters, item.input[1], item.kernel, item.kernel])
    .mul(0.2)
    .toMemoryFormat('channelsLast')
    .requiresGrad_();
  const bias = randn([item.filters]).requiresGrad_();
  const options = { stride: item.stride, padding: item.padding };
  const output = fused
    ? conv2d(input, weight, bias, { ...options, activation: 'relu' })
    : conv2d(input, weight, bias, { ...options, algorithm: 'direct' }).relu();
  let gradient = randn(output.shape);
  if (item.channelsLastGradient) gradient = gradient.contiguous('channelsLast');
  output.backward(gradient);
  return { output, grads: [input.grad, weight.grad!, bias.grad!] };
}

describe('conv2d with a fused ReLU', () => {
  for (const item of reluCases) {
    test(`fused ReLU: ${item.name}`, () => {
      tidy(() => {
        const fused = convolveWithReLU(item, true);
        const separate = convolveWithReLU(item, false);
        assert.ok(relativeError(fused.output, separate.output) < 1e-5, 'output');
        assert.ok(fused.output.min().item() >= 0, 'no negative output');
        ['input', 'weight', 'bias'].forEach((name, i) => {
          const expected = separate.grads[i];
          if (expected === undefined) return;
          assert.ok(relativeError(fused.grads[i]!, expected) < 1e-4, `${name} gradient`);
        });
      });
    });
  }

  test('fused ReLU, no grad, autocast', () => {
    tidy(() => {
      const input = randn([2, 32, 12, 12]).contiguous('channelsLast');
      const weight = randn([32, 32, 3, 3]).mul(0.1);
      const expected = conv2d(input, weight, undefined, { algorithm: 'direct' }).relu();
      const fused = noGrad(() => conv2d(input, weight, undefined, { activation: 'relu' }));
      assert.ok(relativeError(fused, expected) < 1e-5);
      const mixed = autocast(() => conv2d(input, weight, undefined, { activation: 'relu' }));
      assert.equal(mixed.dtype, 'bfloat16');
      assert.ok(mixed.min().item() >= 0);
    });
  });

  test('fused ReLU keeps NaN', () => {
    tidy(() => {
      for (const channels of [1, 16]) {
        const values = new Array<number>(channels * 64).fill(0);
        values[27] = NaN;
        const input = tensor(values).reshape([1, channels, 8, 8]);
        const weight = ones([16, channels, 3, 3]).requiresGrad_();
        const fused = conv2d(input, weight, undefined, { activation: 'relu' });
        const separate = conv2d(input, weight).relu();
        const nans = (t: Tensor) => t.toArray().filter(Number.isNaN).length;
        assert.ok(nans(separate) > 0);
        assert.equal(nans(fused), nans(separate), `${channels} channels`);
        fused.backward(ones(fused.shape));
        assert.ok(nans(weight.grad!) > 0, 'NaN reaches the weight gradient');
      }
    });
  });

  test('unknown activation is rejected', () => {
    tidy(() => {
      const input = randn([1, 1, 5, 5]);
      const weight = randn([2, 1, 3, 3]);
      const activation = 'gelu' as 'relu';
      assert.throws(
        () => conv2d(input, weight, undefined, { activation }),
        /unknown activation 'gelu'; expected none or relu/,
      );
    });
  });

  test('Sequential fuses Conv2d then ReLU', () => {
    tidy(() => {
      manualSeed(6);
      const net = new nn.Sequential([
        new nn.Conv2d({ inChannels: 1, outChannels: 16, kernelSize: 3 }),
        new nn.ReLU(true),
        new nn.Conv2d({ inChannels: 16, outChannels: 16, kernelSize: 3 }),
        new nn.ReLU(),
        new nn.Conv2d({ inChannels: 16, outChannels: 16, kernelSize: 3 }),
        new nn.Flatten(),
      ]);
      const input = randn([2, 1, 10, 10]).contiguous('channelsLast');
      const fused = net.forward(input);
      const gradient = randn(fused.shape);
      fused.backward(gradient);
      const fusedGrads = net.parameters().map((p) => p.grad!.clone());
      for (const p of net.parameters()) p.grad = undefined;
      let separate = input;
      for (const layer of net.layers) separate = layer.forward(separate);
      separate.backward(gradient);
      assert.ok(relativeError(fused, separate) < 1e-5, 'output');
      net.parameters().forEach((p, i) => {
        assert.ok(relativeError(fusedGrads[i]!, p.grad!) < 1e-4, `gradient ${i}`);
      });
      assert.ok(separate.min().item() < 0, 'the last convolution has no ReLU');
      net.dispose();
    });
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
