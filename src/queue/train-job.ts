/**
 * The processing of one job by a worker. It restores the job's last shipped checkpoint
 * when there is one and trains into a run folder on the worker. It reports progress,
 * ships a checkpoint at each epoch end and stores the finished run's files in Redis.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Job } from 'bullmq';
import { WaitingError } from 'bullmq';

import type { DataSplits } from '../data/dataset.js';
import { disposeSplits } from '../data/dataset.js';
import { loadData, type LoadOptions } from '../data/load.js';
import { resumeFile } from '../train/checkpoint.js';
import { type TrainConfig, validateConfig } from '../train/config.js';
import { runFiles } from '../train/run-folder.js';
import { runTraining } from '../train/run.js';
import type { BatchProgress } from '../train/trainer.js';
import type { TrainingJobData, TrainingJobProgress, TrainingJobReturn } from './jobs.js';
import type { Logger } from './log.js';
import { resultFiles, type ResultStore, type StoredResult } from './results.js';
import { makeFolders } from '../io/files.js';

/** Settings of the worker that apply to every job it takes. */
export interface JobRunnerOptions {
  store: ResultStore;
  /** Parent of the jobs' run folders on this machine. */
  workDir: string;
  /** Keep each finished run folder (with model.safetensors) and record it for `isbe collect`. */
  keepRunFolders: boolean;
  /** libtorch threads instead of the job's own setting. */
  threads?: number;
  worker: string;
  /** The worker's lock duration, in ms. */
  lockDurationMs: number;
  log: Logger;
  /** Aborting stops the training after its batch and puts the job back in the queue. */
  signal: AbortSignal;
}

/** Minimum time between two progress reports of one job, in ms. */
const progressIntervalMs = 1000;

/** Loads data sets for jobs, keeping the last one because a grid's jobs share it. */
export class DataCache {
  #key = '';
  #data: DataSplits | null = null;

