import { logLine } from './progress.js';

/**
 * Turns the first SIGINT or SIGTERM into an abort, so training stops after the batch in
 * progress and saves its state; a second signal exits at once with code 130.
 */
export function abortOnSignals(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      logLine(`received ${name} again: exiting now`);
      process.exit(130);
    }
    logLine(`received ${name}: stopping after the current batch and saving the run (repeat to exit at once)`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
