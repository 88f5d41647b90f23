/**
 * Soft functions f that turn raw scores X [N, K] into soft scores Y = f(X), and their
 * registry. Built-in functions are computed by a fused native kernel; user functions
 * registered with registerSoftFunction() run as ordinary tensor ops.
 */
import type { Tensor } from '../tensor/tensor.js';

/** Output range of a soft function: (0, 1) targets are one-hot, (−1, 1) targets 2e − 1. */
export type SoftRange = 'unit' | 'symmetric';

/** A soft function f applied row-wise to raw scores [N, K]. */
export interface SoftFunction {
  /** Name used in head names: isbe-<name>. */
  readonly name: string;
  /** Output range, which decides how one-hot targets are mapped. */
  readonly range: SoftRange;
  /** One-line definition for help text and reports. */
  readonly formula: string;
  /** Whether f acts on each score alone and is non-decreasing (then a matching loss exists). */
  readonly elementwise: boolean;
  /** Computes f(scores); called outside autograd. */
  apply(scores: Tensor): Tensor;
  /** Name of the native fused kernel, for the built-in functions. */
  readonly kernel?: string;
}

const registry = new Map<string, SoftFunction>();

function builtin(
  name: string,
  range: SoftRange,
  formula: string,
  elementwise: boolean,
  apply: (x: Tensor) => Tensor,
): void {
  registry.set(name, { name, range, formula, elementwise, apply, kernel: name });
}

builtin('softmax', 'unit', 'exp(x_i) / Σ_j exp(x_j)', false, (x) => x.softmax(1));
builtin('sigmoid', 'unit', '1 / (1 + exp(−x))', true, (x) => x.sigmoid());
builtin('tanh', 'symmetric', 'tanh(x)', true, (x) => x.tanh());
builtin('hardtanh', 'symmetric', 'min(1, max(−1, x))', true, (x) => x.hardtanh());
builtin('hardsigmoid', 'unit', 'relu6(x + 3) / 6, PyTorch’s hardsigmoid', true, (x) =>
  x.hardsigmoid(),
);
builtin('scaled-hardtanh', 'unit', '(hardtanh(x / 2) + 1) / 2 = min(1, max(0, (x + 2) / 4))', true,
  (x) => {
    const half = x.mul(0.5);
    const clipped = half.hardtanh();
    const shifted = clipped.add(1);
    const result = shifted.mul(0.5);
    for (const t of [half, clipped, shifted]) t.dispose();
    return result;
  },
);
builtin('normalize', 'symmetric', 'x / ‖x‖₂ (a negative control, not a proper soft function)',
  false, (x) => x.normalize(1),
);

/**
 * Adds a user soft function. `apply` maps raw scores [N, K] to soft scores [N, K] and runs
 * outside autograd; `range` picks the targets: 'unit' for (0, 1), 'symmetric' for (−1, 1).
 */
export function registerSoftFunction(definition: {
  name: string;
  range: SoftRange;
  apply: (scores: Tensor) => Tensor;
  formula?: string;
  elementwise?: boolean;
}): SoftFunction {
  if (!/^[a-z][a-z0-9-]*$/.test(definition.name)) {
    throw new RangeError(
      `soft function name '${definition.name}' must be lowercase letters, digits and dashes`,
    );
  }
  if (registry.has(definition.name)) {
    throw new RangeError(`a soft function named '${definition.name}' is already registered`);
  }
  if (definition.range !== 'unit' && definition.range !== 'symmetric') {
    throw new RangeError(`soft function range must be 'unit' or 'symmetric'`);
  }
  const soft: SoftFunction = {
    name: definition.name,
    range: definition.range,
    formula: definition.formula ?? 'user-defined',
    elementwise: definition.elementwise ?? false,
    apply: definition.apply,
  };
  registry.set(soft.name, soft);
  return soft;
}

/** Looks up a soft function by name. */
export function getSoftFunction(name: string): SoftFunction {
  const soft = registry.get(name);
  if (soft === undefined) {
    throw new RangeError(
      `unknown soft function '${name}'; known: ${[...registry.keys()].join(', ')}`,
    );
  }
  return soft;
}

/** Names of every registered soft function. */
export function softFunctionNames(): string[] {
  return [...registry.keys()];
}
