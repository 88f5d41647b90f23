/**
 * A grid folder: grid.json with the grid's settings, and one run folder per training under
 * trainings/<net>-<head>-s<seed>/. Reading it needs no libtorch.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { makeFolders, writeJsonAtomic } from '../io/files.js';
import type { TrainConfig } from '../train/config.js';
import { validateConfig } from '../train/config.js';
import { readRun, type RunRecord, runFiles } from '../train/run-folder.js';

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

/** Writes grid.json, the grid's own configuration, into a new grid folder. */
export function writeGridConfig(dir: string, grid: GridConfig): void {
  for (const job of gridJobs(grid)) validateConfig(job);
  makeFolders(join(dir, trainingsDir));
  writeJsonAtomic(join(dir, gridFile), grid);
}

/** Reads grid.json back. */
export function readGridConfig(dir: string): GridConfig {
  const path = join(dir, gridFile);
  if (!existsSync(path)) throw new Error(`${dir} is not a grid folder: it has no ${gridFile}`);
  return JSON.parse(readFileSync(path, 'utf8')) as GridConfig;
}

/** Reads every finished training of a grid folder. */
export function readGrid(dir: string): RunRecord[] {
  const root = join(dir, trainingsDir);
  if (!existsSync(root)) return [];
  // A training killed before it wrote its config.json has a folder but nothing to read.
  return readdirSync(root)
    .sort()
    .filter((name) => existsSync(join(root, name, runFiles.summary)))
    .map((name) => readRun(join(root, name)));
}
