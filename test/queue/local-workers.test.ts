// `isbe reproduce --workers 2` trains the grid in two local processes, each with half of
// the grid's threads, and writes the grid folder a one-process run writes, with the same
// accuracies and predictions as a run with that thread count.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import {
  assertSameTables,
  assertSameTraining,
  gridFolderOf,
  runCliOk,
  smallGridArgs,
  temporaryFolder,
  trainingNames,
} from './harness.js';

function argsWithThreads(threads: number): string[] {
  const args = [...smallGridArgs];
  args[args.indexOf('--threads') + 1] = String(threads);
  return args;
}

test('two local processes match one', { timeout: 120_000 }, async (t) => {
  const tmp = temporaryFolder(t, 'isbe-local-workers-');
  const pooled = await runCliOk([
    'reproduce',
    ...argsWithThreads(2),
    '--workers',
    '2',
    '--runs-dir',
    join(tmp, 'pooled'),
  ]);
  const pooledDir = gridFolderOf(pooled);
  assert.match(pooled.stderr, /\[1\/6\] N0 ce-mean seed 0: process [12]/);
  const single = gridFolderOf(
    await runCliOk(['reproduce', ...argsWithThreads(1), '--runs-dir', join(tmp, 'single')]),
  );

  assert.equal(JSON.parse(readFileSync(join(pooledDir, 'grid.json'), 'utf8')).base.threads, 2);
  assert.deepEqual(trainingNames(pooledDir), trainingNames(single));
  assert.equal(trainingNames(pooledDir).length, 6);
  for (const name of trainingNames(pooledDir)) {
    const run = join(pooledDir, 'trainings', name);
    assert.deepEqual(readdirSync(run).sort(), readdirSync(join(single, 'trainings', name)).sort());
    const config = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8'));
    assert.equal(config.config.threads, 1, `threads of ${name}`);
    assertSameTraining(run, join(single, 'trainings', name));
  }
  assertSameTables(pooledDir, single);
  assert.ok(existsSync(join(pooledDir, 'tables', 'tables.md')));
});