  get(options: LoadOptions): DataSplits {
    const { dataset, dataDir, validationSize, limit, testLimit } = options;
    const key = JSON.stringify({ dataset, dataDir, validationSize, limit, testLimit });
    if (this.#data !== null && key === this.#key) return this.#data;
    this.dispose();
    this.#data = loadData(options);
    this.#key = key;
    return this.#data;
  }

  dispose(): void {
    if (this.#data !== null) disposeSplits(this.#data);
    this.#data = null;
  }
}

/** Runs one training job; see the file header. */
export async function processTrainingJob(
  job: Job<TrainingJobData, TrainingJobReturn>,
  token: string | undefined,
  data: DataCache,
  options: JobRunnerOptions,
): Promise<TrainingJobReturn> {
  const { store, log } = options;
  const jobId = job.id as string;
  if (options.signal.aborted) {
    await job.moveToWait(token);
    log.info(`job ${jobId} returned to the queue untouched, as this worker is stopping`);
    throw new WaitingError();
  }
  const stored = await store.readResult(jobId);
  if (stored !== null) {
    log.info(
      `job ${jobId} already has a result from ${stored.worker}; completing it without training`,
    );
    return returnOf(stored, 0);
  }
  const config: TrainConfig = {
    ...job.data.config,
    threads: options.threads ?? job.data.config.threads,
  };
  validateConfig(config);
  const dir = join(options.workDir, jobId);
  rmSync(dir, { recursive: true, force: true });
  makeFolders(dir);
  try {
    return await trainInto(dir, config, job, token, data, options);
  } finally {
    if (!options.keepRunFolders) rmSync(dir, { recursive: true, force: true });
  }
}

// Trains the job in the run folder `dir` and stores its result; see the file header.
async function trainInto(
  dir: string,
  config: TrainConfig,
  job: Job<TrainingJobData, TrainingJobReturn>,
  token: string | undefined,
  data: DataCache,
  options: JobRunnerOptions,
): Promise<TrainingJobReturn> {
  const { store, log, worker } = options;
  const jobId = job.id as string;
  const resumedAfterEpoch = await restoreCheckpoint(job, dir, options);

  // Loading a data set blocks the event loop, and with it the lock renewal, for seconds.
  // A fresh lock lets the loading take up to a whole lock duration.
  if (token !== undefined) await job.extendLock(token, options.lockDurationMs);
  const splits = data.get(config);
  const shipping = new CheckpointShipper(jobId, dir, options);
  const report = progressReporter(job, worker, resumedAfterEpoch, log);
  const result = await runTraining(config, {
    dir,
    data: splits,
    signal: options.signal,
    resume: resumedAfterEpoch >= 0,
    callbacks: {
      onBatch: report,
      onEpoch: (metrics) => {
        log.info(
          `job ${jobId} epoch ${metrics.epoch}/${config.epochs}: test accuracy ` +
            `${metrics.testAccuracy.toFixed(2)} %, τ ${metrics.tau.toFixed(2)} %`,
        );
        if (metrics.epoch < config.epochs) shipping.ship(metrics.epoch);
      },
    },
  });
  await shipping.finished();

  if (result.stopped) {
    await returnToQueue(job, token, shipping, result.epochs.length, options);
    throw new WaitingError();
  }
  const finished = readResult(dir, worker, options.keepRunFolders);
  await store.saveResult(jobId, finished);
  await store.deleteCheckpoint(jobId);
  return returnOf(finished, Math.max(resumedAfterEpoch, 0));
}

// Writes the job's shipped checkpoint into the run folder. Returns the finished epochs
// of the checkpoint, or -1 when there is none, so the training starts afresh.
async function restoreCheckpoint(
  job: Job<TrainingJobData, TrainingJobReturn>,
  dir: string,
  options: JobRunnerOptions,
): Promise<number> {
  const checkpoint = await options.store.readCheckpoint(job.id as string);
  if (checkpoint === null) {
    if (job.attemptsStarted > 1) {
      options.log.info(`job ${job.id} has no shipped checkpoint; restarting it from the beginning`);
    }
    return -1;
  }
  writeFileSync(join(dir, resumeFile), checkpoint.resume);
  writeFileSync(join(dir, runFiles.config), checkpoint.config);
  writeFileSync(join(dir, runFiles.epochs), checkpoint.epochs);
  options.log.info(
    `job ${job.id} resumes after epoch ${checkpoint.epoch} from the checkpoint shipped by ${checkpoint.worker}`,
  );
  return checkpoint.epoch;
}

// Sends resume.safetensors to the store after an epoch, one send after the other.
class CheckpointShipper {
  #chain: Promise<void> = Promise.resolve();
  #error: unknown = null;

  constructor(
    readonly jobId: string,
    readonly dir: string,
    readonly options: JobRunnerOptions,
  ) {}

  /** Reads the run folder's resume state now and sends it in the background. */
  ship(epoch: number): void {
    const checkpoint = {
      resume: readFileSync(join(this.dir, resumeFile)),
      config: readFileSync(join(this.dir, runFiles.config), 'utf8'),
      epochs: readTextOrEmpty(join(this.dir, runFiles.epochs)),
      epoch,
      worker: this.options.worker,
    };
    this.#chain = this.#chain
      .then(() => this.options.store.saveCheckpoint(this.jobId, checkpoint))
      .catch((error: unknown) => {
        this.#error = error;
      });
  }

  /** Waits for every send; rejects with the first failure. */
  async finished(): Promise<void> {
    await this.#chain;
    if (this.#error !== null) throw this.#error;
  }
}

function readTextOrEmpty(path: string): string {
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}

// Ships the state that a stopped training saved mid-epoch, then hands the job back.
async function returnToQueue(
  job: Job<TrainingJobData, TrainingJobReturn>,
  token: string | undefined,
  shipping: CheckpointShipper,
  finishedEpochs: number,
  options: JobRunnerOptions,
): Promise<void> {
  shipping.ship(finishedEpochs);
  await shipping.finished();
  await job.moveToWait(token);
  const epochs = finishedEpochs === 1 ? 'epoch' : 'epochs';
  options.log.info(
    `job ${job.id} returned to the queue after ${finishedEpochs} finished ${epochs}`,
  );
}

function readResult(dir: string, worker: string, keepRunFolder: boolean): StoredResult {
  const files = Object.fromEntries(
    resultFiles.map((name) => [name, readFileSync(join(dir, name), 'utf8')]),
  ) as StoredResult['files'];
  return { files, worker, modelDir: keepRunFolder ? dir : null };
}

function returnOf(result: StoredResult, resumedAfterEpoch: number): TrainingJobReturn {
  const summary = JSON.parse(result.files[runFiles.summary]) as {
    testAccuracy: number;
    tau: number;
  };
  return {
    worker: result.worker,
    testAccuracy: summary.testAccuracy,
    tau: summary.tau,
    resumedAfterEpoch,
  };
}

// Sends the first batch's progress at once, then at most one report a second.
function progressReporter(
  job: Job<TrainingJobData, TrainingJobReturn>,
  worker: string,
  resumedAfterEpoch: number,
  log: Logger,
): (progress: BatchProgress) => void {
  let lastSent = 0;
  return (progress) => {
    const now = Date.now();
    if (now - lastSent < progressIntervalMs && progress.batch !== progress.batches) return;
    lastSent = now;
    const update: TrainingJobProgress = {
      worker,
      epoch: progress.epoch,
      epochs: progress.epochs,
      batch: progress.batch,
      batches: progress.batches,
      loss: progress.progressiveLoss,
      imagesPerSecond: progress.imagesPerSecond,
      resumedAfterEpoch: Math.max(resumedAfterEpoch, 0),
    };
    job.updateProgress({ ...update }).catch((error: unknown) => {
      log.repeatedError(`job ${job.id}: progress update failed: ${String(error)}`);
    });
  };
}
