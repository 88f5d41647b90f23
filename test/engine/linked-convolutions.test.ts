// Two convolutions in a row that pass their activations in oneDNN's 16-channel blocks, and
// convolutions whose kernel covers the whole input, computed as a matrix product. Each must
// agree with libtorch's direct convolution followed by a separate ReLU.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  autocast,
  manualSeed,
  nn,
  noGrad,
  randn,
  type Tensor,
  tensor,
  tidy,
  zeros,
} from '../../src/index.js';
import { native } from '../../src/native/load.js';
import { relativeError } from './gradcheck.js';

const { conv2d } = nn.functional;
const winograd = native.winogradAvailable();

function countNaN(t: Tensor): number {
  return t.toArray().filter(Number.isNaN).length;
}

// Runs the layers one by one, with the direct algorithm by default, and a separate ReLU
// after each layer that has `relu` set.
function runSeparately(
  layers: nn.Conv2d[],
  relu: boolean[],
  input: Tensor,
  algorithm: 'auto' | 'direct' = 'direct',
): Tensor {
  return layers.reduce((x, layer, i) => {
    const { stride, padding } = layer;
    const y = conv2d(x, layer.weight, layer.bias, { stride, padding, algorithm });
    return relu[i] ? y.relu() : y;
  }, input);
}

// Runs the layers as Sequential links them: each hands its output to the next one.
function runLinked(layers: nn.Conv2d[], relu: boolean[], input: Tensor): Tensor[] {
  const outputs: Tensor[] = [];
  layers.reduce((x, layer, i) => {
    const blocked = i > 0 && x.ndim === 5;
    const y = layer.forwardLinked(x, relu[i] ? 'relu' : 'none', blocked, layers[i + 1]);
    outputs.push(y);
    return y;
  }, input);
  return outputs;
}

// Runs backward from `output` and returns the parameter gradients of `layers`, which it
// then clears for the next run.
function backwardGradients(output: Tensor, gradient: Tensor, layers: nn.Conv2d[]): Tensor[] {
  output.backward(gradient);
  const grads = layers.flatMap((layer) => layer.parameters().map((p) => p.grad!.clone()));
  for (const layer of layers) {
    for (const p of layer.parameters()) p.grad = undefined;
  }
  return grads;
}

function assertSameGradients(actual: Tensor[], expected: Tensor[]): void {
  actual.forEach((grad, i) => {
    assert.ok(relativeError(grad, expected[i]!) < 1e-4, `gradient ${i}`);
  });
}

// A one-channel first layer and three Winograd layers, the last with padding and no ReLU.
function chain(): nn.Conv2d[] {
  manualSeed(11);
  return [
    new nn.Conv2d({ inChannels: 1, outChannels: 32, kernelSize: 3 }),
    new nn.Conv2d({ inChannels: 32, outChannels: 32, kernelSize: 3 }),
    new nn.Conv2d({ inChannels: 32, outChannels: 64, kernelSize: 3, padding: 1 }),
    new nn.Conv2d({ inChannels: 64, outChannels: 64, kernelSize: 3, bias: false }),
  ];
}

const chainReLU = [true, true, true, false];

