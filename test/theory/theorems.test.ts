// Theorems 1 and 2 at random points, and the Jacobian helper against closed forms. The
// tolerances are the ones each check states (1e−12 for Jacobians, 1e−10 for the trick).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { makeCheck } from '../../src/theory/check.js';
import {
  jacobian,
  maxAbsDifference,
  scaleColumns,
  scaleRows,
  softmaxJacobian,
} from '../../src/theory/jacobian.js';
import { theorem1Checks, theorem2Checks } from '../../src/theory/theorems.js';
import { liveTensorCount, tensor } from '../../src/index.js';

function find(checks: ReturnType<typeof theorem1Checks>, statement: string) {
  const check = checks.find((c) => c.statement === statement);
  assert.ok(check, `no check named '${statement}'`);
  return check;
}

describe('jacobian helper', () => {
  test('sigmoid Jacobian is diagonal', () => {
    const x = [-1, 0.5, 2];
    const j = jacobian((v) => v.sigmoid(), x);
    const expected = x.map((xi, i) =>
      x.map((_, k) => {
        const s = 1 / (1 + Math.exp(-xi));
        return i === k ? s * (1 - s) : 0;
      }),
    );
    assert.ok(maxAbsDifference(j, expected) < 1e-15, `J = ${JSON.stringify(j)}`);
  });

  test('linear map gives its matrix', () => {
    // y = (x0 + 2 x1, 3 x0) as a [2] tensor
    const matrix = [
      [1, 3],
      [2, 0],
    ];
    const j = jacobian((v) => v.matmul(tensor(matrix, { dtype: 'float64' })), [0.3, -0.7]);
    assert.deepEqual(j, [
      [1, 2],
      [3, 0],
    ]);
  });

  test('wrong output shape is rejected', () => {
    assert.throws(() => jacobian((v) => v.sum(), [1, 2]), /must return shape \[2\]/);
  });

  test('frees its tensors', () => {
    const before = liveTensorCount();
    jacobian((v) => v.softmax(0), [0.1, 0.2, 0.3]);
    assert.equal(liveTensorCount(), before);
  });

  test('row and column scaling by hand', () => {
    const m = [
      [1, 2],
      [3, 4],
    ];
    assert.deepEqual(scaleColumns(m, [10, 100]), [
      [10, 200],
      [30, 400],
    ]);
    assert.deepEqual(scaleRows(m, [10, 100]), [
      [10, 20],
      [300, 400],
    ]);
    assert.deepEqual(softmaxJacobian([0.25, 0.75]), [
      [0.25 - 0.0625, -0.1875],
      [-0.1875, 0.75 - 0.5625],
    ]);
  });
});

describe('makeCheck', () => {
  test('outcomes against expectations', () => {
    assert.equal(makeCheck('g', 's', 'holds', 1e-15, 1e-12).passed, true);
    assert.equal(makeCheck('g', 's', 'holds', 1e-3, 1e-12).passed, false);
    assert.equal(makeCheck('g', 's', 'fails', 1e-3, 1e-12).passed, true);
    assert.equal(makeCheck('g', 's', 'fails', 0, 1e-12).passed, false);
    assert.equal(makeCheck('g', 's', 'holds', NaN, 1e-12).holds, false);
  });
});

describe('Theorem 1', () => {
  const checks = theorem1Checks({ points: 8 });

  test('every check has its expected outcome', () => {
    const failed = checks.filter((c) => !c.passed).map((c) => `${c.statement}: ${c.deviation}`);
    assert.deepEqual(failed, []);
  });

  test('softmax identities hold to 1e−12', () => {
    for (const statement of [
      'softmax: J = diag(y) − yyᵀ',
      'softmax: J·(−y°/y) = y − y°',
      'relocated softmax(x − c): J = diag(y) − yyᵀ',
      'relocated softmax(x − c): J·(−y°/y) = y − y°',
    ]) {
      const check = find(checks, statement);
      assert.equal(check.expected, 'holds');
      assert.ok(check.deviation < 1e-12, `${statement}: deviation ${check.deviation}`);
    }
  });

  test('other functions miss by more than 1e−2', () => {
    for (const name of ['sigmoid', 'tanh', 'hardtanh', 'hardsigmoid', 'normalize']) {
      const check = find(checks, `${name}: J·(−y°/y) = y − y°`);
      assert.equal(check.expected, 'fails');
      assert.ok(Number.isFinite(check.deviation), `${name}: deviation ${check.deviation}`);
      assert.ok(check.deviation > 1e-2, `${name}: deviation ${check.deviation}`);
    }
  });

  test('target must sum to one', () => {
    const check = find(checks, 'softmax with Σ y° = 1.5: J·(−y°/y) = y − y°');
    assert.equal(check.holds, false);
  });
});

describe('Theorem 2', () => {
  const checks = theorem2Checks({ points: 8 });

  test('every check has its expected outcome', () => {
    const failed = checks.filter((c) => !c.passed).map((c) => `${c.statement}: ${c.deviation}`);
    assert.deepEqual(failed, []);
  });

  test('dilation scales columns', () => {
    const columns = find(checks, 'J = (diag(y) − yyᵀ)·diag(d), d ⊙ M with d as a row');
    const rows = find(checks, 'J = diag(d)·(diag(y) − yyᵀ), d scaling rows');
    assert.ok(columns.deviation < 1e-12, `columns: ${columns.deviation}`);
    assert.ok(rows.deviation > 1e-3, `rows: ${rows.deviation}`);
  });

  test('cross-entropy gradient is d ⊙ (y − y°)', () => {
    const check = find(checks, '∇ₓ CE(softmax(d ⊙ x − c), y°) = d ⊙ (y − y°)');
    assert.ok(check.deviation < 1e-12, `deviation ${check.deviation}`);
  });
});
