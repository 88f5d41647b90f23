// A two-epoch training moves between three workers. The first is stopped with SIGTERM
// mid-epoch and hands the job back at once with its state. The second resumes it and is
// killed with SIGKILL after shipping the first epoch's checkpoint. The third resumes
// after epoch 1. The result must equal an uninterrupted local run exactly, apart from
// timings.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';

import {
  assertSameTraining,
  gridFolderOf,
  runCliOk,
  startRedis,
  startWorker,
  temporaryFolder,
  testConnection,
  waitFor,
} from './harness.js';

// prettier-ignore
const gridArgs = [
  '--nets', 'N0',
  '--heads', 'isbe-softmax',
  '--epochs', '2',
  '--limit', '2100',
  '--validation-size', '100',
  '--test-limit', '500',
  '--train-loss-images', '200',
  '--threads', '1',
  '--no-report',
];
const workerArgs = ['--lock-duration', '10', '--stalled-interval', '1'];

test('job resumes from shipped checkpoints', { timeout: 150_000 }, async (t) => {
  const redis = await startRedis(t);
  const connection = testConnection(t, redis);
  const tmp = temporaryFolder(t, 'isbe-queue-resume-');
  const gridDir = gridFolderOf(
    await runCliOk([
      'reproduce',
      '--queue',
      redis.url,
      ...gridArgs,
      '--runs-dir',
      join(tmp, 'queued'),
    ]),
  );
  const jobId = (await connection.lrange('bull:isbe-trainings:wait', 0, -1))[0] ?? '';
  assert.match(jobId, /-N0-isbe-softmax-s0$/);
  const checkpointKey = `isbe:trainings:checkpoint:${jobId}`;

  const first = startWorker(t, redis.url, workerArgs);
  await waitFor(() => /job \S+ started/.test(first.log()), 60_000, first.log);
  await waitFor(
    async () => (await connection.hget(`bull:isbe-trainings:${jobId}`, 'progress')) !== null,
    60_000,
    first.log,
  );
  first.child.kill('SIGTERM');
  assert.equal(await first.exited, 0, first.log());
  assert.match(
    first.log(),
    new RegExp(`job ${jobId} returned to the queue after 0 finished epochs`),
  );
  assert.equal(await connection.hget(checkpointKey, 'epoch'), '0');

  const second = startWorker(t, redis.url, workerArgs);
  await waitFor(
    async () => (await connection.hget(checkpointKey, 'epoch')) === '1',
    60_000,
    second.log,
  );
  second.child.kill('SIGKILL');
  await second.exited;
  assert.match(
    second.log(),
    new RegExp(`job ${jobId} resumes after epoch 0 from the checkpoint shipped by ${first.name()}`),
  );

  // The job stays locked by the killed worker for up to 10 s, so collect has to wait.
  const third = startWorker(t, redis.url, workerArgs);
  const collected = await runCliOk([
    'collect',
    '--queue',
    redis.url,
    '--wait',
    '--no-report',
    gridDir,
  ]);
  assert.match(collected.stderr, /0 of 1 trainings finished; waiting/);
  assert.match(third.log(), new RegExp(`job ${jobId} finished`));
  assert.match(
    third.log(),
    new RegExp(
      `job ${jobId} resumes after epoch 1 from the checkpoint shipped by ${second.name()}`,
    ),
  );
  assert.equal(await connection.exists(checkpointKey), 0, 'the checkpoint outlived its job');
  third.child.kill('SIGTERM');
  assert.equal(await third.exited, 0);

  const local = gridFolderOf(
    await runCliOk(['reproduce', ...gridArgs, '--runs-dir', join(tmp, 'local')]),
  );
  const name = 'N0-isbe-softmax-s0';
  assertSameTraining(join(gridDir, 'trainings', name), join(local, 'trainings', name));
});
