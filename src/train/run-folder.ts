/**
 * The folder of one training run:
 *   config.json        resolved settings and the software and machine they ran on
 *   epochs.jsonl       one JSON object of EpochMetrics per finished epoch
 *   summary.json       RunSummary, once the last epoch finished
 *   predictions.json   labels and predicted class of every test image, after the last epoch
 *   model.safetensors  weights; resume.safetensors: state to resume (see checkpoint.ts)
 * Every file is replaced atomically, so a killed run leaves each file complete.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

import { writeJsonAtomic, writeJsonLinesAtomic } from '../io/files.js';
import { cpuModel } from '../util/system.js';
import type { TrainConfig } from './config.js';
import type { EpochMetrics, RunSummary } from './metrics.js';

export const runFiles = {
  config: 'config.json',
  epochs: 'epochs.jsonl',
  summary: 'summary.json',
  predictions: 'predictions.json',
} as const;

/** Labels and predicted classes of the test images, in order. */
export interface Predictions {
  labels: number[];
  predicted: number[];
}

/** What config.json holds. */
export interface RunConfigFile {
  config: TrainConfig;
  environment: Record<string, string | number>;
}

/** The software and machine a run used; `libtorch` is the loaded libtorch's version. */
export function environmentInfo(
  threads: number,
  libtorch: string,
): Record<string, string | number> {
  return {
    node: process.version,
    libtorch,
    cpu: cpuModel(),
    threads,
    host: hostname(),
    started: new Date().toISOString(),
  };
}

export function writeConfig(
  dir: string,
  config: TrainConfig,
  environment: Record<string, string | number>,
): void {
  const file: RunConfigFile = { config, environment };
  writeJsonAtomic(join(dir, runFiles.config), file);
}

export function writeEpochs(dir: string, epochs: readonly EpochMetrics[]): void {
  writeJsonLinesAtomic(join(dir, runFiles.epochs), epochs);
}

export function writeSummary(dir: string, summary: RunSummary): void {
  writeJsonAtomic(join(dir, runFiles.summary), summary);
}

export function writePredictions(dir: string, predictions: Predictions): void {
  writeJsonAtomic(join(dir, runFiles.predictions), predictions);
}

function readJson<T>(path: string): T {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`cannot read ${path}: ${reason}`);
  }
}

/**
 * Deletes a run folder that has no config.json yet, for a run that failed before it
 * started. A folder with config.json is kept because it can be resumed.
 */
export function removeUnstartedRun(dir: string): void {
  if (existsSync(join(dir, runFiles.config))) return;
  rmSync(dir, { recursive: true, force: true });
}

/** Everything a finished or interrupted run folder holds, read back. */
export interface RunRecord {
  dir: string;
  config: TrainConfig;
  environment: Record<string, string | number>;
  epochs: EpochMetrics[];
  summary: RunSummary | null;
  predictions: Predictions | null;
}

/** Reads a run folder; a missing summary or predictions file gives null. */
export function readRun(dir: string): RunRecord {
  const configPath = join(dir, runFiles.config);
  if (!existsSync(dir)) throw new Error(`run folder ${dir} does not exist`);
  if (!existsSync(configPath)) {
    throw new Error(
      `${dir} has no ${runFiles.config}, so it is not a run folder or its run never ` +
        'started; start a new run instead',
    );
  }
  const { config, environment } = readJson<RunConfigFile>(configPath);
  const epochsPath = join(dir, runFiles.epochs);
  const epochs = existsSync(epochsPath)
    ? readFileSync(epochsPath, 'utf8')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as EpochMetrics)
    : [];
  const optional = <T>(name: string) =>
    existsSync(join(dir, name)) ? readJson<T>(join(dir, name)) : null;
  return {
    dir,
    config,
    environment,
    epochs,
    summary: optional<RunSummary>(runFiles.summary),
    predictions: optional<Predictions>(runFiles.predictions),
  };
}
