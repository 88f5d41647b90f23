/**
 * One training run with its run folder: results are written after every epoch, so a run
 * that is stopped or killed keeps its last complete epoch, and a stopped run can resume.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import type { DataSplits } from '../data/dataset.js';
import { removeTemporaryFiles } from '../io/files.js';
import { claimFolder } from '../io/folder-claim.js';
import { loadResumeState, resumeFile, saveModel, saveResumeState } from './checkpoint.js';
import type { TrainConfig } from './config.js';
import { libtorchInfo } from '../tensor/runtime.js';
import {
  environmentInfo,
  writeConfig,
  writeEpochs,
  writePredictions,
  writeSummary,
} from './run-folder.js';
import { type TrainCallbacks, Trainer, type TrainResult } from './trainer.js';

export interface RunOptions {
  /** The run folder; it must exist. */
  dir: string;
  data: DataSplits;
  callbacks?: TrainCallbacks;
  /** Aborting stops the run after the batch in progress and saves a resume state. */
  signal?: AbortSignal;
  /**
   * Continue the run in `dir`, whose config.json exists: from its resume.safetensors, or
   * from the first batch when the run was stopped or killed before it saved one.
   */
  resume?: boolean;
}

/** Trains with `config`, writing results into options.dir; resolves when done or stopped. */
export async function runTraining(config: TrainConfig, options: RunOptions): Promise<TrainResult> {
  const { dir, data, signal } = options;
  const release = claimFolder(dir);
  let trainer: Trainer;
  try {
    trainer = new Trainer(config, data);
  } catch (error) {
    release();
    throw error;
  }
  const stop = () => trainer.stop();
  try {
    if (options.resume) {
      removeTemporaryFiles(dir);
      if (existsSync(join(dir, resumeFile))) loadResumeState(dir, trainer);
    } else {
      writeConfig(dir, config, environmentInfo(config.threads, libtorchInfo().loaded));
    }
    signal?.addEventListener('abort', stop);
    if (signal?.aborted) stop();
    const result = await trainer.run({
      ...options.callbacks,
      // Epochs first, then the weights and the resume state: a kill between them leaves
      // a resume state of the epoch before, from which the resumed run redoes the epoch.
      onEpoch: (metrics, current) => {
        writeEpochs(dir, current.progress.finished);
        saveModel(dir, current);
        saveResumeState(dir, current);
        options.callbacks?.onEpoch?.(metrics, current);
      },
    });
    if (result.stopped) saveResumeState(dir, trainer);
    // summary.json marks a finished run, so it is written last: a run killed before it
    // counts as unfinished, and --resume writes both files.
    if (!result.stopped && result.summary !== null && result.predicted !== null) {
      writePredictions(dir, { labels: data.test.labels.toArray(), predicted: result.predicted });
      writeSummary(dir, result.summary);
    }
    return result;
  } finally {
    signal?.removeEventListener('abort', stop);
    trainer.dispose();
    release();
  }
}
