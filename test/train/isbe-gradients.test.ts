// On the same batch and weights, the ISBE errors equal the gradients of the losses they
// replace: softmax ↔ sum-reduced cross-entropy, sigmoid ↔ BCE with logits (sum).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  buildNetwork,
  CrossEntropyHead,
  IsbeHead,
  loadIdxData,
  manualSeed,
  nn,
  noGrad,
  resolveNetwork,
  tidy,
  type Tensor,
} from '../../src/index.js';

function realScores(): { scores: Tensor; labels: Tensor } {
  manualSeed(0);
  const data = loadIdxData({ limit: 256 });
  const net = buildNetwork(resolveNetwork('N0'), { inputShape: [1, 28, 28], numClasses: 10 });
  net.eval();
  const scores = noGrad(() => net.forward(data.train.images.narrow(0, 0, 128))).keep();
  const labels = data.train.labels.narrow(0, 0, 128).keep();
  net.dispose();
  return { scores, labels };
}

function maxDifference(a: Tensor, b: Tensor): number {
  return tidy(() => a.sub(b).abs().max().item());
}

test('ISBE-softmax error equals CE sum gradient', () => {
  const { scores, labels } = realScores();
  tidy(() => {
    const leaf = scores.detach().requiresGrad_();
    new CrossEntropyHead('sum').forward(leaf, labels).backward();
    const { error } = new IsbeHead('softmax', { blur: 0 }).error(scores, labels);
    const difference = maxDifference(error, leaf.grad as Tensor);
    assert.ok(difference < 1e-6, `largest difference ${difference}`);
  });
});

test('ISBE-sigmoid error equals BCE-with-logits gradient', () => {
  const { scores, labels } = realScores();
  tidy(() => {
    const leaf = scores.detach().requiresGrad_();
    const targets = labels.oneHot(10).to('float32');
    nn.functional.binaryCrossEntropyWithLogits(leaf, targets, { reduction: 'sum' }).backward();
    const { error } = new IsbeHead('sigmoid', { blur: 0 }).error(scores, labels);
    const difference = maxDifference(error, leaf.grad as Tensor);
    assert.ok(difference < 1e-6, `largest difference ${difference}`);
  });
});

test('ISBE-softmax error moves with blur', () => {
  const { scores, labels } = realScores();
  tidy(() => {
    const exact = new IsbeHead('softmax', { blur: 0 }).error(scores, labels).error;
    const blurred = new IsbeHead('softmax', { blur: 0.1 }).error(scores, labels).error;
    // A blur of μ moves each target by at most μ: 0.1 on the true class.
    assert.ok(Math.abs(maxDifference(exact, blurred) - 0.1) < 1e-6);
  });
});
