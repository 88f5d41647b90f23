// SIGINT or SIGTERM stops a training after the batch in progress and saves it; --resume
// then finishes it with exactly the results of an uninterrupted run of the same seed.
//
// The comparison is exact: deepEqual on every loss and accuracy, byte equality of the
// weights and predictions. Resuming restores the weights, Adam's moments and step counts,
// the data and dropout generators, the position in the epoch and the epoch's running sums.
// libtorch's CPU kernels give the same results for the same inputs and thread count, so
// nothing is left to differ. Timing fields (seconds, images per second, τ, memory) are
// left out.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';

import {
  entries,
  readEpochLines,
  resultFields,
  runCli,
  safetensorsHeader,
  startCli,
  temporaryFolder,
  tinyTraining,
  waitFor,
} from './helpers.js';

const training = [
  'train',
  ...tinyTraining,
  '--limit',
  '960',
  '--batch-size',
  '16',
  '--epochs',
  '2',
  '--seed',
  '3',
];
const batchesPerEpoch = 960 / 16;

interface ResumeProgress {
  epoch: number;
  nextBatch: number;
  finished: unknown[];
}

function savedProgress(runDir: string): ResumeProgress {
  const header = safetensorsHeader(join(runDir, 'resume.safetensors'));
  const metadata = header.__metadata__ as { progress: string };
  return JSON.parse(metadata.progress) as ResumeProgress;
}

// Checks that two run folders hold the same results, timing aside.
function assertSameResults(actual: string, expected: string): void {
  assert.deepEqual(
    readEpochLines(actual).map(resultFields),
    readEpochLines(expected).map(resultFields),
  );
  for (const file of ['model.safetensors', 'predictions.json']) {
    const same = readFileSync(join(actual, file)).equals(readFileSync(join(expected, file)));
    assert.ok(same, `${file} differs from the uninterrupted run's`);
  }
  const summary = (dir: string) => JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
  assert.equal(summary(actual).testAccuracy, summary(expected).testAccuracy);
}

function runFolder(runsDir: string, name: string): string {
  const match = entries(runsDir).find((entry) => entry.endsWith(`-${name}`));
  assert.ok(match !== undefined, `no run folder named *-${name} in ${runsDir}`);
  return join(runsDir, match);
}

describe('interrupted training', () => {
  let reference = '';
  const referenceRuns = mkdtempSync(join(tmpdir(), 'isbe-signal-ref-'));
  after(() => rmSync(referenceRuns, { recursive: true, force: true }));

  test('uninterrupted reference run', () => {
    const runsDir = referenceRuns;
    const result = runCli([...training, '--runs-dir', runsDir, '--name', 'reference']);
    assert.equal(result.status, 0, result.stderr);
    reference = runFolder(runsDir, 'reference');
    assert.equal(readEpochLines(reference).length, 2);
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    test(`${signal} mid-epoch, then resume`, async (t) => {
      assert.ok(reference !== '', 'the reference run failed');
      const runsDir = temporaryFolder(t, 'signal');
      const run = startCli([...training, '--runs-dir', runsDir, '--name', 'cut']);
      // The signal goes out as soon as epoch 1 is saved, so it lands early in epoch 2.
      // resume.safetensors is the last file an epoch writes, and only at the epoch's end.
      await waitFor(
        () =>
          entries(runsDir).some((name) => existsSync(join(runsDir, name, 'resume.safetensors'))),
        'epoch 1 to be saved',
      );
      run.child.kill(signal);
      const stopped = await run.done;
      const dir = runFolder(runsDir, 'cut');

      assert.equal(stopped.status, signal === 'SIGINT' ? 130 : 143, stopped.stderr);
      assert.match(
        stopped.stderr,
        new RegExp(`received ${signal}: stopping after the current batch and saving the run`),
      );
      assert.ok(
        stopped.stderr.includes(`stopped; continue with: isbe train --resume ${dir}\n`),
        stopped.stderr,
      );
      const progress = savedProgress(dir);
      assert.equal(progress.epoch, 2);
      assert.ok(
        progress.nextBatch > 0 && progress.nextBatch < batchesPerEpoch,
        `the run stopped at batch ${progress.nextBatch}, not inside epoch 2`,
      );
      assert.equal(readEpochLines(dir).length, 1);

      const resumed = runCli(['train', '--resume', dir]);
      assert.equal(resumed.status, 0, resumed.stderr);
      assert.equal(resumed.stdout, `${dir}\n`);
      assertSameResults(dir, reference);
    });
  }

  test('resume of a finished run', () => {
    assert.ok(reference !== '', 'the reference run failed');
    const result = runCli(['train', '--resume', reference]);
    assert.equal(result.status, 1);
    assert.equal(result.stderr, `isbe: error: ${reference} has already finished all its epochs\n`);
  });
});

describe('interrupted grid', () => {
  const grid = [
    'reproduce',
    ...tinyTraining,
    '--nets',
    'N0',
    '--heads',
    'ce-mean,isbe-softmax',
    '--epochs',
    '2',
  ];

  test('SIGINT, then reproduce --resume', async (t) => {
    const runsDir = temporaryFolder(t, 'grid');
    const whole = runCli([...grid, '--runs-dir', join(runsDir, 'whole')]);
    assert.equal(whole.status, 0, whole.stderr);
    const [wholeName] = entries(join(runsDir, 'whole'));
    const wholeDir = join(runsDir, 'whole', wholeName as string);

    const run = startCli([...grid, '--runs-dir', join(runsDir, 'cut')]);
    const trainings = () => {
      const [name] = entries(join(runsDir, 'cut'));
      return name === undefined ? '' : join(runsDir, 'cut', name, 'trainings');
    };
    await waitFor(
      () => existsSync(join(trainings(), 'N0-ce-mean-s0', 'summary.json')),
      'the first training to finish',
    );
    run.child.kill('SIGINT');
    const stopped = await run.done;
    const gridDir = join(trainings(), '..');
    assert.equal(stopped.status, 130, stopped.stderr);
    assert.match(stopped.stderr, /stopped; continue with: isbe reproduce --resume /);
    assert.ok(!existsSync(join(trainings(), 'N0-isbe-softmax-s0', 'summary.json')));

    const resumed = runCli(['reproduce', '--resume', gridDir]);
    assert.equal(resumed.status, 0, resumed.stderr);
    for (const cell of ['N0-ce-mean-s0', 'N0-isbe-softmax-s0']) {
      const cut = join(trainings(), cell);
      const uncut = join(wholeDir, 'trainings', cell);
      assert.deepEqual(
        readEpochLines(cut).map(resultFields),
        readEpochLines(uncut).map(resultFields),
        `${cell} differs from the uninterrupted grid`,
      );
      assert.ok(existsSync(join(cut, 'summary.json')), `${cell} has no summary.json`);
    }
  });
});
