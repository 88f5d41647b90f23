/**
 * Gathers the finished trainings of a queued grid into a grid folder laid out like a
 * local one (grid.json and trainings/<name>/ run folders), so the tables and the report
 * read it unchanged.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Queue } from 'bullmq';

import { type GridConfig, trainingsDir } from '../experiments/grid.js';
import { makeFolders, writeFileAtomic } from '../io/files.js';
import { modelFile, resumeFile } from '../train/checkpoint.js';
import { gridQueueJobs, type TrainingJobData, type TrainingJobReturn } from './jobs.js';
import { resultFiles, type ResultStore } from './results.js';

/** A training of the grid without a stored result, with its job's state. */
export interface MissingTraining {
  name: string;
  jobId: string;
  /** BullMQ's state of the job ("waiting", "active", "failed", ...), or "unknown". */
  state: string;
  error: string | null;
}

/** The outcome of collecting a grid. */
export interface CollectReport {
  collected: string[];
  missing: MissingTraining[];
  /** Trainings whose model.safetensors stayed on their worker. */
  withoutModel: string[];
}

/** Writes every stored result of the grid into `dir`, which contains grid.json. */
export async function collectGrid(
  dir: string,
  grid: GridConfig,
  store: ResultStore,
  queue: Queue<TrainingJobData, TrainingJobReturn>,
): Promise<CollectReport> {
  const report: CollectReport = { collected: [], missing: [], withoutModel: [] };
  for (const job of gridQueueJobs(grid)) {
    const result = await store.readResult(job.id);
    if (result === null) {
      const state = await queue.getJobState(job.id);
      const failed = state === 'failed' ? await queue.getJob(job.id) : undefined;
      report.missing.push({
        name: job.data.name,
        jobId: job.id,
        state,
        error: failed?.failedReason ?? null,
      });
      continue;
    }
    const runDir = join(dir, trainingsDir, job.data.name);
    makeFolders(runDir);
    for (const name of resultFiles) writeFileAtomic(join(runDir, name), result.files[name]);
    if (!copyModelFiles(result.modelDir, runDir)) report.withoutModel.push(job.data.name);
    report.collected.push(job.data.name);
  }
  return report;
}

// Copies model.safetensors and resume.safetensors from a worker's kept run folder when
// this machine can read it; returns whether the model was copied.
function copyModelFiles(modelDir: string | null, runDir: string): boolean {
  if (modelDir === null || !existsSync(join(modelDir, modelFile))) return false;
  for (const name of [modelFile, resumeFile]) {
    const source = join(modelDir, name);
    if (existsSync(source)) writeFileAtomic(join(runDir, name), readFileSync(source));
  }
  return true;
}
