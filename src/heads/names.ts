/**
 * Names of the built-in heads, without loading libtorch, so the command line can list and
 * check them before any native code runs. soft.ts registers the functions themselves.
 */

/** The soft functions built into isbe, in the order soft.ts registers them. */
export const builtinSoftNames = [
  'softmax',
  'sigmoid',
  'tanh',
  'hardtanh',
  'hardsigmoid',
  'scaled-hardtanh',
  'normalize',
] as const;

/** Names of the cross-entropy heads. */
export const crossEntropyHeadNames = ['ce-none', 'ce-mean', 'ce-sum'] as const;

/** Every built-in head name: the three cross-entropy reductions and isbe-<f>. */
export function builtinHeadNames(): string[] {
  return [...crossEntropyHeadNames, ...builtinSoftNames.map((name) => `isbe-${name}`)];
}
