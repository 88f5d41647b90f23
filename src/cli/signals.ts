import { constants } from 'node:os';

import { logLine } from './progress.js';

/** An abort signal raised by SIGINT or SIGTERM. */
export interface SignalAbort {
  signal: AbortSignal;
  /** The conventional exit code after the signal that stopped the run: 128 + its number. */
  exitCode(): number;
  dispose(): void;
}

/**
 * Turns the first SIGINT or SIGTERM into an abort, so training stops after the batch in
 * progress and saves its state; a second signal exits at once, without saving.
 */
export function abortOnSignals(): SignalAbort {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      logLine(`received ${name} again: exiting now`);
      process.exit(128 + constants.signals[name]);
    }
    logLine(
      `received ${name}: stopping after the current batch and saving the run (repeat to exit at once)`,
    );
    controller.abort(name);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    exitCode: () => {
      const name = controller.signal.reason as NodeJS.Signals | undefined;
      return 128 + (name === undefined ? constants.signals.SIGINT : constants.signals[name]);
    },
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
