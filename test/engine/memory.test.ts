// Native memory is freed at known points: tidy() scopes, dispose() and `using`. Every test
// disposes all it creates, because liveTensorCount() would otherwise also drop whenever
// the garbage collector finalizes a leaked tensor, and the exact checks would be unreliable.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  cachedTensorBytes,
  full,
  liveTensorCount,
  manualSeed,
  nn,
  optim,
  ones,
  randint,
  randn,
  releaseFreeMemory,
  type Tensor,
  tensor,
  tidy,
} from '../../src/index.js';

describe('tidy', () => {
  test('tidy frees all but its result', () => {
    const before = liveTensorCount();
    const created: Tensor[] = [];
    const result = tidy(() => {
      const a = ones([2, 2]);
      const b = a.add(1);
      const c = b.mul(3);
      created.push(a, b);
      return c;
    });
    assert.equal(liveTensorCount(), before + 1);
    assert.equal(created[0]?.isDisposed, true);
    assert.equal(created[1]?.isDisposed, true);
    assert.deepEqual(result.toArray(), [6, 6, 6, 6]);
    result.dispose();
    assert.equal(liveTensorCount(), before);
  });

  test('tidy keeps tensors inside returned containers', () => {
    const before = liveTensorCount();
    const result = tidy(() => {
      ones([1]);
      return { first: ones([1]), list: [ones([2])], map: new Map([['m', ones([3])]]) };
    });
    assert.equal(liveTensorCount(), before + 3);
    assert.equal(result.first.isDisposed, false);
    assert.equal(result.list[0]?.isDisposed, false);
    assert.equal(result.map.get('m')?.isDisposed, false);
    result.first.dispose();
    result.list[0]?.dispose();
    result.map.get('m')?.dispose();
    assert.equal(liveTensorCount(), before);
  });

  test('nested tidy moves result to parent', () => {
    const before = liveTensorCount();
    let inner: Tensor | undefined;
    let countAfterInner = 0;
    tidy(() => {
      ones([1]);
      inner = tidy(() => ones([2]).mul(2));
      countAfterInner = liveTensorCount();
      assert.equal(inner.isDisposed, false);
    });
    assert.equal(countAfterInner, before + 2);
    assert.equal(inner?.isDisposed, true);
    assert.equal(liveTensorCount(), before);
  });

  test('nested tidy result returned twice survives', () => {
    const before = liveTensorCount();
    const result = tidy(() => tidy(() => ones([2]).add(1)));
    assert.equal(liveTensorCount(), before + 1);
    assert.deepEqual(result.toArray(), [2, 2]);
    result.dispose();
    assert.equal(liveTensorCount(), before);
  });

  test('tidy spares kept tensors', () => {
    const before = liveTensorCount();
    let kept: Tensor | undefined;
    tidy(() => {
      kept = ones([2]).keep();
      ones([3]);
    });
    assert.equal(kept?.isDisposed, false);
    assert.equal(liveTensorCount(), before + 1);
    kept?.dispose();
    assert.equal(liveTensorCount(), before);
  });

  test('tidy frees tensors when callback throws', () => {
    const before = liveTensorCount();
    assert.throws(
      () =>
        tidy(() => {
          ones([4]);
          throw new Error('failure inside scope');
        }),
      /failure inside scope/,
    );
    assert.equal(liveTensorCount(), before);
  });

  test('tidy rejects async callback', async () => {
    const before = liveTensorCount();
    const promise = Promise.resolve(1);
    assert.throws(() => tidy(() => promise), TypeError);
    assert.equal(await promise, 1);
    assert.equal(liveTensorCount(), before);
  });

  test('tidy frees gradients read inside', () => {
    using x = tensor([1, 2], { requiresGrad: true });
    tidy(() => {
      x.mul(x).sum().backward();
    });
    const before = liveTensorCount();
    const values = tidy(() => {
      const first = x.grad as Tensor;
      const second = x.grad as Tensor;
      return [...first.toArray(), ...second.toArray()];
    });
    assert.deepEqual(values, [2, 4, 2, 4]);
    assert.equal(liveTensorCount(), before);
  });
});

describe('dispose', () => {
  test('dispose is idempotent', () => {
    const before = liveTensorCount();
    const x = ones([3]);
    assert.equal(liveTensorCount(), before + 1);
    x.dispose();
    assert.equal(liveTensorCount(), before);
    x.dispose();
    assert.equal(liveTensorCount(), before);
    assert.equal(x.isDisposed, true);
  });

  test('using frees at block end', () => {
    const before = liveTensorCount();
    {
      using x = ones([3]);
      using y = x.add(1);
      assert.equal(liveTensorCount(), before + 2);
      assert.deepEqual(y.toArray(), [2, 2, 2]);
    }
    assert.equal(liveTensorCount(), before);
  });

  test('Symbol.dispose after dispose is idempotent', () => {
    const before = liveTensorCount();
    {
      using x = ones([3]);
      x.dispose();
      assert.equal(liveTensorCount(), before);
    }
    assert.equal(liveTensorCount(), before);
  });

  test('dispose of a view keeps the base', () => {
    const before = liveTensorCount();
    using base = tensor([1, 2, 3, 4]);
    const view = base.narrow(0, 1, 2);
    view.dispose();
    assert.equal(liveTensorCount(), before + 1);
    assert.deepEqual(base.toArray(), [1, 2, 3, 4]);
  });
});

