/** Network specs, the paper's networks and the builder. */
export * from './spec.js';
export * from './networks.js';
export * from './build.js';
