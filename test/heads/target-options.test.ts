// Target options of the heads (class weights, ignore index, label smoothing, probability
// targets, ISBE reductions) against values worked out by hand and against a plain-JS
// CrossEntropyLoss with PyTorch's semantics.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  createHead,
  CrossEntropyHead,
  IsbeHead,
  type IsbeHeadOptions,
  type Tensor,
  tensor,
} from '../../src/index.js';
import { assertAllClose } from '../engine/gradcheck.js';
import {
  crossEntropyReference,
  flat,
  type Matrix,
  meanDenominatorReference,
  softmaxRow,
  targetDistributions,
} from './reference.js';

const tight = { atol: 1e-12, rtol: 1e-12 };
const ln = Math.log;

// Row 0 is uniform over 3 classes; row 1 has probabilities (1, 2, 5) / 8.
const handLogits: Matrix = [
  [0, 0, 0],
  [0, ln(2), ln(5)],
];
const logits: Matrix = [
  [0, 0, 0],
  [0, ln(2), ln(5)],
  [1, 0, -1],
  [0.5, -0.25, 2],
];
const weights = [1, 2, 3];

function scoresOf(rows: Matrix): Tensor {
  return tensor(rows, { dtype: 'float64', requiresGrad: true });
}

function labelsOf(values: number[]): Tensor {
  return tensor(values, { dtype: 'int64' });
}

function weightTensor(values: readonly number[] = weights): Tensor {
  return tensor([...values], { dtype: 'float64' });
}

// Loss sum reported by a CE head's training step and the gradient it leaves on the scores.
function ceStep(head: CrossEntropyHead, rows: Matrix, target: Tensor) {
  using scores = scoresOf(rows);
  const step = head.forward(scores, target);
  step.backward();
  const lossSum = step.lossSum();
  const gradient = scores.grad?.toArray() ?? [];
  return { lossSum, gradient };
}

function isbeError(head: IsbeHead, rows: Matrix, target: Tensor) {
  using scores = scoresOf(rows);
  const { soft, error, squaredErrorSum } = head.error(scores, target);
  const values = error.toArray();
  soft.dispose();
  error.dispose();
  return { error: values, squaredErrorSum };
}

