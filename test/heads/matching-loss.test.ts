// Matching losses of the soft functions: values against their closed forms, and autograd
// gradients against the error the ISBE head sends back, for every target option.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  getSoftFunction,
  IsbeHead,
  type IsbeHeadOptions,
  softFunctionNames,
  type Tensor,
  tensor,
  tidy,
} from '../../src/index.js';
import { assertAllClose, sampleValues } from '../engine/gradcheck.js';

const tight = { atol: 1e-12, rtol: 1e-12 };
const rows = 5;
const classes = 4;

// Scores in [−4, 4], which covers the flat parts of hardtanh (beyond ±1), hardsigmoid
// (beyond ±3) and scaled-hardtanh (beyond ±2).
const scoreValues = sampleValues(rows * classes, -4, 4, 7);
const targetValues = sampleValues(rows * classes, 0, 1, 8);

function scoresOf(values: readonly number[], requiresGrad = false): Tensor {
  return tensor(Float64Array.from(values), { shape: [rows, classes], requiresGrad });
}

const softplus = (x: number) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));

// F(x) − y x for each elementwise function, F an antiderivative of f.
const elementwiseLosses: Record<string, (x: number, y: number) => number> = {
  sigmoid: (x, y) => {
    const s = 1 / (1 + Math.exp(-x));
    return -(y * Math.log(s) + (1 - y) * Math.log(1 - s));
  },
  tanh: (x, y) => Math.log(Math.cosh(x)) - y * x,
  hardtanh: (x, y) => (Math.abs(x) <= 1 ? x ** 2 / 2 : Math.abs(x) - 0.5) - y * x,
  hardsigmoid: (x, y) => {
    const primitive = x < -3 ? 0 : x > 3 ? x : (x + 3) ** 2 / 12;
    return primitive - y * x;
  },
  'scaled-hardtanh': (x, y) => {
    const primitive = x < -2 ? 0 : x > 2 ? x : (x + 2) ** 2 / 8;
    return primitive - y * x;
  },
};

describe('matching loss values', () => {
  for (const [name, loss] of Object.entries(elementwiseLosses)) {
    test(`${name} closed form`, () => {
      const soft = getSoftFunction(name);
      const symmetric = soft.range === 'symmetric';
      const targets = targetValues.map((y) => (symmetric ? 2 * y - 1 : y));
      const values = tidy(() =>
        soft.matchingLoss?.(scoresOf(scoreValues), scoresOf(targets)).toArray(),
      );
      const expected = Array.from({ length: rows }, (_, i) => {
        let total = 0;
        for (let k = 0; k < classes; k++) {
          const j = i * classes + k;
          total += loss(scoreValues[j] as number, targets[j] as number);
        }
        return total;
      });
      assertAllClose(values ?? [], expected, { atol: 1e-10, rtol: 1e-10 }, `${name} row losses`);
    });
  }

  test('sigmoid closed form for large scores', () => {
    // softplus keeps BCE finite where log(1 − σ(x)) underflows
    const soft = getSoftFunction('sigmoid');
    const values = tidy(() =>
      soft
        .matchingLoss?.(
          tensor([[800, -800]], { dtype: 'float64' }),
          tensor([[0, 0]], { dtype: 'float64' }),
        )
        .toArray(),
    );
    assertAllClose(values ?? [], [800 + softplus(-800)], tight, 'row loss');
  });

  test('softmax is cross-entropy', () => {
    const soft = getSoftFunction('softmax');
    const x = [[0, Math.log(2), Math.log(5)]];
    const q = [[0.25, 0.25, 0.5]];
    const values = tidy(() =>
      soft
        .matchingLoss?.(tensor(x, { dtype: 'float64' }), tensor(q, { dtype: 'float64' }))
        .toArray(),
    );
    const crossEntropy = -(0.25 * Math.log(1 / 8) + 0.25 * Math.log(2 / 8) + 0.5 * Math.log(5 / 8));
    assertAllClose(values ?? [], [crossEntropy], tight, 'cross-entropy');
  });

  test('normalize is norm minus inner product', () => {
    const soft = getSoftFunction('normalize');
    const values = tidy(() =>
      soft
        .matchingLoss?.(
          tensor([[3, 4]], { dtype: 'float64' }),
          tensor([[1, -1]], { dtype: 'float64' }),
        )
        .toArray(),
    );
    assertAllClose(values ?? [], [5 - (3 - 4)], tight, '‖x‖ − y·x');
  });

  test('every built-in function has one', () => {
    for (const name of softFunctionNames()) {
      const soft = getSoftFunction(name);
      assert.equal(typeof soft.matchingLoss, 'function', `${name} matching loss`);
      assert.ok(soft.matchingLossFormula, `${name} formula`);
    }
  });
});