describe('convolutions linked in 16-channel blocks', () => {
  test('linked chain matches direct', () => {
    tidy(() => {
      const layers = chain();
      const input = randn([3, 1, 16, 16]).contiguous('channelsLast');
      const outputs = runLinked(layers, chainReLU, input);
      const linked = outputs.at(-1)!;
      const shapes = outputs.map((y) => y.shape);
      if (winograd) {
        assert.deepEqual(shapes.slice(0, 3), [
          [3, 2, 14, 14, 16],
          [3, 2, 12, 12, 16],
          [3, 4, 12, 12, 16],
        ]);
      }
      assert.deepEqual(linked.shape, [3, 64, 10, 10]);
      const gradient = randn(linked.shape);
      const linkedGrads = backwardGradients(linked, gradient, layers);
      const separate = runSeparately(layers, chainReLU, input);
      const separateGrads = backwardGradients(separate, gradient, layers);
      assert.ok(relativeError(linked, separate) < 1e-5, 'output');
      assertSameGradients(linkedGrads, separateGrads);
    });
  });

  test('linked chain without gradients', () => {
    tidy(() => {
      const layers = chain();
      const input = randn([2, 1, 16, 16]).contiguous('channelsLast');
      const linked = noGrad(() => runLinked(layers, chainReLU, input).at(-1)!);
      const separate = noGrad(() => runSeparately(layers, chainReLU, input));
      assert.ok(relativeError(linked, separate) < 1e-5);
    });
  });

  test('blocked input without Winograd', () => {
    tidy(() => {
      manualSeed(12);
      const first = new nn.Conv2d({ inChannels: 1, outChannels: 32, kernelSize: 3 });
      const second = new nn.Conv2d({ inChannels: 32, outChannels: 32, kernelSize: 3 });
      const strided = new nn.Conv2d({ inChannels: 32, outChannels: 16, kernelSize: 5, stride: 2 });
      const input = randn([2, 1, 14, 14]).contiguous('channelsLast');
      const blocked = first.forwardLinked(input, 'relu', false, second);
      const output = strided.forwardLinked(blocked, 'relu', blocked.ndim === 5, undefined);
      assert.deepEqual(output.shape, [2, 16, 4, 4]);
      const gradient = randn(output.shape);
      const linkedGrads = backwardGradients(output, gradient, [first, strided]);
      const separate = runSeparately([first, strided], [true, true], input);
      const separateGrads = backwardGradients(separate, gradient, [first, strided]);
      assert.ok(relativeError(output, separate) < 1e-5, 'output');
      assertSameGradients(linkedGrads, separateGrads);
    });
  });

  // Winograd spreads a NaN over whole output tiles, so the reference is each layer on its
  // own with the same algorithm.
  test('NaN crosses a linked chain', () => {
    tidy(() => {
      const layers = chain().slice(0, 3);
      const values = new Array<number>(16 * 16).fill(0.5);
      values[100] = NaN;
      const input = tensor(values).reshape([1, 1, 16, 16]);
      const relu = [true, true, true];
      const linked = runLinked(layers, relu, input).at(-1)!;
      const separate = runSeparately(layers, relu, input, 'auto');
      assert.ok(countNaN(separate) > 0);
      assert.equal(countNaN(linked), countNaN(separate));
    });
  });

  test('Sequential linking matches layer by layer', () => {
    tidy(() => {
      const layers = chain();
      const net = new nn.Sequential([
        layers[0]!,
        new nn.ReLU(),
        layers[1]!,
        new nn.ReLU(),
        layers[2]!,
        new nn.ReLU(),
        layers[3]!,
        new nn.Flatten(),
      ]);
      const input = randn([2, 1, 16, 16]).contiguous('channelsLast');
      const linked = net.forward(input);
      assert.deepEqual(linked.shape, [2, 6400]);
      const gradient = randn(linked.shape);
      const linkedGrads = backwardGradients(linked, gradient, layers);
      let separate = input;
      for (const layer of net.layers) separate = layer.forward(separate);
      const separateGrads = backwardGradients(separate, gradient, layers);
      assert.ok(relativeError(linked, separate) < 1e-5, 'output');
      assertSameGradients(linkedGrads, separateGrads);
    });
  });

  test('only Winograd followers get blocks', () => {
    tidy(() => {
      manualSeed(14);
      const first = new nn.Conv2d({ inChannels: 1, outChannels: 32, kernelSize: 3 });
      const input = randn([2, 1, 14, 14]).contiguous('channelsLast');
      const followers = {
        'stride 2': new nn.Conv2d({ inChannels: 32, outChannels: 32, kernelSize: 3, stride: 2 }),
        '5×5 kernel': new nn.Conv2d({ inChannels: 32, outChannels: 32, kernelSize: 5 }),
        'direct algorithm': new nn.Conv2d({
          inChannels: 32,
          outChannels: 32,
          kernelSize: 3,
          algorithm: 'direct',
        }),
      };
      for (const [name, next] of Object.entries(followers)) {
        assert.equal(first.forwardLinked(input, 'relu', false, next).ndim, 4, name);
      }
      const winogradNext = new nn.Conv2d({ inChannels: 32, outChannels: 32, kernelSize: 3 });
      const linked = first.forwardLinked(input, 'relu', false, winogradNext);
      assert.equal(linked.ndim, winograd ? 5 : 4, 'a Winograd follower');
    });
  });

  test('empty batch gives empty results', () => {
    tidy(() => {
      const weight = randn([16, 16, 3, 3]).requiresGrad_();
      const output = conv2d(randn([0, 16, 10, 10]).contiguous('channelsLast'), weight);
      assert.deepEqual(output.shape, [0, 16, 8, 8]);
      const layers = chain();
      const net = new nn.Sequential([layers[0]!, new nn.ReLU(), layers[1]!, new nn.Flatten()]);
      const flat = net.forward(randn([0, 1, 16, 16]).contiguous('channelsLast'));
      assert.deepEqual(flat.shape, [0, 32 * 12 * 12]);
      flat.sum().backward();
      assert.equal(layers[1]!.weight.grad!.abs().max().item(), 0);
    });
  });

  test('unflagged 5-D input rejected', () => {
    tidy(() => {
      const input = randn([2, 1, 8, 8, 16]);
      const weight = randn([16, 16, 3, 3]);
      assert.throws(
        () => conv2d(input, weight),
        /Expected 3D \(unbatched\) or 4D \(batched\) input/,
      );
    });
  });

  test('malformed blocked input rejected', () => {
    tidy(() => {
      const input = randn([1, 32, 6, 6]);
      const weight = randn([32, 32, 3, 3]);
      const run = () =>
        native.conv2d(
          input.handle,
          weight.handle,
          undefined,
          [1, 1],
          [0, 0],
          [1, 1],
          1,
          'auto',
          'none',
          true,
        );
      assert.throws(run, {
        name: 'RangeError',
        message:
          /a blocked input must be a float32 tensor \[N, C \/ 16, H, W, 16\], got \[1, 32, 6, 6\]/,
      });
    });
  });
});

