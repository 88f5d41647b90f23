// crossEntropy against values computed in plain JS, with PyTorch's semantics for
// reductions, class weights, ignoreIndex, label smoothing and probability targets.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { nn, type Reduction, type Tensor, tensor } from '../../src/index.js';
import { assertAllClose, sampleValues } from './gradcheck.js';

const F = nn.functional;
const exact = { atol: 1e-12, rtol: 1e-12 };

function float64(rows: number[][]): Tensor {
  return tensor(rows, { dtype: 'float64' });
}

function int64(values: number[]): Tensor {
  return tensor(values, { dtype: 'int64' });
}

function logSoftmaxRow(row: readonly number[]): number[] {
  const top = Math.max(...row);
  const logTotal = Math.log(row.reduce((total, x) => total + Math.exp(x - top), 0));
  return row.map((x) => x - top - logTotal);
}

// Row losses -sum_k q[k] log softmax(x)[k] for target distributions q.
function softTargetLosses(logits: number[][], distributions: number[][]): number[] {
  return logits.map((row, i) => {
    const logProbabilities = logSoftmaxRow(row);
    const q = distributions[i] as number[];
    return -logProbabilities.reduce((total, lp, k) => total + (q[k] as number) * lp, 0);
  });
}

function oneHotRows(targets: readonly number[], classes: number): number[][] {
  return targets.map((target) => Array.from({ length: classes }, (_, k) => (k === target ? 1 : 0)));
}

