/** Command-line options shared by the commands that train, and their conversion to a config. */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';

import { builtinHeadNames } from '../heads/names.js';
import { UsageError } from './errors.js';
import {
  datasetNames,
  defaultConfig,
  type DatasetName,
  type Precision,
  type TrainConfig,
} from '../train/config.js';

/**
 * Parses an integer of at least `min`, for commander, which reports a failure as
 * "option '--x <n>' argument 'v' is invalid." followed by the message.
 */
export function integerAtLeast(min: number) {
  return (text: string): number => {
    const value = Number(text);
    if (text.trim() === '' || !Number.isInteger(value) || value < min) {
      throw new InvalidArgumentError(`It must be an integer of at least ${min}.`);
    }
    return value;
  };
}

/** Parses an integer in [min, max], for commander. */
export function integerIn(min: number, max: number) {
  return (text: string): number => {
    const value = Number(text);
    if (text.trim() === '' || !Number.isInteger(value) || value < min || value > max) {
      throw new InvalidArgumentError(`It must be an integer in [${min}, ${max}].`);
    }
    return value;
  };
}

/** Parses a name for a run folder: not empty, and a single path component. */
export function folderName(text: string): string {
  if (text.trim() === '' || /[/\\\0]/.test(text) || text === '.' || text === '..') {
    throw new InvalidArgumentError('It must be a non-empty folder name without slashes.');
  }
  return text;
}

/** Largest seed: the generator, like PyTorch's mt19937, keeps only 32 bits of a seed. */
export const maxSeed = 2 ** 32 - 1;

/** Parses a number in the interval [min, max) or (min, max), for commander. */
export function numberIn(min: number, max: number, includeMin: boolean) {
  return (text: string): number => {
    const value = Number(text);
    const aboveMin = includeMin ? value >= min : value > min;
    if (text.trim() === '' || !Number.isFinite(value) || !aboveMin || !(value < max)) {
      const interval = `${includeMin ? '[' : '('}${min}, ${max})`;
      throw new InvalidArgumentError(`It must be a number in ${interval}.`);
    }
    return value;
  };
}

/** Parses an integer of any sign, for commander. */
export function anyInteger(text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isSafeInteger(value)) {
    throw new InvalidArgumentError('It must be an integer.');
  }
  return value;
}

/** Parses comma-separated class weights, each a non-negative number, for commander. */
export function classWeightList(text: string): number[] {
  const weights = list(text).map(Number);
  if (weights.length === 0 || weights.some((w) => !Number.isFinite(w) || w < 0)) {
    throw new InvalidArgumentError(
      'It must be comma-separated non-negative numbers, one per class.',
    );
  }
  return weights;
}

