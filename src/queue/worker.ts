/**
 * A queue worker: takes training jobs one at a time from the BullMQ queue and runs them.
 *
 * A worker holds a lock on its job and renews it every lockDuration / 2 from the event
 * loop, which the training loop frees after every batch. A worker that dies stops
 * renewing. After at most lockDuration + stalledInterval, another worker's stalled-job
 * check puts the job back in the queue, and the next worker resumes it from its last
 * shipped checkpoint. The lock duration must be more than twice the longest stretch
 * without a free event loop (one batch, or one epoch's evaluation), because a renewal
 * can fall due just as such a stretch begins. Otherwise a live worker's job is taken from
 * it and trained twice: the time is lost, but the job still completes once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { type Job, Worker } from 'bullmq';

import {
  checkDatabase,
  closeWorkerConnection,
  openWorkerConnection,
  redactUrl,
} from './connection.js';
import {
  jobAttempts,
  maxStalledCount,
  type TrainingJobData,
  type TrainingJobReturn,
  trainingQueueName,
} from './jobs.js';
import type { Logger } from './log.js';
import { ResultStore } from './results.js';
import { DataCache, processTrainingJob } from './train-job.js';

/** Default lock duration: the longest a job may go without a lock renewal, in ms. */
export const defaultLockDurationMs = 120_000;
/** Default time between two checks for jobs whose worker died, in ms. */
export const defaultStalledIntervalMs = 60_000;
/** Time a stopping worker without a job waits for the queue server to confirm, in ms. */
const closeGraceMs = 5_000;

export interface WorkerSettings {
  url: URL;
  /** libtorch threads for every job instead of the job's own setting. */
  threads?: number;
  /** Keep run folders (with model.safetensors) under this folder instead of a temporary one. */
  checkpointDir?: string;
  lockDurationMs: number;
  stalledIntervalMs: number;
  /** host:pid, stored on the jobs this worker takes. */
  name: string;
  log: Logger;
}

/**
 * Runs the worker until `stop` is aborted; the job in progress then goes back to the queue.
 * Resolves to 'forced' when the worker left without the server's confirmation, in which
 * case BullMQ's connections may still be reconnecting and keep the process alive.
 */
export async function runWorker(
  settings: WorkerSettings,
  stop: AbortSignal,
): Promise<'stopped' | 'forced'> {
  const { log } = settings;
  const connection = openWorkerConnection(settings.url, log);
  const store = new ResultStore(connection);
  const workDir =
    settings.checkpointDir === undefined
      ? mkdtempSync(join(tmpdir(), 'isbe-worker-'))
      : resolve(settings.checkpointDir);
  const data = new DataCache();
  const runner = {
    store,
    workDir,
    keepRunFolders: settings.checkpointDir !== undefined,
    threads: settings.threads,
    worker: settings.name,
    lockDurationMs: settings.lockDurationMs,
    log,
    signal: stop,
  };
  let jobsInProgress = 0;
  const worker = new Worker<TrainingJobData, TrainingJobReturn>(
    trainingQueueName,
    async (job, token) => {
      jobsInProgress += 1;
      try {
        return await processTrainingJob(job, token, data, runner);
      } finally {
        jobsInProgress -= 1;
      }
    },
    {
      connection,
      concurrency: 1,
      autorun: false,
      name: settings.name,
      lockDuration: settings.lockDurationMs,
      stalledInterval: settings.stalledIntervalMs,
      maxStalledCount,
    },
  );
  logJobEvents(worker, log);
  // BullMQ 5's close() waits for the server: with Redis unreachable, a stopped worker was
  // still waiting 10 minutes later. Without a job in progress nothing is lost by leaving,
  // so the worker stops anyway once the grace period has passed and no job runs.
  let forceStop = () => {};
  const forced = new Promise<'forced'>((resolve) => {
    forceStop = () => resolve('forced');
  });
  let graceTimer: NodeJS.Timeout | undefined;
  const closeOnStop = () => {
    log.info('stopping: the job in progress, if any, goes back to the queue after its batch');
    worker
      .close()
      .catch((error: unknown) => log.error(`closing the worker failed: ${String(error)}`));
    const started = Date.now();
    // A worker that never reached the server has no job and nothing to confirm.
    const grace = connection.status === 'ready' ? closeGraceMs : 0;
    graceTimer = setInterval(() => {
      if (jobsInProgress > 0 || Date.now() - started < grace) return;
      const queue = redactUrl(settings.url);
      log.warn(
        grace === 0
          ? `the queue at ${queue} is not connected and no job is in progress; stopping now`
          : `the queue at ${queue} did not confirm the stop within ${grace / 1000} s and no ` +
              'job is in progress; stopping without it',
      );
      forceStop();
    }, 500);
  };
  stop.addEventListener('abort', closeOnStop, { once: true });
  log.info(
    `worker ${settings.name} started on queue ${trainingQueueName} at ${redactUrl(settings.url)}; ` +
      `lock duration ${settings.lockDurationMs / 1000} s, stalled-job check every ` +
      `${settings.stalledIntervalMs / 1000} s, run folders in ${workDir}`,
  );
  let outcome: 'stopped' | 'forced' = 'stopped';
  try {
    if (stop.aborted) closeOnStop();
    const checked = checkDatabase(connection, settings.url).then(() => 'checked' as const);
    if ((await Promise.race([checked, forced])) === 'forced') {
      outcome = 'forced';
    } else {
      outcome = await Promise.race([worker.run().then(() => 'stopped' as const), forced]);
    }
  } catch (error) {
    // Closes BullMQ's own connections, which would otherwise keep the process alive.
    const timeout = new Promise((resolve) => setTimeout(resolve, closeGraceMs).unref());
    await Promise.race([worker.close(true).catch(() => undefined), timeout]);
    throw error;
  } finally {
    clearInterval(graceTimer);
    stop.removeEventListener('abort', closeOnStop);
    data.dispose();
    closeWorkerConnection(connection);
    if (settings.checkpointDir === undefined) rmSync(workDir, { recursive: true, force: true });
    log.info(`worker ${settings.name} stopped`);
  }
  return outcome;
}

function attemptText(job: Job<TrainingJobData, TrainingJobReturn>): string {
  return `try ${job.attemptsMade + 1} of ${jobAttempts}, start ${job.attemptsStarted}`;
}

function logJobEvents(worker: Worker<TrainingJobData, TrainingJobReturn>, log: Logger): void {
  worker.on('active', (job) => {
    const { net, head, seed, epochs } = job.data.config;
    log.info(
      `job ${job.id} started: ${net} ${head} seed ${seed}, ${epochs} epochs (${attemptText(job)})`,
    );
  });
  worker.on('completed', (job, result) => {
    log.info(
      `job ${job.id} finished: test accuracy ${result.testAccuracy.toFixed(2)} %, ` +
        `τ ${result.tau.toFixed(2)} %`,
    );
  });
  worker.on('failed', (job, error) => {
    if (job === undefined) {
      log.error(`a job failed and was removed: ${error.message}`);
    } else if (job.attemptsMade < jobAttempts && job.finishedOn === undefined) {
      log.error(`job ${job.id} failed on try ${job.attemptsMade}; retrying: ${error.message}`);
    } else {
      log.error(`job ${job.id} failed after ${job.attemptsMade} tries: ${error.message}`);
    }
  });
  worker.on('stalled', (jobId) => {
    log.warn(
      `job ${jobId} stalled: its worker stopped renewing the lock; it goes back to the queue`,
    );
  });
  worker.on('error', (error) => {
    log.repeatedError(`worker error: ${error.message}`);
  });
}
