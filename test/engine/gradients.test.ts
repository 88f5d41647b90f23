// Autograd gradients of every differentiable op against central finite differences in
// float64. Inputs of abs, relu, hardtanh and hardsigmoid stay at least 0.2 away from their
// kinks, so no finite difference straddles one.
import { describe, test } from 'node:test';

import { cat, nn, stack, type Tensor, tensor } from '../../src/index.js';
import { type DifferentiableInput, gradcheck, sampleValues } from './gradcheck.js';

const F = nn.functional;

function input(shape: readonly number[], low: number, high: number, seed: number) {
  const count = shape.reduce((product, size) => product * size, 1);
  return { values: sampleValues(count, low, high, seed), shape };
}

function fixed(values: readonly number[], shape: readonly number[]): DifferentiableInput {
  return { values, shape };
}

function int64(values: readonly number[]): Tensor {
  return tensor(values, { dtype: 'int64' });
}

describe('elementwise binary ops', () => {
  test('add with broadcast and alpha', () => {
    gradcheck((a, b) => a.add(b, 0.5), [input([2, 3], -1, 1, 1), input([3], -1, 1, 2)]);
  });

  test('sub with broadcast and alpha', () => {
    gradcheck((a, b) => a.sub(b, 2), [input([2, 3], -1, 1, 3), input([2, 1], -1, 1, 4)]);
  });

  test('mul of two tensors', () => {
    gradcheck((a, b) => a.mul(b), [input([2, 3], -2, 2, 5), input([2, 3], -2, 2, 6)]);
  });

  test('div by tensor away from zero', () => {
    gradcheck((a, b) => a.div(b), [input([2, 3], -2, 2, 7), input([2, 3], 0.5, 2, 8)]);
  });

  test('pow with tensor exponent', () => {
    gradcheck((a, b) => a.pow(b), [input([2, 3], 0.5, 2, 9), input([2, 3], -1.5, 1.5, 10)]);
  });

  test('pow with number exponent', () => {
    gradcheck((a) => a.pow(3), [input([2, 3], -2, 2, 11)]);
  });
});

// Each case: op name, function, and six input values of shape [2, 3].
const unaryCases: [string, (x: Tensor) => Tensor, number[]][] = [
  ['exp', (x) => x.exp(), sampleValues(6, -2, 2, 21)],
  ['log', (x) => x.log(), sampleValues(6, 0.2, 3, 22)],
  ['sqrt', (x) => x.sqrt(), sampleValues(6, 0.2, 3, 23)],
  ['neg', (x) => x.neg(), sampleValues(6, -2, 2, 24)],
  ['abs', (x) => x.abs(), [-1.5, -0.6, -0.2, 0.25, 0.7, 1.9]],
  ['square', (x) => x.square(), sampleValues(6, -2, 2, 25)],
  ['relu', (x) => x.relu(), [-1.5, -0.6, -0.2, 0.25, 0.7, 1.9]],
  ['sigmoid', (x) => x.sigmoid(), sampleValues(6, -4, 4, 26)],
  ['tanh', (x) => x.tanh(), sampleValues(6, -3, 3, 27)],
  ['hardtanh', (x) => x.hardtanh(), [-2.2, -1.3, -0.6, 0.1, 0.8, 1.6]],
  ['hardsigmoid', (x) => x.hardsigmoid(), [-4.1, -2.5, -0.7, 0.4, 2.2, 3.6]],
];

describe('elementwise unary ops', () => {
  for (const [name, fn, values] of unaryCases) {
    test(`${name} gradient`, () => {
      gradcheck(fn, [fixed(values, [2, 3])]);
    });
  }
});

describe('normalisations', () => {
  test('softmax along last dimension', () => {
    gradcheck((x) => x.softmax(1), [input([3, 4], -2, 2, 31)]);
  });

  test('softmax along first dimension', () => {
    gradcheck((x) => x.softmax(0), [input([3, 4], -2, 2, 32)]);
  });

  test('logSoftmax along last dimension', () => {
    gradcheck((x) => x.logSoftmax(1), [input([3, 4], -2, 2, 33)]);
  });

  test('normalize along last dimension', () => {
    gradcheck((x) => x.normalize(1), [input([3, 4], -2, 2, 34)]);
  });
});

describe('reductions and products', () => {
  test('sum of every element', () => {
    gradcheck((x) => x.sum(), [input([2, 3], -1, 1, 41)]);
  });

  test('sum along dimension with keepdim', () => {
    gradcheck((x) => x.sum(1, true), [input([2, 3], -1, 1, 42)]);
  });

  test('mean of every element', () => {
    gradcheck((x) => x.mean(), [input([2, 3], -1, 1, 43)]);
  });

  test('mean along two dimensions', () => {
    gradcheck((x) => x.mean([0, 2]), [input([2, 3, 2], -1, 1, 44)]);
  });

  test('matmul of matrices', () => {
    gradcheck((a, b) => a.matmul(b), [input([2, 3], -1, 1, 45), input([3, 4], -1, 1, 46)]);
  });

  test('matmul batched', () => {
    gradcheck((a, b) => a.matmul(b), [input([2, 2, 3], -1, 1, 47), input([3, 2], -1, 1, 48)]);
  });
});