function sumOf(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

function lossValues(
  logits: number[][],
  targets: Tensor,
  options: nn.functional.CrossEntropyOptions,
): number[] {
  using input = float64(logits);
  using loss = F.crossEntropy(input, targets, options);
  return loss.toArray();
}

describe('crossEntropy reductions', () => {
  // Row 0 is uniform over 3 classes, so its loss is ln 3. Row 1 has probabilities
  // (1, 2, 5) / 8, so its loss for class 2 is ln(8 / 5).
  const logits = [
    [0, 0, 0],
    [0, Math.log(2), Math.log(5)],
  ];

  test('reduction none on hand example', () => {
    using targets = int64([1, 2]);
    const loss = lossValues(logits, targets, { reduction: 'none' });
    assertAllClose(loss, [Math.log(3), Math.log(8 / 5)], exact, 'per-row loss');
  });

  test('reduction sum on hand example', () => {
    using targets = int64([1, 2]);
    const loss = lossValues(logits, targets, { reduction: 'sum' });
    assertAllClose(loss, [Math.log(3) + Math.log(8 / 5)], exact, 'summed loss');
  });

  test('reduction mean on hand example', () => {
    using targets = int64([1, 2]);
    const loss = lossValues(logits, targets, { reduction: 'mean' });
    assertAllClose(loss, [(Math.log(3) + Math.log(8 / 5)) / 2], exact, 'mean loss');
  });

  test('reduction mean is the default', () => {
    using targets = int64([1, 2]);
    const loss = lossValues(logits, targets, {});
    assertAllClose(loss, [(Math.log(3) + Math.log(8 / 5)) / 2], exact, 'default loss');
  });

  test('reduction none keeps float32', () => {
    using input = tensor(logits);
    using targets = int64([1, 2]);
    using loss = F.crossEntropy(input, targets, { reduction: 'none' });
    assert.equal(loss.dtype, 'float32');
    assert.deepEqual(loss.shape, [2]);
  });
});

describe('crossEntropy extreme logits', () => {
  test('logSoftmax of 1000, 0, -1000 is exact', () => {
    using x = tensor([1000, 0, -1000]);
    using result = x.logSoftmax(0);
    assert.deepEqual(result.toArray(), [0, -1000, -2000]);
    assert.equal(result.allFinite(), true);
  });

  test('softmax of extreme logits is finite', () => {
    using x = tensor([1000, 0, -1000]);
    using result = x.softmax(0);
    assert.deepEqual(result.toArray(), [1, 0, 0]);
  });

  test('loss of extreme logits is finite', () => {
    using x = tensor([
      [1000, 0, -1000],
      [1000, 0, -1000],
      [1000, 0, -1000],
    ]);
    using targets = int64([0, 1, 2]);
    using loss = F.crossEntropy(x, targets, { reduction: 'none' });
    assert.equal(loss.allFinite(), true);
    // The first loss is -log(1), which libtorch returns as -0.
    assertAllClose(loss.toArray(), [0, 1000, 2000], { atol: 0, rtol: 0 }, 'per-row loss');
  });

  test('gradient of extreme logits is finite', () => {
    using x = tensor([[1000, 0, -1000]], { requiresGrad: true });
    using targets = int64([2]);
    using loss = F.crossEntropy(x, targets, { reduction: 'sum' });
    loss.backward();
    using gradient = x.grad as Tensor;
    assert.deepEqual(gradient.toArray(), [1, 0, -1]);
  });
});

describe('crossEntropy gradient', () => {
  const logits = [0, 1, 2, 3].map((i) => sampleValues(5, -3, 3, 200 + i));
  const targetValues = [4, 0, 2, 2];

  function gradientFor(reduction: Reduction): number[] {
    using x = float64(logits).requiresGrad_();
    using targets = int64(targetValues);
    using loss = F.crossEntropy(x, targets, { reduction });
    loss.backward();
    using gradient = x.grad as Tensor;
    return gradient.toArray();
  }

  // softmax(x) - onehot(target), computed from the logits in plain JS.
  const expected = logits.flatMap((row, i) =>
    logSoftmaxRow(row).map((lp, k) => Math.exp(lp) - (k === targetValues[i] ? 1 : 0)),
  );

  test('sum reduction gives softmax minus onehot', () => {
    assertAllClose(gradientFor('sum'), expected, exact, 'gradient');
  });

  test('mean reduction divides gradient by batch', () => {
    const scaled = expected.map((g) => g / logits.length);
    assertAllClose(gradientFor('mean'), scaled, exact, 'gradient');
  });

  test('sum reduction matches library softmax minus oneHot', () => {
    using x = float64(logits);
    using targets = int64(targetValues);
    using probabilities = x.softmax(1);
    using oneHot = targets.oneHot(5);
    using difference = probabilities.sub(oneHot);
    assertAllClose(gradientFor('sum'), difference.toArray(), exact, 'gradient');
  });
});

describe('crossEntropy options', () => {
  const logits = [0, 1, 2, 3].map((i) => sampleValues(3, -2, 2, 300 + i));
  const weightValues = [0.5, 2, 1.5];
  const weightedTargets = [0, 2, 2, 1];
  const targetWeights = weightedTargets.map((target) => weightValues[target]!);
  const rowLosses = (targets: number[]) => softTargetLosses(logits, oneHotRows(targets, 3));

  test('class weights with reduction none', () => {
    using weight = tensor(weightValues, { dtype: 'float64' });
    using targets = int64(weightedTargets);
    const loss = lossValues(logits, targets, { weight, reduction: 'none' });
    const expected = rowLosses(weightedTargets).map((l, i) => l * targetWeights[i]!);
    assertAllClose(loss, expected, exact, 'weighted row loss');
  });

  test('class weights with reduction sum', () => {
    using weight = tensor(weightValues, { dtype: 'float64' });
    using targets = int64(weightedTargets);
    const loss = lossValues(logits, targets, { weight, reduction: 'sum' });
    const expected = sumOf(rowLosses(weightedTargets).map((l, i) => l * targetWeights[i]!));
    assertAllClose(loss, [expected], exact, 'weighted sum');
  });

  test('class weights mean divides by target weights', () => {
    using weight = tensor(weightValues, { dtype: 'float64' });
    using targets = int64(weightedTargets);
    const loss = lossValues(logits, targets, { weight });
    const weightedSum = sumOf(rowLosses(weightedTargets).map((l, i) => l * targetWeights[i]!));
    // The target classes' weights are 0.5, 1.5, 1.5 and 2.
    assertAllClose(loss, [weightedSum / 5.5], exact, 'weighted mean');
  });

  test('ignoreIndex default -100 excludes rows', () => {
    using targets = int64([0, -100, 2, -100]);
    const l = rowLosses([0, 0, 2, 0]);
    const none = lossValues(logits, targets, { reduction: 'none' });
    assertAllClose(none, [l[0]!, 0, l[2]!, 0], exact, 'per-row loss');
    const mean = lossValues(logits, targets, {});
    assertAllClose(mean, [(l[0]! + l[2]!) / 2], exact, 'mean over kept rows');
  });

  test('ignoreIndex custom class excludes rows', () => {
    using targets = int64([1, 0, 1, 2]);
    const l = rowLosses([1, 0, 1, 2]);
    const sum = lossValues(logits, targets, { ignoreIndex: 1, reduction: 'sum' });
    assertAllClose(sum, [l[1]! + l[3]!], exact, 'sum over kept rows');
    const mean = lossValues(logits, targets, { ignoreIndex: 1 });
    assertAllClose(mean, [(l[1]! + l[3]!) / 2], exact, 'mean over kept rows');
  });

  test('ignoreIndex with weights divides by kept weights', () => {
    using weight = tensor(weightValues, { dtype: 'float64' });
    using targets = int64(weightedTargets);
    const l = rowLosses(weightedTargets);
    const loss = lossValues(logits, targets, { weight, ignoreIndex: 2 });
    const expected = (0.5 * l[0]! + 2 * l[3]!) / (0.5 + 2);
    assertAllClose(loss, [expected], exact, 'weighted mean over kept rows');
  });

  test('ignoreIndex rows get zero gradient', () => {
    using x = float64(logits).requiresGrad_();
    using targets = int64([0, -100, 2, -100]);
    using loss = F.crossEntropy(x, targets);
    loss.backward();
    using gradient = x.grad as Tensor;
    const rows = gradient.toArray();
    assert.deepEqual(rows.slice(3, 6), [0, 0, 0]);
    assert.deepEqual(rows.slice(9, 12), [0, 0, 0]);
  });

  test('labelSmoothing spreads epsilon over classes', () => {
    const epsilon = 0.1;
    const targetValues = [0, 2, 1, 1];
    const smoothed = oneHotRows(targetValues, 3).map((row) =>
      row.map((q) => (1 - epsilon) * q + epsilon / 3),
    );
    const expected = softTargetLosses(logits, smoothed);
    using targets = int64(targetValues);
    const none = lossValues(logits, targets, { labelSmoothing: epsilon, reduction: 'none' });
    assertAllClose(none, expected, exact, 'per-row loss');
    const mean = lossValues(logits, targets, { labelSmoothing: epsilon });
    assertAllClose(mean, [sumOf(expected) / 4], exact, 'mean loss');
  });

  test('probability targets with reduction none', () => {
    const distributions = [
      [0.2, 0.3, 0.5],
      [1, 0, 0],
      [0, 0.5, 0.5],
      [0.6, 0.1, 0.3],
    ];
    using targets = float64(distributions);
    const loss = lossValues(logits, targets, { reduction: 'none' });
    assertAllClose(loss, softTargetLosses(logits, distributions), exact, 'per-row loss');
  });

  test('probability targets mean divides by batch', () => {
    const distributions = [
      [0.2, 0.3, 0.5],
      [1, 0, 0],
      [0, 0.5, 0.5],
      [0.6, 0.1, 0.3],
    ];
    using targets = float64(distributions);
    const loss = lossValues(logits, targets, {});
    const expected = sumOf(softTargetLosses(logits, distributions)) / 4;
    assertAllClose(loss, [expected], exact, 'mean loss');
  });

  test('probability targets equal onehot indices', () => {
    const targetValues = [2, 0, 1, 1];
    using indices = int64(targetValues);
    using probabilities = float64(oneHotRows(targetValues, 3));
    const fromIndices = lossValues(logits, indices, { reduction: 'none' });
    const fromProbabilities = lossValues(logits, probabilities, { reduction: 'none' });
    assertAllClose(fromProbabilities, fromIndices, exact, 'per-row loss');
  });
});
