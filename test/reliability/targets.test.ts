// Targets and scores that a head cannot use as given: probability rows for softmax that
// do not sum to 1 are rejected, and scores that already look like probabilities raise the
// ISBE_SOFTMAX_TWICE warning, which the CLI prints as one line.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';

import { createHead } from '../../src/heads/heads.js';
import { tensor } from '../../src/tensor/creation.js';
import { tidy } from '../../src/tensor/scope.js';
import { cliMain } from './helpers.js';

const dist = new URL('../../src/', import.meta.url).href;

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  assert.fail('expected an error, but nothing was thrown');
}

const scores = () =>
  tensor([
    [1.5, -0.5, 0.25],
    [0.1, 2.0, -1.0],
  ]);

describe('probability targets', () => {
  test('softmax row not summing to 1', () => {
    tidy(() => {
      const rows = tensor([
        [0.2, 0.3, 0.5],
        [0.3, 0.3, 0.3],
      ]);
      const error = thrownBy(() => createHead('isbe-softmax').forward(scores(), rows));
      assert.ok(error instanceof RangeError, String(error));
      assert.equal(
        error.message,
        'isbe-softmax: probability row 1 sums to 0.900000, not 1; softmax outputs sum to 1, ' +
          'so normalise each row, or use an elementwise head such as isbe-sigmoid for ' +
          'multi-label targets',
      );
    });
  });

  test('softmax row summing to 1', () => {
    tidy(() => {
      const rows = tensor([
        [0.2, 0.3, 0.5],
        [0.0, 1.0, 0.0],
      ]);
      const step = createHead('isbe-softmax').forward(scores(), rows);
      assert.ok(Number.isFinite(step.lossSum()));
    });
  });

  test('multi-label rows for sigmoid', () => {
    tidy(() => {
      const rows = tensor([
        [1, 1, 0],
        [0, 0, 0],
      ]);
      const step = createHead('isbe-sigmoid').forward(scores(), rows);
      assert.ok(Number.isFinite(step.lossSum()));
    });
  });

  test('row outside [0, 1]', () => {
    tidy(() => {
      const rows = tensor([
        [1.2, -0.2, 0],
        [0, 1, 0],
      ]);
      const error = thrownBy(() => createHead('isbe-softmax').forward(scores(), rows));
      assert.ok(error instanceof RangeError);
      assert.equal(error.message, 'isbe-softmax: probability rows must lie in [0, 1]');
    });
  });

  test('label outside [0, K)', () => {
    tidy(() => {
      const labels = tensor([0, 3], { dtype: 'int64' });
      const error = thrownBy(() => createHead('isbe-softmax').forward(scores(), labels));
      assert.ok(error instanceof RangeError);
      assert.equal(error.message, 'isbe-softmax: label 3 is outside [0, 3)');
    });
  });
});

// Runs a head on `kind` scores in a new process (the warning is raised once per process)
// with the CLI's warning printer, and returns its stderr.
function warningsOf(head: string, kind: 'probabilities' | 'raw'): string {
  const script = `
    const { printWarningsOnOneLine } = await import('${dist}cli/warnings.js');
    const { createHead } = await import('${dist}heads/heads.js');
    const { rand, tensor } = await import('${dist}tensor/creation.js');
    printWarningsOnOneLine();
    const raw = rand([4, 10]).mul(6).sub(3);
    const scores = ${kind === 'probabilities' ? 'raw.softmax(1)' : 'raw'};
    const labels = tensor([1, 2, 3, 4], { dtype: 'int64' });
    for (let i = 0; i < 3; i++) createHead('${head}').forward(scores, labels);
  `;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
  });
  assert.equal(child.status, 0, child.stderr);
  return child.stderr;
}

const twice = (head: string) =>
  `isbe: warning: ${head}: every score row lies in [0, 1] and sums to 1, so the scores look ` +
  'like probabilities already and softmax is applied twice; remove the softmax at the end of ' +
  'the network and pass raw scores (ISBE_SOFTMAX_TWICE)\n';

describe('softmax applied twice', () => {
  for (const head of ['isbe-softmax', 'ce-mean', 'ce-sum']) {
    test(`${head} on probabilities`, () => {
      assert.equal(warningsOf(head, 'probabilities'), twice(head));
    });
  }

  test('isbe-sigmoid on probabilities', () => {
    assert.equal(warningsOf('isbe-sigmoid', 'probabilities'), '');
  });

  test('isbe-softmax on raw scores', () => {
    assert.equal(warningsOf('isbe-softmax', 'raw'), '');
  });

  test('CLI prints a warning on one line', () => {
    // A warning raised once the CLI has finished, as a head would raise it mid-run.
    const preload =
      'data:text/javascript,' +
      encodeURIComponent(
        "let sent = false; process.on('beforeExit', () => { if (sent) return; sent = true;" +
          "process.emitWarning('scores look like probabilities', { code: 'ISBE_SOFTMAX_TWICE' }); });",
      );
    const child = spawnSync(process.execPath, ['--import', preload, cliMain, '--version'], {
      encoding: 'utf8',
    });
    assert.equal(child.status, 0, child.stderr);
    assert.equal(
      child.stderr,
      'isbe: warning: scores look like probabilities (ISBE_SOFTMAX_TWICE)\n',
    );
  });
});
