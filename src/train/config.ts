/** Settings of one training run, their defaults and their validation. */
import type { ConvAlgorithm } from '../nn/functional.js';
import { physicalCores } from '../util/system.js';

export type Precision = 'fp32' | 'bf16';

/** The data sets the command line can load by name. */
export const datasetNames = ['mnist', 'fashion-mnist'] as const;
export type DatasetName = (typeof datasetNames)[number];

export interface TrainConfig {
  /** Network: N0, N1, N1r, or a description such as "C32k3s2 C64k3s2 D20 F512 F10". */
  net: string;
  /** Head: ce-none, ce-mean, ce-sum or isbe-<soft function>. */
  head: string;
  epochs: number;
  batchSize: number;
  /** Adam's learning rate. */
  lr: number;
  /** Seeds weight initialisation, data order, augmentation and dropout. */
  seed: number;
  /** libtorch threads. */
  threads: number;
  /** μ of the blurred one-hot targets of ISBE heads. */
  blur: number;
  /** ε of label smoothing, for CE and ISBE heads alike; 0 for none. */
  labelSmoothing: number;
  /** Weight of each class, with CrossEntropyLoss's semantics, for every head; absent for none. */
  classWeights?: number[];
  /** Label whose images leave the loss, the ISBE error and the mean's denominator. */
  ignoreIndex?: number;
  /**
   * Gradient scale of ISBE heads: 'sum' sends f(X) − Y° (the ISBE unit), 'mean' divides it
   * as CrossEntropyLoss's mean divides. CE heads take theirs from the head name. Default 'sum'.
   */
  isbeReduction?: 'sum' | 'mean';
  /** Random rotation (±10°) and shift (±2 px) of training images. */
  augment: boolean;
  dataset: DatasetName;
  /** Folder of the user's IDX files, instead of the bundled data set. */
  dataDir?: string;
  /** Train on the first `limit` training images only. */
  limit?: number;
  /** Training images held out for validation. */
  validationSize: number;
  /** Use only the first `testLimit` test images. */
  testLimit?: number;
  /** Arithmetic of the forward pass: fp32, or bf16 under autocast. */
  precision: Precision;
  /** Keep 4-D tensors in channels_last memory format, which oneDNN convolutions prefer. */
  channelsLast: boolean;
  /**
   * Convolution algorithm: 'auto' lets eligible 3×3 convolutions use Winograd, 'direct'
   * computes every convolution as PyTorch does. Missing in runs from older versions, which
   * then use 'auto'.
   */
  convAlgorithm?: ConvAlgorithm;
  /** Batch size of evaluation passes. */
  evalBatchSize: number;
  /** Training images (the first ones, not augmented) whose loss is reported per epoch; 0 for none. */
  trainLossImages: number;
}

/** Defaults of every setting but the network and the head. */
export function defaultConfig(): Omit<TrainConfig, 'net' | 'head'> {
  return {
    epochs: 1,
    batchSize: 128,
    lr: 1e-3,
    seed: 0,
    threads: physicalCores(),
    blur: 1e-6,
    labelSmoothing: 0,
    augment: true,
    dataset: 'mnist',
    validationSize: 6000,
    precision: 'fp32',
    channelsLast: true,
    convAlgorithm: 'auto',
    evalBatchSize: 250,
    trainLossImages: 6000,
  };
}

/** A setting with an invalid value; the message names the setting and the valid range. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

function requireInteger(name: string, value: unknown, min: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new ConfigError(`${name} must be an integer of at least ${min}, got ${String(value)}`);
  }
}

function requireUnitInterval(name: string, value: unknown): void {
  if (typeof value !== 'number' || !(value >= 0 && value < 1)) {
    throw new ConfigError(`${name} must be a number in [0, 1), got ${String(value)}`);
  }
}

function validateTargetOptions(config: TrainConfig): void {
  const { classWeights, ignoreIndex, isbeReduction } = config;
  if (classWeights !== undefined) {
    const valid =
      Array.isArray(classWeights) &&
      classWeights.every((w) => typeof w === 'number' && Number.isFinite(w) && w >= 0) &&
      classWeights.some((w) => w > 0);
    if (!valid) {
      throw new ConfigError(
        'class weights must be non-negative numbers, at least one of them positive, ' +
          `got ${String(classWeights)}`,
      );
    }
  }
  if (ignoreIndex !== undefined && !Number.isInteger(ignoreIndex)) {
    throw new ConfigError(`ignore index must be an integer, got ${String(ignoreIndex)}`);
  }
  if (isbeReduction !== undefined && isbeReduction !== 'sum' && isbeReduction !== 'mean') {
    throw new ConfigError(`ISBE reduction must be sum or mean, got ${String(isbeReduction)}`);
  }
}

/** Throws a ConfigError for the first invalid setting. */
export function validateConfig(config: TrainConfig): void {
  requireInteger('epochs', config.epochs, 1);
  requireInteger('batch size', config.batchSize, 1);
  requireInteger('evaluation batch size', config.evalBatchSize, 1);
  requireInteger('threads', config.threads, 1);
  requireInteger('seed', config.seed, 0);
  requireInteger('validation size', config.validationSize, 1);
  requireInteger('train loss images', config.trainLossImages, 0);
  if (config.limit !== undefined) requireInteger('limit', config.limit, 1);
  if (config.testLimit !== undefined) requireInteger('test limit', config.testLimit, 1);
  if (typeof config.lr !== 'number' || !(config.lr > 0 && config.lr < 10)) {
    throw new ConfigError(`learning rate must be a number in (0, 10), got ${String(config.lr)}`);
  }
  requireUnitInterval('blur (μ)', config.blur);
  requireUnitInterval('label smoothing', config.labelSmoothing);
  validateTargetOptions(config);
  if (!datasetNames.includes(config.dataset)) {
    throw new ConfigError(
      `dataset must be one of ${datasetNames.join(', ')}, got ${config.dataset}`,
    );
  }
  if (config.convAlgorithm !== undefined && !['auto', 'direct'].includes(config.convAlgorithm)) {
    throw new ConfigError(
      `convolution algorithm must be auto or direct, got ${String(config.convAlgorithm)}`,
    );
  }
  if (config.precision !== 'fp32' && config.precision !== 'bf16') {
    throw new ConfigError(`precision must be fp32 or bf16, got ${String(config.precision)}`);
  }
}
