/** Layers, the Module base and functional ops, as torch.nn. */
export { Module, type StateDict } from './module.js';
export * from './layers.js';
export * as functional from './functional.js';
export { defaultWeight, defaultBias } from './init.js';
