/**
 * A child process of the local pool (local-pool.ts): trains the trainings its parent
 * sends, one at a time, and replies when each ends. The parent decides when to stop, so
 * SIGINT from the terminal is left to it. Losing the parent stops the training in
 * progress, which then saves its state.
 */
import { logLine, TrainingDisplay } from '../cli/progress.js';
import { runTraining } from '../train/run.js';
import type { PoolReply, PoolRequest } from './local-pool.js';
import { DataCache } from './train-job.js';

const data = new DataCache();
let training: AbortController | null = null;

function reply(message: PoolReply): void {
  if (process.connected) process.send?.(message);
}

async function train(request: Extract<PoolRequest, { type: 'train' }>): Promise<void> {
  const controller = new AbortController();
  training = controller;
  const display = new TrainingDisplay(request.label, false);
  try {
    const result = await runTraining(request.config, {
      dir: request.dir,
      data: data.get(request.config),
      callbacks: display.callbacks(),
      signal: controller.signal,
      resume: request.resume,
    });
    reply({ type: result.stopped ? 'stopped' : 'finished', dir: request.dir });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    logLine(`${request.label}: ${message}`);
    reply({ type: 'failed', dir: request.dir, message });
  } finally {
    display.close();
    training = null;
  }
}

process.on('SIGINT', () => undefined);
process.on('message', (request: PoolRequest) => {
  if (request.type === 'train') void train(request);
  else if (request.type === 'stop') training?.abort();
  else {
    data.dispose();
    process.disconnect();
  }
});
process.on('disconnect', () => training?.abort());
