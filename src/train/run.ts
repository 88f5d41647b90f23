/**
 * One training run with its run folder: results are written after every epoch, so a run
 * that is stopped or killed keeps its last complete epoch, and a stopped run can resume.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import type { DataSplits } from '../data/dataset.js';
import { loadResumeState, resumeFile, saveModel, saveResumeState } from './checkpoint.js';
import type { TrainConfig } from './config.js';
import { writeConfig, writeEpochs, writePredictions, writeSummary } from './run-folder.js';
import { type TrainCallbacks, Trainer, type TrainResult } from './trainer.js';

export interface RunOptions {
  /** The run folder; it must exist. */
  dir: string;
  data: DataSplits;
  callbacks?: TrainCallbacks;
  /** Aborting stops the run after the batch in progress and saves a resume state. */
  signal?: AbortSignal;
  /** Continue from the folder's resume.safetensors instead of starting afresh. */
  resume?: boolean;
}

/** Trains with `config`, writing results into options.dir; resolves when done or stopped. */
export async function runTraining(config: TrainConfig, options: RunOptions): Promise<TrainResult> {
  const { dir, data, signal } = options;
  const trainer = new Trainer(config, data);
  const stop = () => trainer.stop();
  try {
    if (options.resume) {
      if (!existsSync(join(dir, resumeFile))) {
        throw new Error(`${dir} has no ${resumeFile} to resume from; the run never saved one`);
      }
      loadResumeState(dir, trainer);
    } else {
      writeConfig(dir, config);
    }
    signal?.addEventListener('abort', stop);
    if (signal?.aborted) stop();
    const result = await trainer.run({
      ...options.callbacks,
      onEpoch: (metrics, current) => {
        writeEpochs(dir, current.progress.finished);
        saveModel(dir, current);
        saveResumeState(dir, current);
        options.callbacks?.onEpoch?.(metrics, current);
      },
    });
    if (result.stopped) saveResumeState(dir, trainer);
    if (!result.stopped && result.summary !== null && result.predicted !== null) {
      writeSummary(dir, result.summary);
      writePredictions(dir, { labels: data.test.labels.toArray(), predicted: result.predicted });
    }
    return result;
  } finally {
    signal?.removeEventListener('abort', stop);
    trainer.dispose();
  }
}
