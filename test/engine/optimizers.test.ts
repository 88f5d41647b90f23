// Adam and SGD updates against the update rules of PyTorch 1.13 written out in plain JS,
// in float64 so the comparison can be tight.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { optim, type Tensor, tensor, tidy } from '../../src/index.js';
import { assertAllClose } from './gradcheck.js';

const tight = { atol: 1e-14, rtol: 1e-12 };

function parameter(values: readonly number[]): Tensor {
  return tensor(Float64Array.from(values), { requiresGrad: true });
}

// Sets the gradient of `param` to `gradient` through autograd: d/dp sum(p * g) = g.
function backwardWith(optimizer: optim.Optimizer, param: Tensor, gradient: readonly number[]) {
  optimizer.zeroGrad();
  tidy(() => {
    param
      .mul(tensor(Float64Array.from(gradient)))
      .sum()
      .backward();
  });
}

// Clears the gradients, then sets the gradient of each parameter to its given values.
function backwardWithEach(
  optimizer: optim.Optimizer,
  ...pairs: [Tensor, readonly number[]][]
): void {
  optimizer.zeroGrad();
  tidy(() => {
    for (const [param, gradient] of pairs) {
      param
        .mul(tensor(Float64Array.from(gradient)))
        .sum()
        .backward();
    }
  });
}

