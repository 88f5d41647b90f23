// A small grid runs on a private Redis queue with two worker processes, and one of them
// is killed with SIGKILL in the middle of a job. Every job must finish exactly once, and
// the collected grid must have the tables of the same grid trained locally. Accuracies,
// predictions and weights must match exactly, because the settings, seeds and thread
// count (1) are the same. τ is a timing, so its tables are compared only in their rows,
// columns and counts.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { Queue, QueueEvents } from 'bullmq';

import {
  assertSameTables,
  assertSameTraining,
  gridFolderOf,
  runCliOk,
  smallGridArgs,
  startRedis,
  startWorker,
  temporaryFolder,
  trainingNames,
  waitFor,
} from './harness.js';

// Short enough for the test to see a killed worker's job return within ~11 s, and long
// enough that loading MNIST on a busy machine (~2.5 s measured) keeps its lock.
const workerArgs = ['--lock-duration', '10', '--stalled-interval', '1'];

test('queued grid survives a killed worker', { timeout: 170_000 }, async (t) => {
  const redis = await startRedis(t);
  const tmp = temporaryFolder(t, 'isbe-queue-');
  const connection = { host: '127.0.0.1', port: redis.port };

  const enqueued = await runCliOk([
    'reproduce',
    '--queue',
    redis.url,
    ...smallGridArgs,
    '--runs-dir',
    join(tmp, 'queued'),
  ]);
  const gridDir = gridFolderOf(enqueued);
  assert.match(enqueued.stderr, /6 trainings on the queue .*: 6 added, 0 already there/);
  const again = await runCliOk(['reproduce', '--queue', redis.url, '--resume', gridDir]);
  assert.match(again.stderr, /6 trainings on the queue .*: 0 added, 6 already there/);

  const queue = new Queue('isbe-trainings', { connection });
  t.after(() => queue.close());
  assert.equal((await queue.getJobs(['waiting', 'active', 'completed', 'failed'])).length, 6);

  const events = new QueueEvents('isbe-trainings', { connection });
  t.after(() => events.close());
  await events.waitUntilReady();
  const completions = new Map<string, number>();
  const failures: string[] = [];
  let firstProgress: { jobId: string; worker: string } | null = null;
  events.on('completed', ({ jobId }) => completions.set(jobId, (completions.get(jobId) ?? 0) + 1));
  events.on('failed', ({ jobId, failedReason }) => failures.push(`${jobId}: ${failedReason}`));
  events.on('progress', ({ jobId, data }) => {
    firstProgress ??= { jobId, worker: (data as { worker: string }).worker };
  });

  const models = join(tmp, 'models');
  const workers = [0, 1].map(() =>
    startWorker(t, redis.url, [...workerArgs, '--checkpoint-dir', models]),
  );
  await waitFor(
    () => firstProgress !== null,
    60_000,
    () => workers.map((w) => w.log()).join('\n'),
  );
  const { jobId: killedJob, worker: killedName } = firstProgress as unknown as {
    jobId: string;
    worker: string;
  };
  const victim = workers.find((worker) => worker.name() === killedName);
  assert.ok(victim, `no worker is named ${killedName}`);
  victim.child.kill('SIGKILL');
  await victim.exited;
  const survivor = workers.find((worker) => worker !== victim) as (typeof workers)[number];

  await waitFor(
    async () => (await queue.getJobCounts('completed')).completed === 6,
    120_000,
    () => `jobs did not finish; survivor's log:\n${survivor.log()}`,
  );
  assert.deepEqual(failures, []);
  assert.equal(completions.size, 6, `completed jobs: ${[...completions.keys()].join(', ')}`);
  for (const [jobId, count] of completions)
    assert.equal(count, 1, `${jobId} completed ${count} times`);
  const killed = await queue.getJob(killedJob);
  assert.ok(killed, `job ${killedJob} is gone`);
  assert.ok(
    killed.attemptsStarted >= 2,
    `job ${killedJob} started ${killed.attemptsStarted} times`,
  );
  assert.equal(killed.processedBy, survivor.name());
  assert.match(survivor.log(), new RegExp(`job ${killedJob} stalled`));

  survivor.child.kill('SIGTERM');
  assert.equal(await survivor.exited, 0);
  assert.match(survivor.log(), /worker \S+ stopped/);

  await runCliOk(['collect', '--queue', redis.url, '--no-report', gridDir]);
  const local = gridFolderOf(
    await runCliOk(['reproduce', ...smallGridArgs, '--runs-dir', join(tmp, 'local')]),
  );

  assert.deepEqual(trainingNames(gridDir), trainingNames(local));
  assert.equal(trainingNames(gridDir).length, 6);
  for (const name of trainingNames(gridDir)) {
    const collected = join(gridDir, 'trainings', name);
    const reference = join(local, 'trainings', name);
    assertSameTraining(collected, reference);
    const model = (dir: string) => readFileSync(join(dir, 'model.safetensors'));
    assert.ok(model(collected).equals(model(reference)), `model.safetensors of ${name} differs`);
  }
  assertSameTables(gridDir, local);
});