describe('layers', () => {
  test('linear with bias', () => {
    gradcheck(
      (x, weight, bias) => F.linear(x, weight, bias),
      [input([2, 3], -1, 1, 51), input([4, 3], -1, 1, 52), input([4], -1, 1, 53)],
    );
  });

  test('linear without bias', () => {
    gradcheck(
      (x, weight) => F.linear(x, weight),
      [input([2, 3], -1, 1, 54), input([4, 3], -1, 1, 55)],
    );
  });

  test('conv2d with stride 2 and padding 1', () => {
    gradcheck(
      (x, weight, bias) => F.conv2d(x, weight, bias, { stride: 2, padding: 1 }),
      [input([2, 2, 5, 5], -1, 1, 56), input([3, 2, 3, 3], -1, 1, 57), input([3], -1, 1, 58)],
    );
  });

  test('conv2d with rectangular stride', () => {
    gradcheck(
      (x, weight) => F.conv2d(x, weight, undefined, { stride: [1, 2], padding: [2, 0] }),
      [input([1, 2, 4, 5], -1, 1, 59), input([2, 2, 3, 2], -1, 1, 60)],
    );
  });

  test('dropout in eval mode', () => {
    gradcheck((x) => F.dropout(x, 0.5, { training: false }), [input([2, 3], -1, 1, 61)]);
  });

  test('Dropout module in eval mode', () => {
    const layer = new nn.Dropout(0.4).eval();
    gradcheck((x) => layer.forward(x), [input([2, 3], -1, 1, 62)]);
  });
});

describe('losses', () => {
  test('crossEntropy with class indices', () => {
    using targets = int64([2, 0, 3]);
    gradcheck((x, t) => F.crossEntropy(x, t), [input([3, 4], -2, 2, 71), targets]);
  });

  test('crossEntropy with weights and smoothing', () => {
    using targets = int64([2, 0, 3]);
    using weight = tensor([0.5, 1, 2, 1.5], { dtype: 'float64' });
    gradcheck(
      (x, t) => F.crossEntropy(x, t, { weight, labelSmoothing: 0.2, reduction: 'sum' }),
      [input([3, 4], -2, 2, 72), targets],
    );
  });

  test('crossEntropy with probability targets', () => {
    gradcheck(
      (x, t) => F.crossEntropy(x, t, { reduction: 'none' }),
      [input([3, 4], -2, 2, 73), input([3, 4], 0, 1, 74)],
    );
  });

  test('mseLoss for input and target', () => {
    gradcheck((x, t) => F.mseLoss(x, t), [input([2, 3], -1, 1, 75), input([2, 3], -1, 1, 76)]);
  });

  test('mseLoss with sum reduction', () => {
    gradcheck(
      (x, t) => F.mseLoss(x, t, 'sum'),
      [input([2, 3], -1, 1, 77), input([2, 3], -1, 1, 78)],
    );
  });

  test('binaryCrossEntropyWithLogits for input and target', () => {
    gradcheck(
      (x, t) => F.binaryCrossEntropyWithLogits(x, t),
      [input([2, 3], -3, 3, 79), input([2, 3], 0, 1, 80)],
    );
  });

  test('binaryCrossEntropyWithLogits with posWeight', () => {
    using posWeight = tensor([1, 2, 0.5], { dtype: 'float64' });
    gradcheck(
      (x, t) => F.binaryCrossEntropyWithLogits(x, t, { posWeight, reduction: 'none' }),
      [input([2, 3], -3, 3, 81), input([2, 3], 0, 1, 82)],
    );
  });
});

describe('resampling', () => {
  test('gridSample for input and grid', () => {
    gradcheck(
      (x, grid) => F.gridSample(x, grid),
      [input([1, 2, 4, 4], -1, 1, 91), input([1, 3, 3, 2], -0.9, 0.9, 92)],
    );
  });

  test('gridSample with border padding', () => {
    gradcheck(
      (x, grid) => F.gridSample(x, grid, { paddingMode: 'border', alignCorners: true }),
      [input([1, 1, 3, 4], -1, 1, 93), input([1, 2, 3, 2], -0.95, 0.95, 94)],
    );
  });

  test('affineGrid for theta', () => {
    gradcheck((theta) => F.affineGrid(theta, [2, 1, 3, 4]), [input([2, 2, 3], -1, 1, 95)]);
  });

  test('affineGrid chained into gridSample', () => {
    gradcheck(
      (x, theta) => F.gridSample(x, F.affineGrid(theta, [1, 1, 3, 3])),
      [input([1, 1, 4, 4], -1, 1, 96), fixed([0.8, 0.1, 0.05, -0.15, 0.9, -0.1], [1, 2, 3])],
    );
  });
});

describe('indexing and joining', () => {
  test('indexSelect with repeated index', () => {
    using index = int64([2, 0, 2]);
    gradcheck((x) => x.indexSelect(0, index), [input([3, 2], -1, 1, 101)]);
  });

  test('indexSelect along last dimension', () => {
    using index = int64([1, 3]);
    gradcheck((x) => x.indexSelect(1, index), [input([2, 4], -1, 1, 102)]);
  });

  test('narrow along dimension 1', () => {
    gradcheck((x) => x.narrow(1, 1, 2), [input([2, 4], -1, 1, 103)]);
  });

  test('slice with step 2', () => {
    gradcheck((x) => x.slice(1, 1, 5, 2), [input([2, 5], -1, 1, 104)]);
  });

  test('cat along dimension 1', () => {
    gradcheck((a, b) => cat([a, b], 1), [input([2, 2], -1, 1, 105), input([2, 3], -1, 1, 106)]);
  });

  test('stack along new dimension', () => {
    gradcheck((a, b) => stack([a, b], 1), [input([2, 3], -1, 1, 107), input([2, 3], -1, 1, 108)]);
  });
});
