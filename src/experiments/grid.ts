/**
 * The experiment grid: every network × head × seed trained with the same settings, each
 * into its own run folder under <grid>/trainings/.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import type { DataSplits } from '../data/dataset.js';
import { claimFolder } from '../io/folder-claim.js';
import { resumeFile } from '../train/checkpoint.js';
import type { TrainConfig } from '../train/config.js';
import { runTraining } from '../train/run.js';
import { readRun, type RunRecord, runFiles } from '../train/run-folder.js';
import type { TrainCallbacks } from '../train/trainer.js';
import { gridJobs, readGrid, readGridConfig, trainingName, trainingsDir } from './grid-folder.js';
import { makeFolders } from '../io/files.js';

export * from './grid-folder.js';

/** Progress of the grid, for the command line's display. */
export interface GridCallbacks {
  onTrainingStart?(config: TrainConfig, index: number, count: number): TrainCallbacks | void;
  onTrainingEnd?(config: TrainConfig, record: RunRecord): void;
}

/**
 * Trains every cell that has no summary yet; a cell stopped earlier resumes from its
 * resume state. Resolves with the records of finished cells, or early when aborted.
 */
export async function runGrid(
  dir: string,
  data: DataSplits,
  callbacks: GridCallbacks = {},
  signal?: AbortSignal,
): Promise<{ stopped: boolean; records: RunRecord[] }> {
  const jobs = gridJobs(readGridConfig(dir));
  const release = claimFolder(dir);
  try {
    return await trainGridJobs(dir, jobs, data, callbacks, signal);
  } finally {
    release();
  }
}

async function trainGridJobs(
  dir: string,
  jobs: readonly TrainConfig[],
  data: DataSplits,
  callbacks: GridCallbacks,
  signal: AbortSignal | undefined,
): Promise<{ stopped: boolean; records: RunRecord[] }> {
  for (const [index, config] of jobs.entries()) {
    if (signal?.aborted) return { stopped: true, records: readGrid(dir) };
    const runDir = join(dir, trainingsDir, trainingName(config));
    if (existsSync(join(runDir, runFiles.summary))) continue;
    const resume = existsSync(join(runDir, resumeFile));
    makeFolders(runDir);
    const trainCallbacks = callbacks.onTrainingStart?.(config, index, jobs.length) ?? {};
    const result = await runTraining(config, {
      dir: runDir,
      data,
      callbacks: trainCallbacks,
      signal,
      resume,
    });
    if (result.stopped) return { stopped: true, records: readGrid(dir) };
    callbacks.onTrainingEnd?.(config, readRun(runDir));
  }
  return { stopped: false, records: readGrid(dir) };
}