/** Parses a comma-separated list, for commander. */
export function list(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

/** Every head name, without loading libtorch. */
export function knownHeads(): string[] {
  return builtinHeadNames();
}

/** Adds the options every training command takes, each with its default. */
export function addTrainingOptions(command: Command): Command {
  const defaults = defaultConfig();
  return command
    .option('--batch-size <n>', 'training batch size', integerAtLeast(1), defaults.batchSize)
    .option('--lr <rate>', "Adam's learning rate", numberIn(0, 10, false), defaults.lr)
    .option(
      '--threads <n>',
      'libtorch threads; the default is the number of physical cores',
      integerAtLeast(1),
      defaults.threads,
    )
    .option(
      '--blur <mu>',
      'μ of the blurred one-hot targets of ISBE heads, in [0, 1)',
      numberIn(0, 1, true),
      defaults.blur,
    )
    .option(
      '--label-smoothing <epsilon>',
      'label smoothing ε for every head, in [0, 1)',
      numberIn(0, 1, true),
      defaults.labelSmoothing,
    )
    .option(
      '--class-weights <list>',
      'weight of each class, w0,...,wK-1, for every head, as CrossEntropyLoss weighs ' +
        'classes (default: none)',
      classWeightList,
    )
    .option(
      '--ignore-index <label>',
      'leave images of this label out of the loss, the ISBE error and the mean (default: none)',
      anyInteger,
    )
    .addOption(
      new Option(
        '--isbe-reduction <kind>',
        "gradient scale of ISBE heads: sum sends f(X) - Y°, mean divides it as CE's mean does",
      )
        .choices(['sum', 'mean'])
        .default('sum'),
    )
    .option(
      '--no-augment',
      'turn off the random rotation (±10°) and shift (±2 px) of training images',
    )
    .addOption(
      new Option('--dataset <name>', 'bundled data set to train on')
        .choices(datasetNames)
        .default(defaults.dataset),
    )
    .option('--data <dir>', 'folder with the four MNIST-format IDX files, instead of --dataset')
    .option('--limit <n>', 'train on the first n training images only', integerAtLeast(1))
    .option('--test-limit <n>', 'evaluate on the first n test images only', integerAtLeast(1))
    .option(
      '--validation-size <n>',
      'training images held out for validation (the last ones)',
      integerAtLeast(1),
      defaults.validationSize,
    )
    .addOption(
      new Option(
        '--precision <kind>',
        'arithmetic of the forward pass; bf16 pays off on CPUs with AVX-512 BF16 or AMX, ' +
          'after the first batches, in which oneDNN generates its kernels; with ' +
          '--conv-algorithm auto, a first layer on one-channel images stays fp32',
      )
        .choices(['fp32', 'bf16'])
        .default(defaults.precision),
    )
    .option('--no-channels-last', 'keep the NCHW memory format instead of channels_last')
    .addOption(
      new Option(
        '--conv-algorithm <kind>',
        'auto lets 3×3 stride-1 convolutions on small maps use Winograd and computes ' +
          'convolutions of one-channel images directly (results differ by rounding); ' +
          'direct computes every convolution as PyTorch does',
      )
        .choices(['auto', 'direct'])
        .default(defaults.convAlgorithm),
    )
    .option(
      '--eval-batch-size <n>',
      'batch size of evaluation',
      integerAtLeast(1),
      defaults.evalBatchSize,
    )
    .option(
      '--train-loss-images <n>',
      'training images whose loss is reported each epoch (0 for none)',
      integerAtLeast(0),
      defaults.trainLossImages,
    )
    .option('--runs-dir <dir>', 'folder that receives the run folder', 'runs');
}

/** Parsed values of the shared training options. */
export interface TrainingOptionValues {
  batchSize: number;
  lr: number;
  threads: number;
  blur: number;
  labelSmoothing: number;
  augment: boolean;
  dataset: DatasetName;
  data?: string;
  limit?: number;
  testLimit?: number;
  validationSize: number;
  precision: Precision;
  channelsLast: boolean;
  convAlgorithm: 'auto' | 'direct';
  evalBatchSize: number;
  trainLossImages: number;
  classWeights?: number[];
  ignoreIndex?: number;
  isbeReduction: 'sum' | 'mean';
  runsDir: string;
}

/** The training settings of the options, without network, head, seed and epochs. */
export function baseConfig(
  values: TrainingOptionValues,
  epochs: number,
): Omit<TrainConfig, 'net' | 'head' | 'seed'> {
  if (values.data !== undefined && values.dataset !== 'mnist') {
    throw new UsageError(
      `--data reads MNIST-format IDX files in place of a bundled data set; drop --dataset ` +
        `${values.dataset} or --data`,
    );
  }
  const cpus = availableParallelism();
  if (values.threads > cpus) {
    process.emitWarning(
      `--threads ${values.threads} is more than the ${cpus} CPUs of this machine, which ` +
        'slows training down; use at most the number of physical cores',
    );
  }
  return {
    epochs,
    batchSize: values.batchSize,
    lr: values.lr,
    threads: values.threads,
    blur: values.blur,
    labelSmoothing: values.labelSmoothing,
    augment: values.augment,
    dataset: values.dataset,
    dataDir: values.data === undefined ? undefined : resolve(values.data),
    limit: values.limit,
    testLimit: values.testLimit,
    validationSize: values.validationSize,
    precision: values.precision,
    channelsLast: values.channelsLast,
    convAlgorithm: values.convAlgorithm,
    evalBatchSize: values.evalBatchSize,
    trainLossImages: values.trainLossImages,
    classWeights: values.classWeights,
    ignoreIndex: values.ignoreIndex,
    isbeReduction: values.isbeReduction,
  };
}

/**
 * Rejects settings given on the command line together with --resume, because a resumed
 * run or grid keeps the settings it started with. Options in `allowed` set how to run,
 * not what to train, and may be given.
 */
export function rejectOptionsWithResume(
  cmd: Command,
  noun: 'run' | 'grid',
  allowed: readonly string[] = [],
): void {
  const fromCommandLine = cmd.options
    .map((option) => option.attributeName())
    .filter((name) => name !== 'resume' && !allowed.includes(name))
    .filter((name) => cmd.getOptionValueSource(name) === 'cli');
  if (fromCommandLine.length > 0) {
    const flags = fromCommandLine.map(
      (name) => `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`,
    );
    throw new UsageError(
      `--resume continues a ${noun} with the settings it started with; drop ${flags.join(', ')}`,
    );
  }
}
