// kill -9 at random moments of a short multi-epoch run, counted from the moment its run
// folder appears: every file in the folder is complete, and --resume finishes the run
// with the results of an uninterrupted one.
// The moments come from a seeded generator; ISBE_KILL_SEED=<seed> replays them.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { removeTemporaryFiles } from '../../src/io/files.js';

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
  '480',
  '--batch-size',
  '32',
  '--epochs',
  '3',
  '--seed',
  '5',
];
const kills = 4;

// Temporary names of writeFileAtomic: .<name>.<pid>.<counter>.tmp.
const temporaryName = /^\..+\.\d+\.\d+\.tmp$/;

// Parses every file of a run folder by its kind; throws on anything incomplete.
function checkFiles(runDir: string): string[] {
  const names = entries(runDir);
  for (const name of names) {
    const path = join(runDir, name);
    if (temporaryName.test(name)) continue;
    if (name.endsWith('.json')) JSON.parse(readFileSync(path, 'utf8'));
    else if (name === 'epochs.jsonl') readEpochLines(runDir);
    else if (name.endsWith('.safetensors')) safetensorsHeader(path);
    else assert.fail(`unexpected file ${name} in ${runDir}`);
  }
  return names;
}

// Milliseconds from a seeded generator (mulberry32), so the kill moments can be replayed.
function moments(seed: number, count: number, span: number): number[] {
  let state = seed >>> 0;
  return Array.from({ length: count }, () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = Math.imul(state ^ (state >>> 15), state | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return Math.round((((x ^ (x >>> 14)) >>> 0) / 4294967296) * span);
  });
}

// Starts the training into `runsDir` and resolves once its run folder exists.
async function startTraining(runsDir: string) {
  const run = startCli([...training, '--runs-dir', runsDir]);
  await waitFor(() => entries(runsDir).length > 0 || run.child.exitCode !== null, 'a run folder');
  return run;
}

test('kill -9 at random moments', async (t) => {
  const root = temporaryFolder(t, 'kill');
  const referenceRun = await startTraining(join(root, 'reference'));
  const started = Date.now();
  const reference = await referenceRun.done;
  const duration = Date.now() - started;
  assert.equal(reference.status, 0, reference.stderr);
  const referenceDir = reference.stdout.trim();
  const expected = readEpochLines(referenceDir).map(resultFields);
  assert.equal(expected.length, 3);

  const seed = Number(process.env.ISBE_KILL_SEED ?? Math.floor(Math.random() * 2 ** 31));
  const delays = moments(seed, kills, duration);
  t.diagnostic(
    `seed ${seed}: kills ${delays.join(', ')} ms after the run folder appears, of ${duration} ms`,
  );

  for (const [index, delay] of delays.entries()) {
    const context = `kill ${index + 1} after ${delay} ms (ISBE_KILL_SEED=${seed})`;
    const runsDir = join(root, `killed-${index}`);
    const run = await startTraining(runsDir);
    const timer = setTimeout(() => run.child.kill('SIGKILL'), delay);
    const outcome = await run.done;
    clearTimeout(timer);
    const [name, ...others] = entries(runsDir);
    assert.deepEqual(others, [], `more than one run folder (${context})`);
    assert.ok(name !== undefined, `no run folder (${context})`);
    const runDir = join(runsDir, name);
    const files = checkFiles(runDir);
    t.diagnostic(`${context}: ${outcome.signal ?? 'finished'}, files ${files.join(' ')}`);

    if (!files.includes('config.json')) {
      const resumed = runCli(['train', '--resume', runDir]);
      assert.equal(resumed.status, 1, context);
      assert.equal(
        resumed.stderr,
        `isbe: error: ${runDir} has no config.json, so it is not a run folder or its run ` +
          'never started; start a new run instead\n',
        context,
      );
      continue;
    }
    if (!files.includes('summary.json')) {
      const resumed = runCli(['train', '--resume', runDir]);
      assert.equal(resumed.status, 0, `${context}\n${resumed.stderr}`);
    }
    assert.deepEqual(readEpochLines(runDir).map(resultFields), expected, context);
    assert.ok(existsSync(join(runDir, 'predictions.json')), `no predictions.json (${context})`);
    const model = readFileSync(join(runDir, 'model.safetensors'));
    assert.ok(model.equals(readFileSync(join(referenceDir, 'model.safetensors'))), context);
    assert.deepEqual(
      checkFiles(runDir).filter((file) => temporaryName.test(file)),
      [],
      `temporary files left after --resume (${context})`,
    );
  }
});

test('killed before summary.json', (t) => {
  const runsDir = temporaryFolder(t, 'summary');
  const finished = runCli([...training, '--epochs', '1', '--runs-dir', runsDir]);
  assert.equal(finished.status, 0, finished.stderr);
  const runDir = finished.stdout.trim();
  const summary = readFileSync(join(runDir, 'summary.json'), 'utf8');
  const predictions = readFileSync(join(runDir, 'predictions.json'), 'utf8');
  // The state a kill leaves after the last resume.safetensors but before the last two files.
  rmSync(join(runDir, 'summary.json'));
  rmSync(join(runDir, 'predictions.json'));

  const resumed = runCli(['train', '--resume', runDir]);
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.equal(readFileSync(join(runDir, 'predictions.json'), 'utf8'), predictions);
  const fields = (text: string) => {
    const { testAccuracy, validationAccuracy, epochs } = JSON.parse(text);
    return { testAccuracy, validationAccuracy, epochs };
  };
  assert.deepEqual(fields(readFileSync(join(runDir, 'summary.json'), 'utf8')), fields(summary));
});

test('temporary files of dead processes', async (t) => {
  const runDir = temporaryFolder(t, 'temporary');
  const dead = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => dead.on('close', resolve));
  const deadFile = `.epochs.jsonl.${dead.pid}.0.tmp`;
  const liveFile = `.epochs.jsonl.${process.pid}.0.tmp`;
  for (const name of [deadFile, liveFile, 'epochs.jsonl']) writeFileSync(join(runDir, name), '');

  removeTemporaryFiles(runDir);

  assert.deepEqual(entries(runDir), [liveFile, 'epochs.jsonl'].sort());
});
