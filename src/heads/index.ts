/** Cross-entropy and ISBE heads, soft functions and targets. */
export * from './heads.js';
export * from './soft.js';
export * from './targets.js';
export { builtinHeadNames, builtinSoftNames } from './names.js';