describe('cross-entropy head by hand', () => {
  test('class weights, mean', () => {
    // rows of labels 1 and 2 with weights 2 and 3: (2 ln 3 + 3 ln(8/5)) / (2 + 3)
    using labels = labelsOf([1, 2]);
    using w = weightTensor();
    const head = new CrossEntropyHead('mean', { classWeights: w });
    const { lossSum, gradient } = ceStep(head, handLogits, labels);
    const mean = (2 * ln(3) + 3 * ln(8 / 5)) / 5;
    assertAllClose([lossSum], [mean * 5], tight, 'loss sum (mean × summed weights)');
    const expected = [
      [2 / 3 / 5, (2 * (1 / 3 - 1)) / 5, 2 / 3 / 5],
      [3 / 8 / 5, (3 * 2) / 8 / 5, (3 * (5 / 8 - 1)) / 5],
    ];
    assertAllClose(gradient, flat(expected), tight, 'gradient');
  });

  test('ignore index, mean', () => {
    // the row labelled −100 leaves the loss, the gradient and the denominator
    using labels = labelsOf([1, -100]);
    const head = new CrossEntropyHead('mean', { ignoreIndex: -100 });
    const { lossSum, gradient } = ceStep(head, handLogits, labels);
    assertAllClose([lossSum], [ln(3)], tight, 'loss sum');
    assertAllClose(gradient, [1 / 3, -2 / 3, 1 / 3, 0, 0, 0], tight, 'gradient');
  });

  test('label smoothing, sum', () => {
    // ε = 0.3, K = 3: the targets are (0.1, 0.8, 0.1) and (0.1, 0.1, 0.8)
    using labels = labelsOf([1, 2]);
    const head = new CrossEntropyHead('sum', { labelSmoothing: 0.3 });
    const { lossSum, gradient } = ceStep(head, handLogits, labels);
    const row1 = -(0.1 * ln(1 / 8) + 0.1 * ln(2 / 8) + 0.8 * ln(5 / 8));
    assertAllClose([lossSum], [ln(3) + row1], tight, 'loss sum');
    const expected = [
      [1 / 3 - 0.1, 1 / 3 - 0.8, 1 / 3 - 0.1],
      [1 / 8 - 0.1, 2 / 8 - 0.1, 5 / 8 - 0.8],
    ];
    assertAllClose(gradient, flat(expected), tight, 'gradient');
  });

  test('head options checked when built', () => {
    const cases: [() => unknown, RegExp][] = [
      [() => new IsbeHead(5 as unknown as string), /IsbeHead takes a soft function name/],
      [() => new CrossEntropyHead('mean', { labelSmoothing: -1 }), /labelSmoothing must be/],
      [() => new IsbeHead('softmax', { ignoreIndex: 1.5 }), /ignoreIndex must be an integer/],
      [() => new IsbeHead('softmax', { blur: 2 }), /blur must be a number in \[0, 1\)/],
      [() => new CrossEntropyHead('mean', null as never), /options must be an object/],
    ];
    for (const [build, message] of cases) assert.throws(build, message);
  });

  test('bfloat16 scores, float32 loss', () => {
    // 40 rows of the same bf16-exact logits: the summed loss needs more than bf16's 8 bits
    using scores = tensor(Array.from({ length: 40 }, () => [0.5, -1.25, 2])).to('bfloat16');
    using labels = labelsOf(Array.from({ length: 40 }, (_, i) => i % 3));
    const { loss } = crossEntropyReference(
      Array.from({ length: 40 }, () => [0.5, -1.25, 2]),
      Array.from({ length: 40 }, (_, i) => i % 3),
      { reduction: 'sum' },
    );
    const expected = loss.reduce((total, value) => total + value, 0);
    const head = new CrossEntropyHead('sum');
    assertAllClose([head.lossSum(scores, labels)], [expected], { atol: 1e-4, rtol: 1e-6 }, 'sum');
  });

  test('label smoothing skips ignored rows', () => {
    // without the mask the ignored row would add ε / K Σ_k −log p_k to the loss
    using labels = labelsOf([1, -100]);
    const head = new CrossEntropyHead('mean', { labelSmoothing: 0.3, ignoreIndex: -100 });
    const { lossSum, gradient } = ceStep(head, handLogits, labels);
    assertAllClose([lossSum], [ln(3)], tight, 'loss sum');
    assertAllClose(gradient.slice(3), [0, 0, 0], tight, 'gradient of the ignored row');
  });

  test('weights with smoothing, mean', () => {
    // q = (0.1, 0.8, 0.1), w·q = 2, loss ln 3 · 2 over the target weight 2
    using labels = labelsOf([1]);
    using w = weightTensor();
    const head = new CrossEntropyHead('mean', { classWeights: w, labelSmoothing: 0.3 });
    const { lossSum, gradient } = ceStep(head, [[0, 0, 0]], labels);
    assertAllClose([lossSum], [2 * ln(3)], tight, 'loss sum');
    const expected = [(2 / 3 - 0.1) / 2, (2 / 3 - 1.6) / 2, (2 / 3 - 0.3) / 2];
    assertAllClose(gradient, expected, tight, 'gradient');
  });

  test('probability targets, weighted mean divides by N', () => {
    using target = tensor([[0.25, 0.25, 0.5]], { dtype: 'float64' });
    using w = weightTensor();
    const head = new CrossEntropyHead('mean', { classWeights: w });
    const { lossSum, gradient } = ceStep(head, [[0, ln(2), ln(5)]], target);
    const loss = -(0.25 * ln(1 / 8) + 0.5 * ln(2 / 8) + 1.5 * ln(5 / 8));
    assertAllClose([lossSum], [loss], tight, 'loss sum');
    // w·q = 0.25 + 0.5 + 1.5 = 2.25
    const expected = [2.25 / 8 - 0.25, (2.25 * 2) / 8 - 0.5, (2.25 * 5) / 8 - 1.5];
    assertAllClose(gradient, expected, tight, 'gradient');
  });
});

