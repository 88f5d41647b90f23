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
