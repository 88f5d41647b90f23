/**
 * Trainings as BullMQ jobs. A job's id is the grid's identity (a hash of every grid
 * setting) followed by the training's name, so enqueuing the same grid again finds the
 * jobs already there instead of adding copies.
 */
import { createHash } from 'node:crypto';

import type { Queue } from 'bullmq';

import { type GridConfig, gridJobs, trainingName } from '../experiments/grid.js';
import type { TrainConfig } from '../train/config.js';
import type { ResultStore } from './results.js';

/** The BullMQ queue of trainings; separate projects on one server use separate databases. */
export const trainingQueueName = 'isbe-trainings';

/** Tries per job: a job whose training throws this many times is marked failed. */
export const jobAttempts = 3;

/** Times a job may go back to the queue because its worker died, before it is marked failed. */
export const maxStalledCount = 2;

/**
 * The data of a job: its grid and the full settings of its training.
 * NOTE: config.dataDir is a path on the machine that enqueued the grid; workers need the
 * IDX files at the same path.
 */
export interface TrainingJobData {
  grid: string;
  /** Folder name of the training inside the grid, for example "N0-isbe-softmax-s0". */
  name: string;
  config: TrainConfig;
}

/** Progress a worker reports while it trains, visible with `isbe status`. */
export interface TrainingJobProgress {
  worker: string;
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  loss: number;
  imagesPerSecond: number;
  /** Epoch after which this attempt resumed from a shipped checkpoint; 0 for a fresh start. */
  resumedAfterEpoch: number;
}

/** The return value of a finished job; the run folder's files are in the result store. */
export interface TrainingJobReturn {
  worker: string;
  testAccuracy: number;
  tau: number;
  resumedAfterEpoch: number;
}

// JSON with object keys sorted at every level, so equal settings give equal text.
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) return item;
    const keys = Object.keys(item as Record<string, unknown>).sort();
    return Object.fromEntries(keys.map((key) => [key, (item as Record<string, unknown>)[key]]));
  });
}

/** Computes the grid's identity: 12 hex digits of the SHA-256 of its settings. */
export function gridId(grid: GridConfig): string {
  const settings = JSON.parse(JSON.stringify(grid)) as GridConfig;
  return createHash('sha256').update(canonicalJson(settings)).digest('hex').slice(0, 12);
}

/** One job of the grid, before it is enqueued. */
export interface GridJob {
  id: string;
  data: TrainingJobData;
}

/** Lists the jobs of every cell of the grid, in the order of gridJobs (nets outermost). */
export function gridQueueJobs(grid: GridConfig): GridJob[] {
  const id = gridId(grid);
  return gridJobs(grid).map((config) => {
    const name = trainingName(config);
    return { id: `${id}-${name}`, data: { grid: id, name, config } };
  });
}

/** The outcome of enqueuing a grid, by job id. */
export interface EnqueueReport {
  grid: string;
  added: string[];
  /** Jobs already waiting, running or done, left as they are. */
  present: string[];
  /** Jobs that had failed every try and were put back in the queue. */
  retried: string[];
}

/**
 * Enqueues every training of the grid that the queue does not hold yet, stores the grid's
 * settings for `isbe collect`, and retries the grid's failed jobs.
 */
export async function enqueueGrid(
  queue: Queue<TrainingJobData, TrainingJobReturn>,
  store: ResultStore,
  grid: GridConfig,
): Promise<EnqueueReport> {
  const jobs = gridQueueJobs(grid);
  const report: EnqueueReport = { grid: gridId(grid), added: [], present: [], retried: [] };
  await store.saveGrid(report.grid, grid);
  for (const job of jobs) {
    const state = await queue.getJobState(job.id);
    if (state === 'failed') {
      await (await queue.getJob(job.id))?.retry('failed');
      report.retried.push(job.id);
    } else if (state === 'unknown') {
      await queue.add(job.data.name, job.data, {
        jobId: job.id,
        attempts: jobAttempts,
        removeOnComplete: false,
        removeOnFail: false,
      });
      report.added.push(job.id);
    } else {
      report.present.push(job.id);
    }
  }
  return report;
}
