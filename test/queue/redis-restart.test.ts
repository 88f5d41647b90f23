// The Redis server stops in the middle of a job and starts again on the same port, with
// its data kept in an append-only file. The worker must wait, reconnect and finish the
// grid. No result may be lost: neither those stored before the outage nor the one of
// the job that was training during it.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import {
  assertSameTables,
  gridFolderOf,
  runCliOk,
  startRedis,
  startWorker,
  temporaryFolder,
  testConnection,
  trainingNames,
  waitFor,
} from './harness.js';

// prettier-ignore
const gridArgs = [
  '--nets', 'N0',
  '--heads', 'ce-mean,isbe-softmax',
  '--seeds', '2',
  '--epochs', '1',
  '--limit', '2000',
  '--validation-size', '100',
  '--test-limit', '500',
  '--train-loss-images', '200',
  '--threads', '1',
  '--no-report',
];

test('worker rides out a Redis restart', { timeout: 150_000 }, async (t) => {
  const redis = await startRedis(t, true);
  const tmp = temporaryFolder(t, 'isbe-queue-restart-');
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
  // The lock outlasts the outage, so the job in progress stays with its worker.
  const worker = startWorker(t, redis.url, ['--lock-duration', '30', '--stalled-interval', '5']);
  const count = (pattern: RegExp) => worker.log().match(pattern)?.length ?? 0;
  const finished = () => count(/job \S+ finished/g);
  const trained = () => count(/job \S+ epoch 1\/1/g);
  await waitFor(() => finished() >= 1, 60_000, worker.log);
  await waitFor(() => count(/job \S+ started/g) > trained(), 30_000, worker.log);

  // The server stays away until the job in progress has trained, so its result has to
  // wait for the server to come back.
  await redis.stop();
  const finishedBeforeOutage = finished();
  const trainedBeforeOutage = trained();
  await waitFor(() => trained() > trainedBeforeOutage, 60_000, worker.log);
  await sleep(1000);
  assert.equal(
    finished(),
    finishedBeforeOutage,
    'a job was marked finished while the server was away',
  );
  await redis.start();

  await waitFor(() => finished() === 4, 90_000, worker.log);
  assert.match(
    worker.log(),
    /lost the connection to the queue at redis:\/\/127\.0\.0\.1:\d+; reconnecting/,
  );
  assert.match(worker.log(), /reconnected to the queue/);
  assert.ok(finishedBeforeOutage >= 1);

  const connection = testConnection(t, redis);
  assert.equal((await connection.keys('isbe:trainings:result:*')).length, 4);
  assert.equal(await connection.zcard('bull:isbe-trainings:completed'), 4);
  worker.child.kill('SIGTERM');
  assert.equal(await worker.exited, 0, worker.log());

  await runCliOk(['collect', '--queue', redis.url, '--no-report', gridDir]);
  assert.equal(trainingNames(gridDir).length, 4);
  const local = gridFolderOf(
    await runCliOk(['reproduce', ...gridArgs, '--runs-dir', join(tmp, 'local')]),
  );
  assertSameTables(gridDir, local);
});
