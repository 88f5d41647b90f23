/**
 * Results and checkpoints that travel through Redis, so workers need no shared disk:
 *   isbe:trainings:grid:<grid id>        grid.json of an enqueued grid
 *   isbe:trainings:result:<job id>       hash of a finished run's files (config.json,
 *                                        epochs.jsonl, summary.json, predictions.json)
 *   isbe:trainings:checkpoint:<job id>   hash of an unfinished run's resume.safetensors,
 *                                        epochs.jsonl and config.json, replaced at each
 *                                        epoch end and deleted when the job completes; a
 *                                        failed job keeps it, so a retry resumes
 * A result is stored before its job is marked completed, so a job whose completion was
 * lost (its worker lost the lock or the connection) is found finished by the next worker.
 */
import type { Redis } from 'ioredis';

import type { GridConfig } from '../experiments/grid.js';
import { resumeFile } from '../train/checkpoint.js';
import { runFiles } from '../train/run-folder.js';

const namespace = 'isbe:trainings';

/** The text files of a finished run folder, by file name. */
export const resultFiles = [
  runFiles.config,
  runFiles.epochs,
  runFiles.summary,
  runFiles.predictions,
] as const;

/** A finished training as stored: its files and where it ran. */
export interface StoredResult {
  files: Record<(typeof resultFiles)[number], string>;
  worker: string;
  /** Folder on the worker that kept model.safetensors, when the worker had --checkpoint-dir. */
  modelDir: string | null;
}

/** State to resume an unfinished training: resume.safetensors and the text files beside it. */
export interface StoredCheckpoint {
  resume: Buffer;
  config: string;
  epochs: string;
  /** Finished epochs when the state was saved. */
  epoch: number;
  worker: string;
}

/** Reads and writes the keys above through one Redis connection. */
export class ResultStore {
  constructor(readonly redis: Redis) {}

  async saveGrid(id: string, grid: GridConfig): Promise<void> {
    await this.redis.set(`${namespace}:grid:${id}`, `${JSON.stringify(grid, null, 2)}\n`);
  }

  /** Reads the settings of an enqueued grid, or null when no grid has this id. */
  async readGrid(id: string): Promise<GridConfig | null> {
    const text = await this.redis.get(`${namespace}:grid:${id}`);
    return text === null ? null : (JSON.parse(text) as GridConfig);
  }

  async saveResult(jobId: string, result: StoredResult): Promise<void> {
    await this.redis.hset(`${namespace}:result:${jobId}`, {
      ...result.files,
      worker: result.worker,
      modelDir: result.modelDir ?? '',
    });
  }

  /** Reads the stored result of a job, or null when it has none. */
  async readResult(jobId: string): Promise<StoredResult | null> {
    const hash = await this.redis.hgetall(`${namespace}:result:${jobId}`);
    if (resultFiles.some((name) => hash[name] === undefined)) return null;
    const files = Object.fromEntries(resultFiles.map((name) => [name, hash[name] as string]));
    return {
      files: files as StoredResult['files'],
      worker: hash.worker ?? '',
      modelDir: hash.modelDir ? hash.modelDir : null,
    };
  }

  async hasResult(jobId: string): Promise<boolean> {
    return (await this.redis.hexists(`${namespace}:result:${jobId}`, runFiles.summary)) === 1;
  }

  async saveCheckpoint(jobId: string, checkpoint: StoredCheckpoint): Promise<void> {
    await this.redis.hset(`${namespace}:checkpoint:${jobId}`, {
      [resumeFile]: checkpoint.resume,
      [runFiles.config]: checkpoint.config,
      [runFiles.epochs]: checkpoint.epochs,
      epoch: String(checkpoint.epoch),
      worker: checkpoint.worker,
    });
  }

  /** Reads the last shipped checkpoint of a job, or null when it has none. */
  async readCheckpoint(jobId: string): Promise<StoredCheckpoint | null> {
    const hash = await this.redis.hgetallBuffer(`${namespace}:checkpoint:${jobId}`);
    const resume = hash[resumeFile];
    const config = hash[runFiles.config];
    if (resume === undefined || config === undefined) return null;
    return {
      resume,
      config: config.toString('utf8'),
      epochs: hash[runFiles.epochs]?.toString('utf8') ?? '',
      epoch: Number(hash.epoch?.toString('utf8') ?? 0),
      worker: hash.worker?.toString('utf8') ?? '',
    };
  }

  async deleteCheckpoint(jobId: string): Promise<void> {
    await this.redis.del(`${namespace}:checkpoint:${jobId}`);
  }
}
