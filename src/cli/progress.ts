/**
 * What a training shows on stderr: on a terminal, a progress bar per epoch (batch, img/s,
 * loss, ETA); elsewhere, plain lines. Either way, one summary line per epoch.
 */
import cliProgress from 'cli-progress';

import type { EpochMetrics } from '../train/metrics.js';
import type { BatchProgress, TrainCallbacks } from '../train/trainer.js';

/** Writes one line to stderr. */
export function logLine(text: string): void {
  process.stderr.write(`${text}\n`);
}

/** A one-line summary of an epoch. */
export function formatEpoch(label: string, metrics: EpochMetrics, epochs: number): string {
  const train = metrics.trainLoss === null ? '' : ` train ${metrics.trainLoss.toFixed(4)},`;
  return (
    `${label} epoch ${metrics.epoch}/${epochs}: loss progressive ${metrics.progressiveLoss.toFixed(4)},` +
    `${train} validation ${metrics.validationLoss.toFixed(4)}; accuracy validation ` +
    `${metrics.validationAccuracy.toFixed(2)} %, test ${metrics.testAccuracy.toFixed(2)} %; ` +
    `τ ${metrics.tau.toFixed(2)} %; ${Math.round(metrics.imagesPerSecond)} img/s`
  );
}

/** Progress display of one training. */
export class TrainingDisplay {
  readonly #label: string;
  readonly #interactive: boolean;
  #bar: cliProgress.SingleBar | null = null;
  #lastLogged = 0;

  constructor(label: string, interactive = process.stderr.isTTY === true) {
    this.#label = label;
    this.#interactive = interactive;
  }

  /** Callbacks that feed this display. */
  callbacks(): TrainCallbacks {
    return {
      onBatch: (progress) => this.#onBatch(progress),
      onEpoch: (metrics, trainer) => this.#onEpoch(metrics, trainer.config.epochs),
    };
  }

  /** Removes the bar, for example when the run stops early. */
  close(): void {
    this.#bar?.stop();
    this.#bar = null;
  }

  #onBatch(progress: BatchProgress): void {
    const payload = {
      epoch: `${progress.epoch}/${progress.epochs}`,
      speed: Math.round(progress.imagesPerSecond),
      loss: progress.progressiveLoss.toFixed(4),
    };
    if (!this.#interactive) {
      this.#logOccasionally(progress);
      return;
    }
    if (this.#bar === null) {
      this.#bar = new cliProgress.SingleBar(
        {
          format:
            `${this.#label} epoch {epoch} {bar} batch {value}/{total} | {speed} img/s | ` +
            'loss {loss} | ETA {eta_formatted}',
          stream: process.stderr,
          hideCursor: true,
          clearOnComplete: true,
          etaBuffer: 50,
        },
        cliProgress.Presets.shades_classic,
      );
      this.#bar.start(progress.batches, progress.batch, payload);
    }
    this.#bar.update(progress.batch, payload);
  }

  // Without a terminal, a line every 30 s keeps logs short but shows the run is alive.
  #logOccasionally(progress: BatchProgress): void {
    const now = Date.now();
    if (now - this.#lastLogged < 30_000) return;
    this.#lastLogged = now;
    logLine(
      `${this.#label} epoch ${progress.epoch}/${progress.epochs} batch ` +
        `${progress.batch}/${progress.batches}: ${Math.round(progress.imagesPerSecond)} img/s, ` +
        `loss ${progress.progressiveLoss.toFixed(4)}`,
    );
  }

  #onEpoch(metrics: EpochMetrics, epochs: number): void {
    this.close();
    this.#lastLogged = Date.now();
    logLine(formatEpoch(this.#label, metrics, epochs));
  }
}

/** Prints the resolved settings, one per line. */
export function printConfiguration(title: string, values: Record<string, unknown>): void {
  logLine(`${title}:`);
  const width = Math.max(...Object.keys(values).map((key) => key.length));
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(', ') : String(value);
    logLine(`  ${key.padEnd(width)}  ${text}`);
  }
}
