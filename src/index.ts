/** isbe: train classifiers with ISBE heads or cross-entropy on libtorch. */
export { Tensor, type Operand, type ValuesIndices } from './tensor/tensor.js';
export type { Dtype } from './tensor/dtype.js';
export { isFloatingDtype } from './tensor/dtype.js';
export * from './tensor/creation.js';
export { Generator } from './tensor/random.js';
export { tidy, scopeDepth } from './tensor/scope.js';
export { noGrad, enableGrad, inferenceMode, isGradEnabled, autocast } from './tensor/autograd.js';
export * from './tensor/runtime.js';
export { TorchError, DisposedTensorError, AddonLoadError } from './tensor/errors.js';
export type { MemoryFormat, Reduction } from './native/addon.js';
export * as nn from './nn/index.js';
export * as optim from './optim/index.js';
export * from './heads/index.js';
export * from './models/index.js';
export { loadData } from './data/load.js';
export { loadIdxData, bundledMnistDir } from './data/mnist.js';
export { readIdx, parseIdx, IdxFormatError } from './data/idx.js';
export { DataError } from './data/split.js';
export type { DataSplits, ImageSet } from './data/dataset.js';
export { shuffledBatches, orderedBatches, batchCount, type Batch } from './data/batches.js';
export { augmentBatch, moderateAugmentation } from './data/augment.js';
export {
  Trainer,
  DivergenceError,
  type TrainCallbacks,
  type TrainResult,
} from './train/trainer.js';
export { runTraining } from './train/run.js';
export { defaultConfig, validateConfig, ConfigError, type TrainConfig } from './train/config.js';
export type { EpochMetrics, RunSummary } from './train/metrics.js';
export { evaluate } from './train/evaluate.js';
export { loadSafetensors, saveSafetensors } from './io/safetensors.js';
