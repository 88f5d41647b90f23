// The ISBE error against autograd loss gradients on 32 MNIST test images through a freshly
// initialised N0, in float64 (tolerance 1e−12; 1e−6 for the float32 check).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import type { DataSplits } from '../../src/data/dataset.js';
import { disposeSplits } from '../../src/data/dataset.js';
import { loadData } from '../../src/data/load.js';
import { batchChecks } from '../../src/theory/batch.js';
import type { Check } from '../../src/theory/check.js';
import { liveTensorCount } from '../../src/index.js';

describe('real batch checks', () => {
  let data: DataSplits;
  let checks: Check[];
  let leaked: number;

  before(() => {
    data = loadData({ dataset: 'mnist', validationSize: 1, limit: 1, testLimit: 32 });
    const live = liveTensorCount();
    checks = batchChecks({ batch: data.test, numClasses: data.numClasses });
    leaked = liveTensorCount() - live;
  });

  after(() => disposeSplits(data));

  test('every check holds', () => {
    const failed = checks.filter((c) => !c.passed).map((c) => `${c.statement}: ${c.deviation}`);
    assert.deepEqual(failed, []);
    assert.ok(checks.every((c) => c.expected === 'holds'));
  });

  test('frees every tensor it made', () => {
    assert.equal(leaked, 0);
  });

  test('softmax and sigmoid gradients', () => {
    const statements = checks.map((c) => c.statement);
    for (const statement of [
      'isbe-softmax (μ = 0) = ∇ CE, reduction sum',
      'isbe-softmax, reduction mean = ∇ CE, reduction mean',
      'isbe-sigmoid = ∇ BCE with logits, reduction sum',
      'N0 parameter gradients: ISBE-softmax error = CE sum (relative)',
    ]) {
      assert.ok(statements.includes(statement), `missing: ${statement}`);
    }
  });

  test('float64 deviations stay below 1e−12', () => {
    for (const check of checks.filter((c) => !c.statement.startsWith('float32'))) {
      assert.ok(check.deviation <= 1e-12, `${check.statement}: ${check.deviation}`);
    }
  });

  test('matching loss of every soft function', () => {
    const names = checks
      .filter((c) => c.group.startsWith('Matching loss'))
      .map((c) => c.statement.split(/[,:]/)[0]);
    for (const name of [
      'isbe-softmax',
      'isbe-sigmoid',
      'isbe-tanh',
      'isbe-hardtanh',
      'isbe-hardsigmoid',
    ]) {
      assert.ok(names.includes(name), `missing matching loss check of ${name}`);
    }
  });
});
