// Errors of the queue commands: unusable or unreachable --queue URLs, and a job that
// fails on every try, which ends failed with its error after three tries.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import type { QueueStatus } from '../../src/queue/status.js';
import {
  gridFolderOf,
  runCli,
  runCliOk,
  startRedis,
  startWorker,
  temporaryFolder,
  waitFor,
} from './harness.js';

test('queue URL errors name the fix', async (t) => {
  const tmp = temporaryFolder(t, 'isbe-queue-url-');
  const runsDir = join(tmp, 'runs');
  const scheme = await runCli(['status', '--queue', 'http://127.0.0.1:6379']);
  assert.equal(scheme.code, 1);
  assert.match(scheme.stderr, /--queue expects a redis:\/\/ or rediss:\/\/ URL/);

  const noHost = await runCli(['worker', '--queue', 'redis://']);
  assert.equal(noHost.code, 1);
  assert.match(noHost.stderr, /has no host|expects a URL/);

  // Port 1 on loopback: nothing listens there, so the connection is refused at once.
  const unreachable = await runCli([
    'reproduce',
    '--queue',
    'redis://127.0.0.1:1',
    '--nets',
    'N0',
    '--heads',
    'ce-mean',
    '--runs-dir',
    runsDir,
  ]);
  assert.equal(unreachable.code, 1);
  assert.match(
    unreachable.stderr,
    /cannot connect to the queue at redis:\/\/127\.0\.0\.1:1: .*ECONNREFUSED/,
  );
  assert.deepEqual(existsSync(runsDir) ? readdirSync(runsDir) : [], [], 'the grid folder was kept');

  const both = await runCli([
    'reproduce',
    '--queue',
    'redis://127.0.0.1:1',
    '--workers',
    '2',
    '--runs-dir',
    runsDir,
  ]);
  assert.equal(both.code, 1);
  assert.match(both.stderr, /--queue and --workers exclude each other/);
});

test('failing job ends failed after three tries', { timeout: 90_000 }, async (t) => {
  const redis = await startRedis(t);
  const tmp = temporaryFolder(t, 'isbe-queue-fail-');
  const emptyData = join(tmp, 'no-idx-files');
  mkdirSync(emptyData);
  const args = [
    '--nets',
    'N0',
    '--heads',
    'ce-mean',
    '--data',
    emptyData,
    '--limit',
    '200',
    '--no-report',
  ];
  const enqueued = await runCliOk([
    'reproduce',
    '--queue',
    redis.url,
    ...args,
    '--runs-dir',
    join(tmp, 'runs'),
  ]);
  const gridDir = gridFolderOf(enqueued);

  const worker = startWorker(t, redis.url, ['--lock-duration', '10', '--stalled-interval', '1']);
  const status = async () =>
    JSON.parse((await runCliOk(['status', '--queue', redis.url, '--json'])).stdout) as QueueStatus;
  let last: QueueStatus | null = null;
  await waitFor(
    async () => {
      last = await status();
      return last.counts.failed === 1;
    },
    60_000,
    () => `no job failed; worker log:\n${worker.log()}`,
  );
  const failed = (last as unknown as QueueStatus).jobs[0];
  assert.ok(failed);
  assert.equal(failed.state, 'failed');
  assert.equal(failed.failures, 3);
  assert.equal(failed.attemptsStarted, 3);
  assert.match(failed.error ?? '', new RegExp(emptyData.replaceAll('/', '\\/')));
  assert.equal(worker.log().match(/failed on try \d; retrying/g)?.length, 2, worker.log());
  assert.match(worker.log(), /failed after 3 tries/);

  const collected = await runCli(['collect', '--queue', redis.url, gridDir]);
  assert.equal(collected.code, 1);
  assert.match(collected.stderr, /1 of 1 trainings are not finished/);
  assert.match(collected.stderr, /N0-ce-mean-s0 .* is failed: /);
  assert.ok(!existsSync(join(gridDir, 'tables')), 'tables were written for an unfinished grid');

  const retried = await runCliOk(['reproduce', '--queue', redis.url, '--resume', gridDir]);
  assert.match(retried.stderr, /0 added, 0 already there, 1 failed ones retried/);
});

test('worker without a server stops on SIGTERM', { timeout: 60_000 }, async (t) => {
  // Port 1 on loopback refuses connections, so the worker keeps reconnecting.
  const worker = startWorker(t, 'redis://127.0.0.1:1', []);
  await waitFor(
    () => worker.log().includes('queue connection error'),
    20_000,
    () => `the worker never tried to connect:\n${worker.log()}`,
  );
  worker.child.kill('SIGTERM');
  const code = await worker.exited;
  assert.equal(code, 0, worker.log());
  assert.match(
    worker.log(),
    /the queue at redis:\/\/127\.0\.0\.1:1 is not connected and no job is in progress; stopping now/,
  );
});

test('database the server lacks', { timeout: 60_000 }, async (t) => {
  const redis = await startRedis(t);
  const expected =
    `the queue server at ${redis.url}/99 rejected database 99 (ERR DB index is out of ` +
    "range); use a number below the server's `databases` setting, which is 16 by default";
  const status = await runCli(['status', '--queue', `${redis.url}/99`], 30_000);
  assert.equal(status.code, 1);
  assert.equal(status.stderr, `isbe: error: ${expected}\n`);
  const worker = await runCli(['worker', '--queue', `${redis.url}/99`], 30_000);
  assert.equal(worker.code, 1);
  assert.ok(worker.stderr.includes(`isbe: error: ${expected}\n`), worker.stderr);
});
