import { type Command, InvalidArgumentError } from 'commander';

import { integerAtLeast } from '../options.js';
import { abortOnSignals } from '../signals.js';

interface WorkerValues {
  queue: string;
  threads?: number;
  checkpointDir?: string;
  lockDuration: number;
  stalledInterval: number;
}

/** Parses a positive number of seconds into milliseconds, for commander. */
export function secondsAsMs(text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError('It must be a positive number of seconds.');
  }
  return Math.round(value * 1000);
}

/** Registers `isbe worker`. */
export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description(
      'take trainings from the queue one at a time and run them, until stopped with ' +
        'SIGINT or SIGTERM (the training in progress then goes back to the queue)',
    )
    .requiredOption('--queue <url>', 'Redis server of the queue, as redis://HOST:PORT[/DB]')
    .option(
      '--threads <n>',
      "libtorch threads for every training (default: each job's own setting)",
      integerAtLeast(1),
    )
    .option(
      '--checkpoint-dir <dir>',
      'keep run folders with model.safetensors in <dir>/<job id>/; on a shared folder, ' +
        '`isbe collect` copies the models (default: a temporary folder, deleted)',
    )
    .option(
      '--lock-duration <seconds>',
      'how long a job stays locked without renewal; keep it above twice the longest batch ' +
        'or evaluation, or a live worker loses its job (default: 120)',
      secondsAsMs,
    )
    .option(
      '--stalled-interval <seconds>',
      'time between checks for jobs whose worker died; such a job returns to the queue after ' +
        'at most lock duration + this (default: 60)',
      secondsAsMs,
    )
    .action(async (values: WorkerValues) => {
      const { parseQueueUrl } = await import('../../queue/connection.js');
      const { createLogger, processName } = await import('../../queue/log.js');
      const { defaultLockDurationMs, defaultStalledIntervalMs, runWorker } =
        await import('../../queue/worker.js');
      const url = parseQueueUrl(values.queue);
      const name = processName();
      const signals = abortOnSignals();
      let outcome: 'stopped' | 'forced';
      try {
        outcome = await runWorker(
          {
            url,
            threads: values.threads,
            checkpointDir: values.checkpointDir,
            lockDurationMs: values.lockDuration ?? defaultLockDurationMs,
            stalledIntervalMs: values.stalledInterval ?? defaultStalledIntervalMs,
            name,
            log: createLogger(`isbe worker ${name}`),
          },
          signals.signal,
        );
      } finally {
        signals.dispose();
      }
      // BullMQ's reconnecting connections would keep the process alive indefinitely.
      if (outcome === 'forced') process.exit();
    });
}