interface OptionCase {
  name: string;
  labels: number[];
  weighted: boolean;
  ignoreIndex?: number;
  labelSmoothing?: number;
}

const optionCases: OptionCase[] = [
  { name: 'no options', labels: [1, 2, 0, 2], weighted: false },
  { name: 'class weights', labels: [1, 2, 0, 2], weighted: true },
  { name: 'ignore −100', labels: [1, -100, 0, 2], weighted: false, ignoreIndex: -100 },
  { name: 'ignore class 2', labels: [1, 2, 0, 2], weighted: false, ignoreIndex: 2 },
  { name: 'label smoothing', labels: [1, 2, 0, 2], weighted: false, labelSmoothing: 0.2 },
  {
    name: 'every option',
    labels: [1, 2, -100, 0],
    weighted: true,
    ignoreIndex: -100,
    labelSmoothing: 0.2,
  },
];

// Head options of a case; `w` is the weight tensor used when the case is weighted.
function headOptionsOf(option: OptionCase, w: Tensor): IsbeHeadOptions {
  const options: IsbeHeadOptions = {};
  if (option.weighted) options.classWeights = w;
  if (option.ignoreIndex !== undefined) options.ignoreIndex = option.ignoreIndex;
  if (option.labelSmoothing !== undefined) options.labelSmoothing = option.labelSmoothing;
  return options;
}

describe('cross-entropy head against the reference', () => {
  for (const reduction of ['none', 'mean', 'sum'] as const) {
    for (const option of optionCases) {
      test(`ce-${reduction}, ${option.name}`, () => {
        const { labels } = option;
        using target = labelsOf(labels);
        using w = weightTensor();
        const head = new CrossEntropyHead(reduction, headOptionsOf(option, w));
        const { lossSum, gradient } = ceStep(head, logits, target);
        const weight = option.weighted ? weights : [1, 1, 1];
        const reference = crossEntropyReference(logits, labels, {
          reduction: 'sum',
          weight,
          ignoreIndex: option.ignoreIndex,
          labelSmoothing: option.labelSmoothing,
        });
        assertAllClose([lossSum], reference.loss, tight, 'loss sum');
        const scale =
          reduction === 'mean' ? meanDenominatorReference(labels, weight, option.ignoreIndex) : 1;
        const expected = flat(reference.gradient).map((g) => g / scale);
        assertAllClose(gradient, expected, tight, 'gradient');
      });
    }
  }
});

describe('isbe-softmax equals cross-entropy', () => {
  for (const reduction of ['sum', 'mean'] as const) {
    for (const option of optionCases) {
      test(`${reduction}, ${option.name}`, () => {
        using target = labelsOf(option.labels);
        using w = weightTensor();
        const headOptions = headOptionsOf(option, w);
        // blur 0 unless label smoothing replaces it, so the targets are CE's
        const blur = option.labelSmoothing === undefined ? 0 : undefined;
        const isbe = new IsbeHead('softmax', { ...headOptions, blur, reduction });
        const ce = new CrossEntropyHead(reduction, headOptions);
        const { error } = isbeError(isbe, logits, target);
        const { gradient } = ceStep(ce, logits, target);
        assertAllClose(error, gradient, tight, 'ISBE error against the CE gradient');
      });
    }
  }
});