interface AdamReference {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

// One Adam step on plain arrays: L2 weight decay added to the gradient, bias-corrected
// moments, eps added to the corrected root mean square.
function adamReferenceStep(
  param: number[],
  expAvg: number[],
  expAvgSq: number[],
  gradient: readonly number[],
  step: number,
  options: AdamReference,
): void {
  const { lr, beta1, beta2, eps, weightDecay } = options;
  param.forEach((p, i) => {
    const g = (gradient[i] as number) + weightDecay * p;
    expAvg[i] = beta1 * (expAvg[i] as number) + (1 - beta1) * g;
    expAvgSq[i] = beta2 * (expAvgSq[i] as number) + (1 - beta2) * g * g;
    const corrected = (expAvg[i] as number) / (1 - beta1 ** step);
    const rms = Math.sqrt((expAvgSq[i] as number) / (1 - beta2 ** step));
    param[i] = p - (lr * corrected) / (rms + eps);
  });
}

describe('Adam', () => {
  const start = [1, -2, 0.5, 0];
  const gradients = [
    [0.3, -0.2, 0.05, 1e-3],
    [-0.1, -0.4, 0.2, 2],
  ];

  test('Adam first step moves each weight by lr', () => {
    using param = parameter(start);
    const optimizer = new optim.Adam([param], { lr: 0.1 });
    backwardWith(optimizer, param, gradients[0]!);
    optimizer.step();
    // m / sqrt(v) after bias correction is sign(g) * |g| / (|g| + eps).
    const expected = start.map((p, i) => {
      const g = gradients[0]![i]!;
      return p - (0.1 * g) / (Math.abs(g) + 1e-8);
    });
    assertAllClose(param.toArray(), expected, tight, 'weights after one step');
    optimizer.dispose();
  });

  test('Adam two steps with lr change', () => {
    using param = parameter(start);
    const optimizer = new optim.Adam([param], { lr: 0.1, betas: [0.8, 0.99], eps: 1e-6 });
    const reference = { lr: 0.1, beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0 };
    const expected = [...start];
    const expAvg = [0, 0, 0, 0];
    const expAvgSq = [0, 0, 0, 0];

    backwardWith(optimizer, param, gradients[0]!);
    optimizer.step();
    adamReferenceStep(expected, expAvg, expAvgSq, gradients[0]!, 1, reference);
    assertAllClose(param.toArray(), expected, tight, 'weights after step 1');

    optimizer.lr = 0.03;
    backwardWith(optimizer, param, gradients[1]!);
    optimizer.step();
    adamReferenceStep(expected, expAvg, expAvgSq, gradients[1]!, 2, { ...reference, lr: 0.03 });
    assertAllClose(param.toArray(), expected, tight, 'weights after step 2');
    assert.equal(optimizer.stepCount, 2);
    optimizer.dispose();
  });

  test('Adam with weight decay', () => {
    using param = parameter(start);
    const optimizer = new optim.Adam([param], { lr: 0.01, weightDecay: 0.1 });
    const reference = { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1 };
    const expected = [...start];
    const expAvg = [0, 0, 0, 0];
    const expAvgSq = [0, 0, 0, 0];
    for (const [index, gradient] of gradients.entries()) {
      backwardWith(optimizer, param, gradient);
      optimizer.step();
      adamReferenceStep(expected, expAvg, expAvgSq, gradient, index + 1, reference);
    }
    assertAllClose(param.toArray(), expected, tight, 'weights after two steps');
    optimizer.dispose();
  });

  test('Adam skips parameter without gradient', () => {
    using used = parameter([1, 2]);
    using unused = parameter([3, 4]);
    const optimizer = new optim.Adam([used, unused], { lr: 0.1 });
    backwardWith(optimizer, used, [0.5, -0.5]);
    optimizer.step();
    assert.deepEqual(unused.toArray(), [3, 4]);
    assert.notDeepEqual(used.toArray(), [1, 2]);
    optimizer.dispose();
  });

  test('Adam stepChecked reports a NaN gradient', () => {
    using param = parameter([1, 2, 3]);
    const optimizer = new optim.Adam([param], { lr: 0.1 });
    backwardWith(optimizer, param, [0.5, -0.5, 1]);
    assert.equal(optimizer.stepChecked(), true);
    backwardWith(optimizer, param, [0.5, Number.NaN, 1]);
    assert.equal(optimizer.stepChecked(), false);
    optimizer.dispose();
  });

  // 1,003 elements: the fused update runs its vectorised body and its scalar remainder.
  test('Adam on a long vector', () => {
    const length = 1003;
    const initial = Array.from({ length }, (_, i) => Math.sin(i));
    const gradient = Array.from({ length }, (_, i) => Math.cos(3 * i) * 10 ** ((i % 7) - 3));
    using param = parameter(initial);
    const optimizer = new optim.Adam([param], { lr: 0.01, weightDecay: 0.01 });
    const reference = { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 };
    const expected = [...initial];
    const expAvg = new Array<number>(length).fill(0);
    const expAvgSq = new Array<number>(length).fill(0);
    for (const step of [1, 2, 3]) {
      backwardWith(optimizer, param, gradient);
      assert.equal(optimizer.stepChecked(), true, `gradient finite at step ${step}`);
      adamReferenceStep(expected, expAvg, expAvgSq, gradient, step, reference);
    }
    assertAllClose(param.toArray(), expected, tight, 'weights after three steps');
    const poisoned = [...gradient];
    poisoned[517] = Number.NaN;
    backwardWith(optimizer, param, poisoned);
    assert.equal(optimizer.stepChecked(), false, 'NaN at element 517 detected');
    optimizer.dispose();
  });

  test('SGD stepChecked reports an infinite gradient', () => {
    using param = parameter([1, 2]);
    const optimizer = new optim.SGD([param], { lr: 0.1 });
    backwardWith(optimizer, param, [Number.POSITIVE_INFINITY, 1]);
    assert.equal(optimizer.stepChecked(), false);
    optimizer.dispose();
  });

  test('Adam counts steps per parameter', () => {
    const options = { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };
    using early = parameter([1, 2]);
    using late = parameter([3, 4]);
    const optimizer = new optim.Adam([early, late], { lr: options.lr });
    backwardWith(optimizer, early, [0.5, -0.5]);
    optimizer.step();
    // `late` gets its first gradient on the optimiser's second step, so its update is
    // bias-corrected for step 1, as in PyTorch.
    backwardWithEach(optimizer, [early, [0.1, 0.2]], [late, [0.3, -0.6]]);
    optimizer.step();
    const expected = [3, 4];
    adamReferenceStep(expected, [0, 0], [0, 0], [0.3, -0.6], 1, options);
    assertAllClose(late.toArray(), expected, tight, 'late parameter after its first step');
    optimizer.dispose();
  });
});

describe('SGD', () => {
  const start = [1, -2, 0.5];
  const gradients = [
    [0.3, -0.2, 0.05],
    [-0.1, -0.4, 0.2],
  ];

  test('SGD without momentum', () => {
    using param = parameter(start);
    const optimizer = new optim.SGD([param], { lr: 0.5 });
    backwardWith(optimizer, param, gradients[0]!);
    optimizer.step();
    const expected = start.map((p, i) => p - 0.5 * gradients[0]![i]!);
    assertAllClose(param.toArray(), expected, tight, 'weights after one step');
    optimizer.dispose();
  });

  test('SGD momentum with dampening and decay', () => {
    const [lr, momentum, dampening, weightDecay] = [0.1, 0.9, 0.3, 0.01];
    using param = parameter(start);
    const optimizer = new optim.SGD([param], { lr, momentum, dampening, weightDecay });

    // Step 1: the buffer takes the decayed gradient itself, without dampening.
    backwardWith(optimizer, param, gradients[0]!);
    optimizer.step();
    const buffer = start.map((p, i) => gradients[0]![i]! + weightDecay * p);
    const afterFirst = start.map((p, i) => p - lr * buffer[i]!);
    assertAllClose(param.toArray(), afterFirst, tight, 'weights after step 1');

    // Step 2: buffer = momentum * buffer + (1 - dampening) * (gradient + decay * weight).
    backwardWith(optimizer, param, gradients[1]!);
    optimizer.step();
    const afterSecond = afterFirst.map((p, i) => {
      const direction = gradients[1]![i]! + weightDecay * p;
      buffer[i] = momentum * buffer[i]! + (1 - dampening) * direction;
      return p - lr * buffer[i]!;
    });
    assertAllClose(param.toArray(), afterSecond, tight, 'weights after step 2');
    optimizer.dispose();
  });

  test('SGD nesterov two steps', () => {
    const [lr, momentum] = [0.2, 0.5];
    using param = parameter(start);
    const optimizer = new optim.SGD([param], { lr, momentum, nesterov: true });
    const expected = [...start];
    const buffer = [0, 0, 0];
    for (const [index, gradient] of gradients.entries()) {
      backwardWith(optimizer, param, gradient);
      optimizer.step();
      expected.forEach((p, i) => {
        const g = gradient[i]!;
        buffer[i] = index === 0 ? g : momentum * buffer[i]! + g;
        expected[i] = p - lr * (g + momentum * buffer[i]!);
      });
    }
    assertAllClose(param.toArray(), expected, tight, 'weights after two steps');
    optimizer.dispose();
  });

  test('SGD starts each momentum buffer at its first gradient', () => {
    const [lr, momentum, dampening] = [0.1, 0.9, 0.5];
    using early = parameter([1, 2]);
    using late = parameter([3, 4]);
    const optimizer = new optim.SGD([early, late], { lr, momentum, dampening });
    backwardWith(optimizer, early, [0.5, -0.5]);
    optimizer.step();
    backwardWithEach(optimizer, [early, [0.1, 0.2]], [late, [0.3, -0.6]]);
    optimizer.step();
    // The late buffer takes its first gradient undamped: 3 − 0.1·0.3, 4 + 0.1·0.6.
    assertAllClose(late.toArray(), [3 - lr * 0.3, 4 + lr * 0.6], tight, 'late parameter');
    optimizer.dispose();
  });

  test('SGD lr change between steps', () => {
    using param = parameter(start);
    const optimizer = new optim.SGD([param], { lr: 0.1 });
    backwardWith(optimizer, param, gradients[0]!);
    optimizer.step();
    optimizer.lr = 1;
    backwardWith(optimizer, param, gradients[1]!);
    optimizer.step();
    const expected = start.map((p, i) => p - 0.1 * gradients[0]![i]! - gradients[1]![i]!);
    assertAllClose(param.toArray(), expected, tight, 'weights after two steps');
    optimizer.dispose();
  });
});

describe('optimizer state round trip', () => {
  const start = [0.7, -1.1, 2.3];
  const gradients = [
    [0.3, -0.2, 0.05],
    [-0.1, -0.4, 0.2],
    [0.25, 0.1, -0.3],
  ];

  type Make = (param: Tensor) => optim.Optimizer;
  const cases: [string, Make][] = [
    ['Adam', (param) => new optim.Adam([param], { lr: 0.05, weightDecay: 0.01 })],
    ['SGD', (param) => new optim.SGD([param], { lr: 0.05, momentum: 0.9, dampening: 0.1 })],
  ];

  for (const [name, make] of cases) {
    test(`${name} loadStateDict gives identical next step`, () => {
      using original = parameter(start);
      const first = make(original);
      for (const gradient of gradients.slice(0, 2)) {
        backwardWith(first, original, gradient);
        first.step();
      }
      first.lr = 0.02;
      const state = first.stateDict();

      using resumed = parameter(original.toArray());
      const second = make(resumed);
      second.loadStateDict(state);
      assert.equal(second.lr, 0.02);

      using fresh = parameter(original.toArray());
      const restarted = make(fresh);
      restarted.lr = 0.02;

      for (const [optimizer, param] of [
        [first, original],
        [second, resumed],
        [restarted, fresh],
      ] as const) {
        backwardWith(optimizer, param, gradients[2]!);
        optimizer.step();
      }
      assert.deepEqual(resumed.toArray(), original.toArray());
      // Without the loaded state the step differs, so the comparison above is meaningful.
      assert.notDeepEqual(fresh.toArray(), original.toArray());

      first.dispose();
      second.dispose();
      restarted.dispose();
    });
  }

  for (const [name, make] of cases) {
    test(`${name} loadStateDict of own state`, () => {
      using param = parameter(start);
      const optimizer = make(param);
      for (const gradient of gradients.slice(0, 2)) {
        backwardWith(optimizer, param, gradient);
        optimizer.step();
      }
      using twin = parameter(param.toArray());
      const reference = make(twin);
      reference.loadStateDict(optimizer.stateDict());

      optimizer.loadStateDict(optimizer.stateDict());
      for (const [o, p] of [
        [optimizer, param],
        [reference, twin],
      ] as const) {
        backwardWith(o, p, gradients[2]!);
        o.step();
      }
      assert.deepEqual(param.toArray(), twin.toArray());
      optimizer.dispose();
      reference.dispose();
    });
  }

  test('loadStateDict copies the state tensors', () => {
    using param = parameter(start);
    const first = new optim.SGD([param], { lr: 0.1, momentum: 0.9 });
    backwardWith(first, param, gradients[0]!);
    first.step();
    const state = first.stateDict();
    const second = new optim.SGD([param], { lr: 0.1, momentum: 0.9 });
    second.loadStateDict(state);
    first.dispose();
    const buffer = second.stateDict().tensors.get('momentumBuffer.0');
    assert.ok(buffer !== undefined);
    assert.equal(buffer.isDisposed, false);
    assertAllClose(buffer.toArray(), gradients[0]!, tight, 'momentum buffer');
    second.dispose();
  });
});

describe('invalid optimizer settings', () => {
  test('parameters that are not tensors', () => {
    assert.throws(() => new optim.Adam([1, 2] as unknown as Tensor[]), {
      name: 'TypeError',
      message: 'optimizer parameter 0 is 1, not a Tensor; pass model.parameters()',
    });
  });

  test('Adam eps, weight decay, betas', () => {
    using param = parameter([1, 2]);
    const cases: [optim.AdamOptions, string][] = [
      [{ eps: -1 }, 'Adam eps must be a positive number, got -1'],
      [{ weightDecay: -1 }, 'Adam weightDecay must be 0 or more, got -1'],
      [{ betas: [1.5, 0.999] }, 'Adam beta1 must be in [0, 1), got 1.5'],
    ];
    for (const [options, message] of cases) {
      assert.throws(() => new optim.Adam([param], options), { name: 'RangeError', message });
    }
  });

  test('untrainable parameters rejected', () => {
    using param = parameter([1, 2]);
    using labels = tensor([1, 2], { dtype: 'int64' });
    using doubled = param.mul(2);
    const cases: [() => unknown, string, string][] = [
      [
        () => new optim.Adam(null as unknown as Tensor[]),
        'TypeError',
        'an optimizer takes the parameters to train, such as model.parameters(), got null',
      ],
      [
        () => new optim.Adam([labels]),
        'RangeError',
        'optimizer parameter 0 is int64; only floating-point tensors can be trained',
      ],
      [
        () => new optim.Adam([doubled]),
        'RangeError',
        'optimizer parameter 0 is computed from other tensors, so it gets no gradient of its ' +
          'own; pass the tensors it is computed from, or a leaf copy, t.detach().requiresGrad_()',
      ],
      [
        () => new optim.Adam([param, param]),
        'RangeError',
        'optimizer parameter 1 is the same tensor as parameter 0; pass each once',
      ],
    ];
    for (const [run, name, message] of cases) assert.throws(run, { name, message });
  });

  test('options of the wrong type', () => {
    using param = parameter([1, 2]);
    const cases: [() => unknown, string, string][] = [
      [
        () => new optim.Adam([param], null as unknown as optim.AdamOptions),
        'TypeError',
        'Adam takes an options object, such as { lr: 0.001 }, got null',
      ],
      [
        () => new optim.Adam([param], { lr: '0.1' as unknown as number }),
        'RangeError',
        'learning rate must be a positive number, got "0.1"',
      ],
      [
        () => new optim.Adam([param], { lr: NaN }),
        'RangeError',
        'learning rate must be a positive number, got NaN',
      ],
      [
        () => new optim.Adam([param], { betas: 0.9 as unknown as [number, number] }),
        'TypeError',
        'Adam betas must be a pair such as [0.9, 0.999], got 0.9',
      ],
      [
        () => new optim.SGD([param], undefined as unknown as optim.SgdOptions),
        'TypeError',
        'SGD needs options with a learning rate, such as { lr: 0.01 }, got undefined',
      ],
    ];
    for (const [run, name, message] of cases) assert.throws(run, { name, message });
  });

  test('SGD negative momentum', () => {
    using param = parameter([1, 2]);
    assert.throws(() => new optim.SGD([param], { lr: 0.1, momentum: -1 }), {
      name: 'RangeError',
      message: 'SGD momentum must be a finite number of at least 0, got -1',
    });
  });
});
