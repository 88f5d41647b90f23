/** Per-epoch and per-run figures of a training, as written to epochs.jsonl and summary.json. */

/** Figures of one epoch. Losses are per image; accuracies in %; times in seconds. */
export interface EpochMetrics {
  epoch: number;
  /** Mean training loss over the epoch's batches, as they were trained (with dropout). */
  progressiveLoss: number;
  /** Loss on a fixed sample of training images after the epoch, in evaluation mode. */
  trainLoss: number | null;
  validationLoss: number;
  /**
   * Matching loss per image: the convex loss whose gradient with respect to the scores is
   * the head's error, which is cross-entropy for CE heads. It is null for heads without
   * one, and absent from runs written before it was recorded.
   */
  validationMatchingLoss?: number | null;
  /** Matching loss per image on the training sample of trainLoss. */
  trainMatchingLoss?: number | null;
  validationAccuracy: number;
  testAccuracy: number;
  /** What the losses measure: cross-entropy, or the squared error of soft scores. */
  lossName: string;
  /** Network forward plus the head's forward part. */
  forwardSeconds: number;
  /** Backpropagation, from the head's error or loss to the parameters' gradients. */
  backwardSeconds: number;
  optimizerSeconds: number;
  /** Gathering, augmenting and laying out batches. */
  dataSeconds: number;
  /** The training loop, without evaluation. */
  trainSeconds: number;
  evaluationSeconds: number;
  /** τ = backward / (forward + backward) × 100 %, the share of backpropagation. */
  tau: number;
  images: number;
  /** Training images per second of the training loop. */
  imagesPerSecond: number;
  /** Training images per second of forward plus backward only. */
  stepImagesPerSecond: number;
  /** Resident memory of the process after the epoch, in bytes. */
  residentBytes: number;
  /** Largest resident memory of the process so far, in bytes. */
  peakResidentBytes: number;
}

/** Running sums over the batches of one epoch; saved with a checkpoint to resume mid-epoch. */
export interface EpochTotals {
  lossSum: number;
  images: number;
  forwardSeconds: number;
  backwardSeconds: number;
  optimizerSeconds: number;
  dataSeconds: number;
  trainSeconds: number;
}

export function emptyTotals(): EpochTotals {
  return {
    lossSum: 0,
    images: 0,
    forwardSeconds: 0,
    backwardSeconds: 0,
    optimizerSeconds: 0,
    dataSeconds: 0,
    trainSeconds: 0,
  };
}

/** τ in % from backward and forward seconds. */
export function tauPercent(forwardSeconds: number, backwardSeconds: number): number {
  const total = forwardSeconds + backwardSeconds;
  return total > 0 ? (100 * backwardSeconds) / total : 0;
}

/** Figures of a whole run. */
export interface RunSummary {
  net: string;
  head: string;
  seed: number;
  epochs: number;
  /** Test accuracy (α) after the last epoch, in %. */
  testAccuracy: number;
  validationAccuracy: number;
  /** τ over every batch of every epoch, in %. */
  tau: number;
  forwardSeconds: number;
  backwardSeconds: number;
  trainSeconds: number;
  stepImagesPerSecond: number;
  imagesPerSecond: number;
  parameters: number;
}

/** Sums the epochs of a run into its summary. */
export function summarise(
  identity: Pick<RunSummary, 'net' | 'head' | 'seed' | 'parameters'>,
  epochs: readonly EpochMetrics[],
): RunSummary {
  const last = epochs.at(-1);
  if (last === undefined) throw new Error('cannot summarise a run without epochs');
  const total = (key: keyof EpochMetrics) =>
    epochs.reduce((sum, epoch) => sum + (epoch[key] as number), 0);
  const forwardSeconds = total('forwardSeconds');
  const backwardSeconds = total('backwardSeconds');
  const images = total('images');
  return {
    ...identity,
    epochs: epochs.length,
    testAccuracy: last.testAccuracy,
    validationAccuracy: last.validationAccuracy,
    tau: tauPercent(forwardSeconds, backwardSeconds),
    forwardSeconds,
    backwardSeconds,
    trainSeconds: total('trainSeconds'),
    stepImagesPerSecond: images / (forwardSeconds + backwardSeconds),
    imagesPerSecond: images / total('trainSeconds'),
  };
}
