/**
 * A grid trained in several local processes, without a queue server. The parent hands
 * each child process one training at a time over IPC. Each child trains with an equal
 * share of the grid's libtorch threads, max(1, floor(threads / processes)). The grid
 * folder is the one runGrid writes, except that config.json records the smaller thread
 * count.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  gridJobs,
  readGrid,
  readGridConfig,
  trainingName,
  trainingsDir,
} from '../experiments/grid.js';
import { claimFolder } from '../io/folder-claim.js';
import { resumeFile } from '../train/checkpoint.js';
import type { TrainConfig } from '../train/config.js';
import { readRun, type RunRecord, runFiles } from '../train/run-folder.js';
import { makeFolders } from '../io/files.js';

/** A message from the parent to a child process. */
export type PoolRequest =
  | { type: 'train'; dir: string; config: TrainConfig; resume: boolean; label: string }
  | { type: 'stop' }
  | { type: 'exit' };

/** A message from a child process about the training it was given. */
export type PoolReply =
  | { type: 'finished'; dir: string }
  | { type: 'stopped'; dir: string }
  | { type: 'failed'; dir: string; message: string };

/** Progress of the pool, for the command line. */
export interface PoolCallbacks {
  onTrainingStart?(config: TrainConfig, index: number, count: number, child: number): void;
  onTrainingEnd?(config: TrainConfig, record: RunRecord): void;
}

/** libtorch threads of each of `processes` processes sharing `threads`. */
export function threadsPerProcess(threads: number, processes: number): number {
  return Math.max(1, Math.floor(threads / processes));
}

interface Cell {
  index: number;
  config: TrainConfig;
  dir: string;
}

const childModule = fileURLToPath(new URL('./local-child.js', import.meta.url));

/**
 * Trains every cell of the grid in `dir` that has no summary yet, in up to `processes`
 * child processes. Resolves like runGrid; rejects after every child exited when a
 * training failed or a child died.
 */
export async function runGridInProcesses(
  dir: string,
  processes: number,
  callbacks: PoolCallbacks = {},
  signal?: AbortSignal,
): Promise<{ stopped: boolean; records: RunRecord[] }> {
  const grid = readGridConfig(dir);
  const threads = threadsPerProcess(grid.base.threads, processes);
  const jobs = gridJobs(grid);
  const pending: Cell[] = jobs
    .map((config, index) => ({ index, config, dir: join(dir, trainingsDir, trainingName(config)) }))
    .filter((cell) => !existsSync(join(cell.dir, runFiles.summary)));
  const pool = new Pool(pending, jobs.length, threads, callbacks);
  const onAbort = () => pool.stop();
  const release = claimFolder(dir);
  signal?.addEventListener('abort', onAbort);
  try {
    if (signal?.aborted) pool.stop();
    await pool.run(Math.min(processes, pending.length));
  } finally {
    signal?.removeEventListener('abort', onAbort);
    release();
  }
  if (pool.failure !== null) throw pool.failure;
  return { stopped: pool.stopped, records: readGrid(dir) };
}

class Pool {
  stopped = false;
  failure: Error | null = null;
  readonly #children = new Set<ChildProcess>();

  constructor(
    readonly pending: Cell[],
    readonly count: number,
    readonly threads: number,
    readonly callbacks: PoolCallbacks,
  ) {}

  /** Starts `size` children and resolves when every one has exited. */
  async run(size: number): Promise<void> {
    const exits = Array.from({ length: size }, (_, child) => this.#startChild(child + 1));
    await Promise.all(exits);
  }

  /** Asks every child to stop after its batch; the stopped trainings save their state. */
  stop(): void {
    this.stopped = true;
    for (const child of this.#children) send(child, { type: 'stop' });
  }

  #fail(error: Error): void {
    this.failure ??= error;
    for (const child of this.#children) send(child, { type: 'stop' });
  }

  #startChild(number: number): Promise<void> {
    const child = fork(childModule, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.#children.add(child);
    let current: Cell | null = null;
    const next = () => {
      current = this.stopped || this.failure !== null ? null : (this.pending.shift() ?? null);
      if (current === null) {
        send(child, { type: 'exit' });
        return;
      }
      const { config } = current;
      makeFolders(current.dir);
      this.callbacks.onTrainingStart?.(config, current.index, this.count, number);
      send(child, {
        type: 'train',
        dir: current.dir,
        config: { ...config, threads: this.threads },
        resume: existsSync(join(current.dir, resumeFile)),
        label: `[${current.index + 1}/${this.count}] ${config.net} ${config.head} seed ${config.seed}`,
      });
    };
    child.on('message', (reply: PoolReply) => {
      const cell = current;
      current = null;
      if (reply.type === 'finished' && cell !== null) {
        this.callbacks.onTrainingEnd?.(cell.config, readRun(reply.dir));
      } else if (reply.type === 'stopped') {
        this.stopped = true;
      } else if (reply.type === 'failed') {
        this.#fail(new Error(`training ${reply.dir} failed: ${reply.message}`));
      }
      next();
    });
    return new Promise((resolve) => {
      child.on('error', (error) => {
        this.#children.delete(child);
        this.#fail(new Error(`local training process ${number} failed: ${error.message}`));
        resolve();
      });
      child.on('exit', (code, signalName) => {
        this.#children.delete(child);
        const cell = current as Cell | null;
        if (cell !== null) {
          const reason = signalName === null ? `with code ${code}` : `on ${signalName}`;
          this.#fail(new Error(`the process training ${cell.dir} exited ${reason}`));
        }
        resolve();
      });
      next();
    });
  }
}

function send(child: ChildProcess, request: PoolRequest): void {
  if (child.connected) child.send(request);
}