const optionSets: { name: string; options: (w: Tensor) => IsbeHeadOptions; labels: number[] }[] = [
  { name: 'no options', options: () => ({}), labels: [0, 1, 2, 3, 1] },
  { name: 'label smoothing', options: () => ({ labelSmoothing: 0.1 }), labels: [0, 1, 2, 3, 1] },
  { name: 'class weights', options: (w) => ({ classWeights: w }), labels: [0, 1, 2, 3, 1] },
  { name: 'ignore index', options: () => ({ ignoreIndex: -100 }), labels: [0, -100, 2, 3, 1] },
  {
    name: 'every option, mean',
    options: (w) => ({ classWeights: w, ignoreIndex: 3, labelSmoothing: 0.1, reduction: 'mean' }),
    labels: [0, 1, 2, 3, 1],
  },
];

describe('matching loss gradient equals the ISBE error', () => {
  for (const name of softFunctionNames()) {
    for (const set of optionSets) {
      test(`${name}, ${set.name}`, () => {
        using w = tensor([0.5, 1, 2, 1.5], { dtype: 'float64' });
        using labels = tensor(set.labels, { dtype: 'int64' });
        const head = new IsbeHead(name, set.options(w));
        using scores = scoresOf(scoreValues, true);
        const loss = head.matchingLoss(scores, labels);
        if (name === 'normalize' && head.options.classWeights !== undefined) {
          assert.equal(loss, null);
          assert.equal(head.matchingLossSum(scores, labels), null);
          return;
        }
        assert.ok(loss !== null, 'matching loss');
        loss.backward();
        loss.dispose();
        const { soft, error } = head.error(scores, labels);
        assertAllClose(scores.grad?.toArray() ?? [], error.toArray(), tight, 'gradient');
        soft.dispose();
        error.dispose();
      });
    }
  }

  test('probability targets', () => {
    using target = scoresOf(targetValues);
    const normalised = tidy(() => target.div(target.sum(1, true)));
    for (const name of ['softmax', 'sigmoid', 'tanh']) {
      const head = new IsbeHead(name, { labelSmoothing: 0.05 });
      using scores = scoresOf(scoreValues, true);
      const loss = head.matchingLoss(scores, normalised);
      assert.ok(loss !== null);
      loss.backward();
      loss.dispose();
      const { soft, error } = head.error(scores, normalised);
      assertAllClose(scores.grad?.toArray() ?? [], error.toArray(), tight, `${name} gradient`);
      soft.dispose();
      error.dispose();
    }
    normalised.dispose();
  });

  test('sum of the matching loss', () => {
    using labels = tensor([0, 1, 2, 3, 1], { dtype: 'int64' });
    using scores = scoresOf(scoreValues);
    const head = new IsbeHead('sigmoid', { reduction: 'mean' });
    const sum = head.matchingLossSum(scores, labels);
    const mean = tidy(() => head.matchingLoss(scores, labels)?.item());
    assert.ok(sum !== null && mean !== undefined);
    assertAllClose([sum / rows], [mean], tight, 'sum over N against the mean');
  });
});
