// Random calls into every export of the native addon: wrong types, disposed tensors, odd
// shapes and dtypes must end in a JS exception, never in an abort, and free every tensor.
// The seed is random and printed; ISBE_FUZZ_SEED=<seed> replays a run.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import type { FuzzFailure, FuzzOutcomes } from './fuzz-worker.js';
import { temporaryFolder } from './helpers.js';

const worker = fileURLToPath(new URL('./fuzz-worker.js', import.meta.url));
const calls = 10_000;

interface WorkerReport {
  failures: FuzzFailure[];
  outcomes: FuzzOutcomes;
  unknownOps: string[];
  liveBefore: number;
  liveAfter: number;
}

test('native exports under random calls', (t) => {
  const seed = Number(process.env.ISBE_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
  t.diagnostic(`seed ${seed} (replay with ISBE_FUZZ_SEED=${seed})`);
  const trace = join(temporaryFolder(t, 'fuzz'), 'calls.txt');
  const child = spawnSync(process.execPath, [worker, String(seed), String(calls), trace], {
    encoding: 'utf8',
    timeout: 120_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  const lastCall = existsSync(trace)
    ? readFileSync(trace, 'utf8').trimEnd().split('\n').at(-1)
    : 'none';
  const context = `seed ${seed}, last call: ${lastCall}`;
  assert.equal(child.signal, null, `the process died of ${child.signal}; ${context}`);
  assert.equal(
    child.status,
    0,
    `the process exited with ${child.status}; ${context}\n${child.stderr}`,
  );

  const report = JSON.parse(child.stdout) as WorkerReport;
  const failureLines = report.failures
    .slice(0, 5)
    .map((f) => `#${f.call} ${f.op}(${f.args}): ${f.error}`);
  assert.deepEqual(
    failureLines,
    [],
    `calls that threw something other than an allowed error (${context})`,
  );
  assert.equal(report.liveAfter, report.liveBefore, `live tensors leaked (${context})`);

  const totals = Object.values(report.outcomes);
  const callCount = totals.reduce((sum, outcome) => sum + outcome.returned + outcome.threw, 0);
  const returned = totals.reduce((sum, outcome) => sum + outcome.returned, 0);
  assert.equal(callCount, calls);
  // Calls that return show that the arguments reach the kernels, not just the checks.
  assert.ok(returned > calls / 4, `only ${returned} of ${calls} calls returned (${context})`);
  if (report.unknownOps.length > 0) {
    t.diagnostic(`exports without a signature, called with random arguments: ${report.unknownOps}`);
  }
});
