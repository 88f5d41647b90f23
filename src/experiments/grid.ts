/**
 * The experiment grid: every network × head × seed trained with the same settings, each
 * into its own run folder under <grid>/trainings/.
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import type { DataSplits } from '../data/dataset.js';
import { writeJsonAtomic } from '../io/files.js';
import type { TrainConfig } from '../train/config.js';
import { validateConfig } from '../train/config.js';
import { runTraining } from '../train/run.js';
import { readRun, type RunRecord, runFiles } from '../train/run-folder.js';
import type { TrainCallbacks } from '../train/trainer.js';
import { resumeFile } from '../train/checkpoint.js';
import { readFileSync } from 'node:fs';

/** Networks, heads and seeds to cross, with the settings every training shares. */
export interface GridConfig {
  nets: string[];
  heads: string[];
  seeds: number[];
  base: Omit<TrainConfig, 'net' | 'head' | 'seed'>;
}

export const gridFile = 'grid.json';
export const trainingsDir = 'trainings';

/** One training's configuration for every cell of the grid, nets outermost. */
export function gridJobs(grid: GridConfig): TrainConfig[] {
  return grid.nets.flatMap((net) =>
    grid.heads.flatMap((head) => grid.seeds.map((seed) => ({ ...grid.base, net, head, seed }))),
  );
}

/** Folder name of one training in the grid, for example "N0-isbe-softmax-s0". */
export function trainingName(config: Pick<TrainConfig, 'net' | 'head' | 'seed'>): string {
  return `${config.net}-${config.head}-s${config.seed}`.replace(/[^\w.-]+/g, '_');
}

/** Progress of the grid, for the command line's display. */
export interface GridCallbacks {
  onTrainingStart?(config: TrainConfig, index: number, count: number): TrainCallbacks | void;
  onTrainingEnd?(config: TrainConfig, record: RunRecord): void;
}

/** Writes grid.json, the grid's own configuration, into a new grid folder. */
export function writeGridConfig(dir: string, grid: GridConfig): void {
  for (const job of gridJobs(grid)) validateConfig(job);
  mkdirSync(join(dir, trainingsDir), { recursive: true });
  writeJsonAtomic(join(dir, gridFile), grid);
}

/** Reads grid.json back. */
export function readGridConfig(dir: string): GridConfig {
  const path = join(dir, gridFile);
  if (!existsSync(path)) throw new Error(`${dir} is not a grid folder: it has no ${gridFile}`);
  return JSON.parse(readFileSync(path, 'utf8')) as GridConfig;
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
  for (const [index, config] of jobs.entries()) {
    if (signal?.aborted) return { stopped: true, records: readGrid(dir) };
    const runDir = join(dir, trainingsDir, trainingName(config));
    if (existsSync(join(runDir, runFiles.summary))) continue;
    const resume = existsSync(join(runDir, resumeFile));
    mkdirSync(runDir, { recursive: true });
    const trainCallbacks = callbacks.onTrainingStart?.(config, index, jobs.length) ?? {};
    const result = await runTraining(config, { dir: runDir, data, callbacks: trainCallbacks, signal, resume });
    if (result.stopped) return { stopped: true, records: readGrid(dir) };
    callbacks.onTrainingEnd?.(config, readRun(runDir));
  }
  return { stopped: false, records: readGrid(dir) };
}

/** Reads every finished training of a grid folder. */
export function readGrid(dir: string): RunRecord[] {
  const root = join(dir, trainingsDir);
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .sort()
    .map((name) => readRun(join(root, name)))
    .filter((record) => record.summary !== null);
}