interface FullKernelCase {
  name: string;
  input: [number, number, number, number];
  filters: number;
  channelsLast: boolean;
  bias: boolean;
  relu: boolean;
}

const fullKernelCases: FullKernelCase[] = [
  {
    name: 'N1 last layer',
    input: [8, 64, 4, 4],
    filters: 128,
    channelsLast: true,
    bias: true,
    relu: true,
  },
  {
    name: 'NCHW, no bias',
    input: [3, 5, 3, 2],
    filters: 7,
    channelsLast: false,
    bias: false,
    relu: false,
  },
  {
    name: 'channels-last, no ReLU',
    input: [2, 16, 5, 5],
    filters: 4,
    channelsLast: true,
    bias: true,
    relu: false,
  },
  {
    name: 'one pixel',
    input: [4, 6, 1, 1],
    filters: 3,
    channelsLast: false,
    bias: true,
    relu: true,
  },
];

function convolveFullKernel(item: FullKernelCase, algorithm: 'auto' | 'direct') {
  manualSeed(13);
  const format = item.channelsLast ? 'channelsLast' : 'contiguous';
  const input = randn(item.input).contiguous(format).requiresGrad_();
  const [, channels, height, width] = item.input;
  const weight = randn([item.filters, channels, height, width])
    .mul(0.2)
    .toMemoryFormat(format)
    .requiresGrad_();
  const bias = item.bias ? randn([item.filters]).requiresGrad_() : undefined;
  const activation = item.relu ? 'relu' : 'none';
  const output = conv2d(input, weight, bias, { algorithm, activation });
  output.backward(randn(output.shape));
  return { output, grads: [input.grad!, weight.grad!, bias?.grad] };
}

describe('convolutions whose kernel covers the input', () => {
  for (const item of fullKernelCases) {
    test(`full kernel matches direct: ${item.name}`, () => {
      tidy(() => {
        const auto = convolveFullKernel(item, 'auto');
        const direct = convolveFullKernel(item, 'direct');
        assert.deepEqual(auto.output.shape, [item.input[0], item.filters, 1, 1]);
        assert.ok(relativeError(auto.output, direct.output) < 1e-5, 'output');
        ['input', 'weight', 'bias'].forEach((name, i) => {
          const expected = direct.grads[i];
          if (expected === undefined) return;
          assert.ok(relativeError(auto.grads[i]!, expected) < 1e-5, `${name} gradient`);
        });
      });
    });
  }

  test('full kernel, bf16 and empty batch', () => {
    tidy(() => {
      const input = randn([4, 64, 4, 4]).contiguous('channelsLast');
      const weight = randn([128, 64, 4, 4]).mul(0.05);
      const mixed = autocast(() => conv2d(input, weight, undefined, { activation: 'relu' }));
      assert.equal(mixed.dtype, 'bfloat16');
      const exact = conv2d(input, weight, undefined, { algorithm: 'direct' }).relu();
      assert.ok(relativeError(mixed.to('float32'), exact) < 2e-2);
      const empty = conv2d(zeros([0, 64, 4, 4]), weight);
      assert.deepEqual(empty.shape, [0, 128, 1, 1]);
    });
  });
});