// The error of an elementwise head: w ⊙ (f(x) − y°), with y° in the function's range,
// zero for ignored rows and divided by the mean's denominator.
function elementwiseError(
  f: (x: number) => number,
  symmetric: boolean,
  labels: number[],
  options: {
    blur?: number;
    labelSmoothing?: number;
    ignoreIndex?: number;
    weighted: boolean;
    mean: boolean;
  },
): { error: number[]; squared: number } {
  const classes = 3;
  const w = options.weighted ? weights : [1, 1, 1];
  const rows =
    options.labelSmoothing !== undefined
      ? targetDistributions(labels, classes, options)
      : labels.map((label) => {
          const mu = options.blur ?? 1e-6;
          return Array.from({ length: classes }, (_, k) =>
            k === label ? 1 - mu : mu / (classes - 1),
          );
        });
  const denominator = options.mean ? meanDenominatorReference(labels, w, options.ignoreIndex) : 1;
  let squared = 0;
  const error = logits.flatMap((row, i) => {
    const ignored = labels[i] === options.ignoreIndex;
    return row.map((x, k) => {
      const target = symmetric ? 2 * (rows[i]?.[k] as number) - 1 : (rows[i]?.[k] as number);
      const difference = f(x) - target;
      if (!ignored) squared += difference ** 2;
      return ignored ? 0 : ((w[k] as number) * difference) / denominator;
    });
  });
  return { error, squared };
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

describe('elementwise ISBE errors by option', () => {
  const heads = [
    { soft: 'sigmoid', f: sigmoid, symmetric: false },
    { soft: 'tanh', f: Math.tanh, symmetric: true },
    {
      soft: 'hardsigmoid',
      f: (x: number) => Math.min(1, Math.max(0, (x + 3) / 6)),
      symmetric: false,
    },
  ];
  for (const { soft, f, symmetric } of heads) {
    for (const reduction of ['sum', 'mean'] as const) {
      for (const option of optionCases) {
        test(`isbe-${soft} ${reduction}, ${option.name}`, () => {
          using target = labelsOf(option.labels);
          using w = weightTensor();
          const head = new IsbeHead(soft, { ...headOptionsOf(option, w), reduction });
          const actual = isbeError(head, logits, target);
          const expected = elementwiseError(f, symmetric, option.labels, {
            ...option,
            mean: reduction === 'mean',
          });
          assertAllClose(actual.error, expected.error, tight, 'error');
          assertAllClose(
            [actual.squaredErrorSum],
            [expected.squared],
            tight,
            'squared error of kept rows',
          );
        });
      }
    }
  }
});

describe('ISBE targets', () => {
  test('default blur by hand', () => {
    using labels = labelsOf([1]);
    const head = new IsbeHead('softmax');
    using scores = scoresOf([[0, 0, 0]]);
    using rows = head.targetRows(scores, labels);
    assertAllClose(rows.toArray(), [0.5e-6, 1 - 1e-6, 0.5e-6], tight, 'blurred row');
  });

  test('probability targets get label smoothing', () => {
    // (1 − 0.3) (0.25, 0.25, 0.5) + 0.1 = (0.275, 0.275, 0.45)
    using target = tensor([[0.25, 0.25, 0.5]], { dtype: 'float64' });
    using scores = scoresOf([[0, ln(2), ln(5)]]);
    const head = new IsbeHead('softmax', { labelSmoothing: 0.3 });
    using rows = head.targetRows(scores, target);
    assertAllClose(rows.toArray(), [0.275, 0.275, 0.45], tight, 'smoothed row');
    const { error } = isbeError(head, [[0, ln(2), ln(5)]], target);
    assertAllClose(error, [1 / 8 - 0.275, 2 / 8 - 0.275, 5 / 8 - 0.45], tight, 'error');
  });

  test('probability targets match cross-entropy', () => {
    const rows: Matrix = [
      [0.2, 0.3, 0.5],
      [1, 0, 0],
    ];
    using target = tensor(rows, { dtype: 'float64' });
    using w = weightTensor();
    for (const reduction of ['sum', 'mean'] as const) {
      const options = { classWeights: w, labelSmoothing: 0.1 };
      const isbe = new IsbeHead('softmax', { ...options, reduction });
      const { error } = isbeError(isbe, handLogits, target);
      const reference = crossEntropyReference(handLogits, rows, {
        reduction,
        weight: weights,
        labelSmoothing: 0.1,
      });
      assertAllClose(error, flat(reference.gradient), tight, `${reduction} error`);
    }
  });

  test('symmetric range maps probability rows', () => {
    using target = tensor([[0.25, 0.25, 0.5]], { dtype: 'float64' });
    using scores = scoresOf([[0, 0, 0]]);
    using rows = new IsbeHead('tanh').targetRows(scores, target);
    assertAllClose(rows.toArray(), [-0.5, -0.5, 0], tight, '2q − 1');
  });

  test('float64 scores get float64 targets', () => {
    using labels = labelsOf([0]);
    using scores = scoresOf([[0, 0, 0]]);
    using rows = new IsbeHead('sigmoid').targetRows(scores, labels);
    assert.equal(rows.dtype, 'float64');
  });
});

describe('head option errors', () => {
  test('class weights of the wrong length', () => {
    using w = weightTensor([1, 2]);
    using labels = labelsOf([0, 1]);
    using scores = scoresOf(handLogits);
    for (const head of [
      new IsbeHead('softmax', { classWeights: w }),
      new CrossEntropyHead('sum', { classWeights: w }),
    ]) {
      assert.throws(() => head.lossSum(scores, labels), /class weights must have shape \[3\]/);
    }
  });

  test('negative class weights', () => {
    using w = weightTensor([1, -2, 1]);
    using labels = labelsOf([0, 1]);
    using scores = scoresOf(handLogits);
    assert.throws(
      () => new IsbeHead('sigmoid', { classWeights: w }).lossSum(scores, labels),
      /must be finite and not negative, got -2 for class 1/,
    );
  });

  test('every row ignored under mean', () => {
    using labels = labelsOf([-100, -100]);
    using scores = scoresOf(handLogits);
    const head = new IsbeHead('softmax', { ignoreIndex: -100, reduction: 'mean' });
    assert.throws(() => head.lossSum(scores, labels), /every row of the batch is ignored/);
  });

  test('unknown ISBE reduction', () => {
    const options = { reduction: 'none' } as unknown as IsbeHeadOptions;
    assert.throws(() => new IsbeHead('softmax', options), /reduction must be 'sum' or 'mean'/);
  });

  test('CE head rejects a reduction option', () => {
    assert.throws(() => createHead('ce-sum', { reduction: 'mean' }), /part of the head's name/);
  });

  test('arguments of the wrong type', () => {
    assert.throws(() => createHead(undefined as unknown as string), {
      name: 'TypeError',
      message:
        /^createHead takes a head name such as 'isbe-softmax', got undefined; known heads: ce-none/,
    });
    using scores = scoresOf(handLogits);
    const head = new IsbeHead('softmax');
    assert.throws(() => head.lossSum(null as unknown as Tensor, scores), {
      name: 'TypeError',
      message: 'isbe-softmax: scores must be a Tensor, got null',
    });
    assert.throws(() => head.lossSum(scores, [0, 1] as unknown as Tensor), {
      name: 'TypeError',
      message: 'isbe-softmax: target must be a Tensor, got object',
    });
  });

  test('label outside the classes', () => {
    using labels = labelsOf([0, 3]);
    using scores = scoresOf(handLogits);
    assert.throws(
      () => new IsbeHead('softmax').lossSum(scores, labels),
      /label 3 is outside \[0, 3\)/,
    );
  });
});

test('softmax reference sanity', () => {
  assertAllClose(softmaxRow([0, ln(2), ln(5)]), [1 / 8, 2 / 8, 5 / 8], tight, 'softmax');
});

describe('invalid class weights', () => {
  test('array in place of a tensor', () => {
    using labels = labelsOf([1, 2]);
    const head = new CrossEntropyHead('mean', {
      classWeights: [1, 2, 3] as unknown as Tensor,
    });
    assert.throws(() => ceStep(head, handLogits, labels), {
      name: 'TypeError',
      message:
        'ce-mean: class weights must be a float Tensor of shape [3], got 1,2,3; wrap an ' +
        'array with tensor(Float32Array.from(weights))',
    });
  });

  test('NaN weight', () => {
    using labels = labelsOf([1, 2]);
    using w = weightTensor([1, Number.NaN, 3]);
    const head = new CrossEntropyHead('mean', { classWeights: w });
    assert.throws(() => ceStep(head, handLogits, labels), {
      name: 'RangeError',
      message: 'ce-mean: class weights must be finite and not negative, got NaN for class 1',
    });
  });
});