describe('training loop memory', () => {
  // A small convolutional network: [8, 1, 12, 12] -> [8, 8, 2, 2] -> [8, 10].
  function makeNetwork(): nn.Sequential {
    return new nn.Sequential([
      new nn.Conv2d({ inChannels: 1, outChannels: 4, kernelSize: 3, stride: 2 }),
      new nn.ReLU(true),
      new nn.Conv2d({ inChannels: 4, outChannels: 8, kernelSize: 3, stride: 2 }),
      new nn.ReLU(),
      new nn.Dropout(0.2),
      new nn.Flatten(),
      new nn.Linear({ inFeatures: 32, outFeatures: 10 }),
    ]);
  }

  test('200 steps leave live count unchanged', () => {
    const start = liveTensorCount();
    manualSeed(7);
    const network = makeNetwork();
    const optimizer = new optim.Adam(network.parameters(), { lr: 1e-3 });
    const images = randn([8, 1, 12, 12]);
    const labels = randint(0, 10, [8]);

    // Even steps backpropagate crossEntropy. Odd steps send the ISBE error
    // softmax(scores) - onehot straight back as the gradient of the scores.
    const trainStep = (step: number): number =>
      tidy(() => {
        optimizer.zeroGrad();
        const scores = network.forward(images);
        let loss: number;
        if (step % 2 === 0) {
          const crossEntropy = nn.functional.crossEntropy(scores, labels, { reduction: 'sum' });
          crossEntropy.backward();
          loss = crossEntropy.item();
        } else {
          const targets = labels.oneHot(10).to('float32');
          const error = scores.detach().softmax(1).sub(targets);
          scores.backward(error);
          loss = error.square().sum().item();
        }
        optimizer.step();
        return loss;
      });

    trainStep(0);
    const afterFirstStep = liveTensorCount();
    let lastLoss = Number.NaN;
    for (let step = 1; step <= 200; step++) lastLoss = trainStep(step);

    assert.equal(liveTensorCount(), afterFirstStep);
    assert.ok(Number.isFinite(lastLoss), `last loss is ${lastLoss}`);
    assert.equal(optimizer.stepCount, 201);

    optimizer.dispose();
    network.dispose();
    images.dispose();
    labels.dispose();
    assert.equal(liveTensorCount(), start);
  });
});

describe('tensor memory cache', () => {
  const mebibyte = 2 ** 20;

  test('freed large block is kept, reused, then released', () => {
    releaseFreeMemory();
    assert.equal(cachedTensorBytes(), 0);
    const first = full([mebibyte / 4], 1);
    first.dispose();
    assert.equal(cachedTensorBytes(), mebibyte);
    const second = full([mebibyte / 4], 2);
    assert.equal(cachedTensorBytes(), 0);
    second.dispose();
    assert.equal(cachedTensorBytes(), mebibyte);
    releaseFreeMemory();
    assert.equal(cachedTensorBytes(), 0);
  });

  test('small blocks are not kept', () => {
    releaseFreeMemory();
    ones([1000]).dispose();
    assert.equal(cachedTensorBytes(), 0);
  });

  test('reused blocks hold their new values', () => {
    releaseFreeMemory();
    for (let round = 0; round < 5; round++) {
      const tensors = [1, 2, 3].map((k) => full([mebibyte / 4], round * 10 + k));
      tensors.forEach((t, i) => {
        const expected = round * 10 + i + 1;
        assert.equal(t.min().item(), expected);
        assert.equal(t.max().item(), expected);
      });
      for (const t of tensors) t.dispose();
    }
    releaseFreeMemory();
  });

  test('cache stays within 256 MiB', () => {
    releaseFreeMemory();
    const tensors = Array.from({ length: 80 }, () => full([(4 * mebibyte) / 4], 0));
    for (const t of tensors) t.dispose();
    assert.ok(cachedTensorBytes() <= 256 * mebibyte, `${cachedTensorBytes()} bytes kept`);
    assert.ok(cachedTensorBytes() >= 250 * mebibyte, `${cachedTensorBytes()} bytes kept`);
    releaseFreeMemory();
  });

  test('full cache makes room for a new size', () => {
    releaseFreeMemory();
    // 4 MiB plus a different number of floats each, so no two blocks share a size.
    const filler = Array.from({ length: 70 }, (_, i) => full([mebibyte + i + 1], 0));
    for (const t of filler) t.dispose();
    assert.ok(cachedTensorBytes() > 250 * mebibyte, `${cachedTensorBytes()} bytes kept`);
    full([2 * mebibyte], 1).dispose();
    const before = cachedTensorBytes();
    const reused = full([2 * mebibyte], 2);
    assert.equal(cachedTensorBytes(), before - 8 * mebibyte);
    assert.equal(reused.max().item(), 2);
    reused.dispose();
    assert.ok(cachedTensorBytes() <= 256 * mebibyte, `${cachedTensorBytes()} bytes kept`);
    releaseFreeMemory();
  });
});
