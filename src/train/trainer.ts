/**
 * The training loop of the paper's experiments: Adam, shuffled batches, optional
 * augmentation, a head (cross-entropy or ISBE), per-epoch evaluation and timing of the
 * forward and backward parts of each step for τ. It can stop after any batch and resume
 * from a saved state with the same results as an uninterrupted run.
 */
import { augmentBatch } from '../data/augment.js';
import { batchCount } from '../data/batches.js';
import type { DataSplits, ImageSet } from '../data/dataset.js';
import { setSize, sliceSet } from '../data/dataset.js';
import { createHead, type Head } from '../heads/heads.js';
import { buildNetwork } from '../models/build.js';
import { resolveNetwork } from '../models/networks.js';
import type { Sequential } from '../nn/layers.js';
import { Adam } from '../optim/adam.js';
import { autocast } from '../tensor/autograd.js';
import { randperm, tensor } from '../tensor/creation.js';
import { Generator } from '../tensor/random.js';
import { manualSeed, setNumThreads } from '../tensor/runtime.js';
import { tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { cpuHasBf16, peakResidentBytes, residentBytes } from '../util/system.js';
import { ConfigError, type Precision, type TrainConfig, validateConfig } from './config.js';
import { evaluate } from './evaluate.js';
import {
  emptyTotals,
  type EpochMetrics,
  type EpochTotals,
  summarise,
  type RunSummary,
  tauPercent,
} from './metrics.js';

/** Progress of the training loop after one batch. */
export interface BatchProgress {
  epoch: number;
  epochs: number;
  /** Batches done in this epoch, from 1. */
  batch: number;
  batches: number;
  /** Mean training loss per image so far in this epoch. */
  progressiveLoss: number;
  imagesPerSecond: number;
}

/** Hooks the loop calls; the library itself never prints. */
export interface TrainCallbacks {
  onBatch?(progress: BatchProgress): void;
  /** Called after each epoch's evaluation, before the next epoch starts. */
  onEpoch?(metrics: EpochMetrics, trainer: Trainer): void;
}

/** Scores, a loss or gradients became NaN or infinite. */
export class DivergenceError extends Error {
  constructor(
    readonly epoch: number,
    readonly batch: number,
    what: string,
  ) {
    super(
      `training diverged at epoch ${epoch}, batch ${batch}: ${what} is NaN or infinite; ` +
        'lower the learning rate or check the input data',
    );
    this.name = 'DivergenceError';
  }
}

/** Where the loop is, and what it has summed so far; enough to resume exactly. */
export interface TrainProgress {
  /** Metrics of the finished epochs. */
  finished: EpochMetrics[];
  /** Epoch in progress or next to start, from 1. */
  epoch: number;
  /** Next batch of that epoch, from 0. */
  nextBatch: number;
  totals: EpochTotals;
  /** Data generator state before the epoch's permutation was drawn. */
  epochStartState: Uint8Array | null;
}

/** The result of run(). */
export interface TrainResult {
  /** Whether stop() ended the loop before the last epoch finished. */
  stopped: boolean;
  epochs: EpochMetrics[];
  summary: RunSummary | null;
  /** Predicted test class of each image after the last epoch, when it finished. */
  predicted: number[] | null;
}

// bf16 autocast on a CPU without bfloat16 instructions is emulated and slower than fp32.
function resolvePrecision(requested: Precision): Precision {
  if (requested !== 'bf16' || cpuHasBf16()) return requested;
  process.emitWarning(
    'bf16 was requested but this CPU has no bfloat16 instructions (AVX-512 BF16 or AMX); ' +
      'training in fp32 instead',
    { code: 'ISBE_NO_BF16' },
  );
  return 'fp32';
}

// The class weights of the config as float32 [K], checked against the data's classes.
function classWeightTensor(config: TrainConfig, numClasses: number): Tensor | undefined {
  const { classWeights } = config;
  if (classWeights === undefined) return undefined;
  if (classWeights.length !== numClasses) {
    throw new ConfigError(
      `class weights has ${classWeights.length} values but the data set has ${numClasses} ` +
        'classes; give one weight per class',
    );
  }
  return tensor(classWeights, { dtype: 'float32' }).keep();
}

// An ignore index outside the classes is legal, as in PyTorch, but leaves no image out.
function warnOfUnusedIgnoreIndex(ignoreIndex: number | undefined, numClasses: number): void {
  if (ignoreIndex === undefined || (ignoreIndex >= 0 && ignoreIndex < numClasses)) return;
  process.emitWarning(
    `ignore index ${ignoreIndex} is not a label of this data set (0 to ${numClasses - 1}), ` +
      'so no image is left out',
    { code: 'ISBE_IGNORE_INDEX_UNUSED' },
  );
}

function now(): number {
  return performance.now() / 1000;
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Trains one network with one head on one data set. */
export class Trainer {
  readonly model: Sequential;
  readonly head: Head;
  readonly optimizer: Adam;
  /** Draws the data order and the augmentation. */
  readonly dataGenerator: Generator;
  /** Draws the dropout masks. */
  readonly dropoutGenerator: Generator;
  progress: TrainProgress;
  /** The precision in use: bf16 falls back to fp32 on CPUs without native bfloat16. */
  readonly precision: Precision;
  #stopRequested = false;
  readonly #trainLossSet: ImageSet | null;
  readonly #classWeights: Tensor | undefined;

  constructor(
    readonly config: TrainConfig,
    readonly data: DataSplits,
  ) {
    validateConfig(config);
    this.#classWeights = classWeightTensor(config, data.numClasses);
    warnOfUnusedIgnoreIndex(config.ignoreIndex, data.numClasses);
    this.precision = resolvePrecision(config.precision);
    setNumThreads(config.threads);
    // The default generator initialises the weights, in the same order as PyTorch, so a
    // seed gives the same initial weights as torch.manual_seed(seed) and the same layers.
    manualSeed(config.seed);
    this.dataGenerator = new Generator(config.seed);
    this.dropoutGenerator = new Generator(config.seed + 1);
    this.model = buildNetwork(resolveNetwork(config.net), {
      inputShape: data.imageShape,
      numClasses: data.numClasses,
      dropoutGenerator: this.dropoutGenerator,
      convAlgorithm: config.convAlgorithm ?? 'auto',
    });
    if (config.channelsLast) this.model.toMemoryFormat('channelsLast');
    const isbe = config.head.startsWith('isbe-');
    this.head = createHead(config.head, {
      blur: isbe ? config.blur : undefined,
      labelSmoothing: config.labelSmoothing > 0 ? config.labelSmoothing : undefined,
      classWeights: this.#classWeights,
      ignoreIndex: config.ignoreIndex,
      reduction: isbe ? config.isbeReduction : undefined,
    });
    this.optimizer = new Adam(this.model.parameters(), { lr: config.lr });
    const sample = Math.min(config.trainLossImages, setSize(data.train));
    this.#trainLossSet = sample > 0 ? sliceSet(data.train, 0, sample) : null;
    this.progress = {
      finished: [],
      epoch: 1,
      nextBatch: 0,
      totals: emptyTotals(),
      epochStartState: null,
    };
  }

  /** Asks the loop to return after the batch in progress. Safe to call from a signal handler. */
  stop(): void {
    this.#stopRequested = true;
  }

  /** Runs the remaining epochs. */
  async run(callbacks: TrainCallbacks = {}): Promise<TrainResult> {
    let predicted: number[] | null = null;
    while (this.progress.epoch <= this.config.epochs) {
      const completed = await this.#trainEpoch(callbacks);
      if (!completed) return this.#result(true, null);
      const last = this.progress.epoch === this.config.epochs;
      const { metrics, predictions } = this.#finishEpoch(last);
      predicted = predictions ?? null;
      this.progress = {
        finished: [...this.progress.finished, metrics],
        epoch: this.progress.epoch + 1,
        nextBatch: 0,
        totals: emptyTotals(),
        epochStartState: null,
      };
      callbacks.onEpoch?.(metrics, this);
      if (this.#stopRequested && !last) return this.#result(true, null);
    }
    // A run killed after saving its last epoch but before writing its summary resumes
    // here with no epoch left. Its predictions then come from the restored weights.
    predicted ??= this.#predictTest();
    return this.#result(false, predicted);
  }

  /** Frees the model, the optimiser state and the training-loss sample. */
  dispose(): void {
    this.model.dispose();
    this.optimizer.dispose();
    this.#trainLossSet?.images.dispose();
    this.#trainLossSet?.labels.dispose();
    this.#classWeights?.dispose();
  }

  #result(stopped: boolean, predicted: number[] | null): TrainResult {
    const epochs = this.progress.finished;
    const identity = {
      net: this.config.net,
      head: this.config.head,
      seed: this.config.seed,
      parameters: this.model.numParameters(),
    };
    const summary = epochs.length > 0 ? summarise(identity, epochs) : null;
    return { stopped, epochs, summary, predicted };
  }

  // Trains the batches of the current epoch from progress.nextBatch; returns false when
  // stop() ended it early.
  async #trainEpoch(callbacks: TrainCallbacks): Promise<boolean> {
    const { config, data, progress } = this;
    const count = setSize(data.train);
    const batches = batchCount(count, config.batchSize);
    const resumeState = progress.nextBatch > 0 ? this.dataGenerator.getState() : null;
    if (progress.epochStartState !== null) this.dataGenerator.setState(progress.epochStartState);
    progress.epochStartState = this.dataGenerator.getState();
    const order = randperm(count, { generator: this.dataGenerator }).keep();
    if (resumeState !== null) this.dataGenerator.setState(resumeState);
    try {
      while (progress.nextBatch < batches) {
        const started = now();
        const start = progress.nextBatch * config.batchSize;
        const length = Math.min(config.batchSize, count - start);
        tidy(() => this.#trainBatch(order.narrow(0, start, length), progress.totals));
        progress.totals.trainSeconds += now() - started;
        progress.nextBatch += 1;
        callbacks.onBatch?.(this.#batchProgress(batches));
        await yieldToEventLoop();
        if (this.#stopRequested && progress.nextBatch < batches) return false;
      }
      return true;
    } finally {
      order.dispose();
    }
  }

  #trainBatch(ids: Tensor, totals: EpochTotals): void {
    const { config, data, model, head, optimizer } = this;
    const gathered = now();
    let images = data.train.images.indexSelect(0, ids);
    const labels = data.train.labels.indexSelect(0, ids);
    if (config.augment) images = augmentBatch(images, this.dataGenerator);
    if (config.channelsLast) images = images.contiguous('channelsLast');
    const t0 = now();
    const raw =
      this.precision === 'bf16' ? autocast(() => model.forward(images)) : model.forward(images);
    const scores = raw.dtype === 'float32' ? raw : raw.to('float32');
    this.#checkScores(scores);
    const step = head.forward(scores, labels);
    const t1 = now();
    optimizer.zeroGrad();
    step.backward();
    const lossSum = step.lossSum();
    const t2 = now();
    this.#checkFinite(lossSum, optimizer.stepChecked());
    const t3 = now();
    totals.dataSeconds += t0 - gathered;
    totals.forwardSeconds += t1 - t0;
    totals.backwardSeconds += t2 - t1;
    totals.optimizerSeconds += t3 - t2;
    totals.lossSum += lossSum;
    totals.images += ids.shape[0] as number;
  }

  // Catches NaN or infinity where it first shows: a soft function such as sigmoid maps an
  // infinite score to a finite error, which would hide it from the loss and the gradients.
  #checkScores(scores: Tensor): void {
    if (scores.allFinite()) return;
    const { epoch, nextBatch } = this.progress;
    throw new DivergenceError(epoch, nextBatch + 1, 'a score');
  }

  // The optimiser has already stepped; the run stops here, before anything is saved, so
  // the files on disk keep the last good state.
  #checkFinite(lossSum: number, gradientsFinite: boolean): void {
    const { epoch, nextBatch } = this.progress;
    if (!Number.isFinite(lossSum)) throw new DivergenceError(epoch, nextBatch + 1, 'the loss');
    if (!gradientsFinite) throw new DivergenceError(epoch, nextBatch + 1, 'a gradient');
  }

  #batchProgress(batches: number): BatchProgress {
    const { totals, epoch, nextBatch } = this.progress;
    return {
      epoch,
      epochs: this.config.epochs,
      batch: nextBatch,
      batches,
      progressiveLoss: totals.lossSum / Math.max(totals.images, 1),
      imagesPerSecond: totals.images / Math.max(totals.trainSeconds, 1e-9),
    };
  }

  #predictTest(): number[] | null {
    if (this.progress.finished.length === 0) return null;
    const { config, model, head, data } = this;
    const options = {
      batchSize: config.evalBatchSize,
      precision: this.precision,
      channelsLast: config.channelsLast,
      predictions: true,
    };
    return evaluate(model, head, data.test, options).predicted ?? null;
  }

  #finishEpoch(last: boolean): { metrics: EpochMetrics; predictions?: number[] } {
    const { config, data, model, head } = this;
    const started = now();
    const options = {
      batchSize: config.evalBatchSize,
      precision: this.precision,
      channelsLast: config.channelsLast,
    };
    const validation = evaluate(model, head, data.validation, options);
    const test = evaluate(model, head, data.test, { ...options, predictions: last });
    const trainSet = this.#trainLossSet;
    const trainEvaluation = trainSet ? evaluate(model, head, trainSet, options) : null;
    const t = this.progress.totals;
    const metrics: EpochMetrics = {
      epoch: this.progress.epoch,
      progressiveLoss: t.lossSum / t.images,
      trainLoss: trainEvaluation?.loss ?? null,
      validationLoss: validation.loss,
      validationMatchingLoss: validation.matchingLoss,
      trainMatchingLoss: trainEvaluation?.matchingLoss ?? null,
      validationAccuracy: validation.accuracy,
      testAccuracy: test.accuracy,
      lossName: head.lossName,
      forwardSeconds: t.forwardSeconds,
      backwardSeconds: t.backwardSeconds,
      optimizerSeconds: t.optimizerSeconds,
      dataSeconds: t.dataSeconds,
      trainSeconds: t.trainSeconds,
      evaluationSeconds: now() - started,
      tau: tauPercent(t.forwardSeconds, t.backwardSeconds),
      images: t.images,
      imagesPerSecond: t.images / t.trainSeconds,
      stepImagesPerSecond: t.images / (t.forwardSeconds + t.backwardSeconds),
      residentBytes: residentBytes(),
      peakResidentBytes: peakResidentBytes(),
    };
    return { metrics, predictions: test.predicted };
  }
}
