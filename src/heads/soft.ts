/**
 * Soft functions f that turn raw scores X [N, K] into soft scores Y = f(X), and their
 * registry. Built-in functions are computed by a fused native kernel; user functions
 * registered with registerSoftFunction() run as ordinary tensor ops.
 */
import { binaryCrossEntropyWithLogits, huberLoss } from '../nn/functional.js';
import { zerosLike } from '../tensor/creation.js';
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
  /** One-line definition of the matching loss, for reports. */
  readonly matchingLossFormula?: string;
  /**
   * The matching loss: row losses [N], differentiable by autograd, whose gradient with
   * respect to the scores is f(X) − Y°. With `classWeights` [K] the gradient is the
   * weighted error that IsbeHead sends. Absent when f is the gradient of no function.
   * NOTE: the losses leave out the term in Y° alone that would make their minimum 0, so
   * they can be negative: tanh's minimum is about −ln 2 per class for targets near ±1.
   */
  matchingLoss?(scores: Tensor, targets: Tensor, classWeights?: Tensor): Tensor;
}

const registry = new Map<string, SoftFunction>();

interface BuiltinDefinition {
  name: string;
  range: SoftRange;
  formula: string;
  elementwise: boolean;
  apply: (x: Tensor) => Tensor;
  matchingLossFormula: string;
  matchingLoss: NonNullable<SoftFunction['matchingLoss']>;
}

function builtin(definition: BuiltinDefinition): void {
  registry.set(definition.name, { ...definition, kernel: definition.name });
}

// Row losses Σ_k w_k (F(x_k) − y_k x_k) of an elementwise f whose antiderivative is F, so
// the gradient is w ⊙ (f(x) − y). Callers free the intermediates with tidy().
function elementwiseMatchingLoss(antiderivative: (x: Tensor) => Tensor) {
  return (scores: Tensor, targets: Tensor, classWeights?: Tensor): Tensor => {
    const losses = antiderivative(scores).sub(targets.mul(scores));
    return (classWeights === undefined ? losses : losses.mul(classWeights)).sum(1);
  };
}

// softplus(x) = log(1 + exp(x)), through the stable kernel of BCE with logits at target 0.
function softplus(x: Tensor): Tensor {
  return binaryCrossEntropyWithLogits(x, zerosLike(x), { reduction: 'none' });
}

// ∫ clamp((a − low) / width, 0, 1) da from −∞: 0 below low, (x − low)² / (2 width) up to
// low + width, then linear with slope 1.
function rampIntegral(x: Tensor, low: number, width: number): Tensor {
  const inside = x.clamp(low, low + width).sub(low);
  return inside
    .square()
    .div(2 * width)
    .add(x.sub(low + width).relu());
}

builtin({
  name: 'softmax',
  range: 'unit',
  formula: 'exp(x_i) / Σ_j exp(x_j)',
  elementwise: false,
  apply: (x) => x.softmax(1),
  matchingLossFormula: 'logsumexp(x) − y·x, the cross-entropy −Σ y log softmax(x) when Σ y = 1',
  // (w·y) logsumexp(x) − Σ w ⊙ y ⊙ x has the gradient (w·y) softmax(x) − w ⊙ y, which is
  // CrossEntropyLoss's gradient with class weights. x − logSoftmax(x) is logsumexp(x) in
  // every column, so column 0 gives it with softmax(x) as its gradient.
  matchingLoss: (x, y, classWeights) => {
    const weighted = classWeights === undefined ? y : y.mul(classWeights);
    const logSumExp = x.sub(x.logSoftmax(1)).select(1, 0);
    return weighted.sum(1).mul(logSumExp).sub(weighted.mul(x).sum(1));
  },
});
builtin({
  name: 'sigmoid',
  range: 'unit',
  formula: '1 / (1 + exp(−x))',
  elementwise: true,
  apply: (x) => x.sigmoid(),
  matchingLossFormula: 'softplus(x) − y·x, binary cross-entropy with logits',
  matchingLoss: elementwiseMatchingLoss(softplus),
});
builtin({
  name: 'tanh',
  range: 'symmetric',
  formula: 'tanh(x)',
  elementwise: true,
  apply: (x) => x.tanh(),
  matchingLossFormula: 'log cosh(x) − y·x',
  // log cosh(x) = softplus(2x) − x − log 2, which stays finite for large |x|
  matchingLoss: elementwiseMatchingLoss((x) => softplus(x.mul(2)).sub(x).sub(Math.LN2)),
});
builtin({
  name: 'hardtanh',
  range: 'symmetric',
  formula: 'min(1, max(−1, x))',
  elementwise: true,
  apply: (x) => x.hardtanh(),
  matchingLossFormula: 'huber(x) − y·x, with huber(x) = x²/2 for |x| ≤ 1 and |x| − 1/2 beyond',
  matchingLoss: elementwiseMatchingLoss((x) => huberLoss(x, zerosLike(x), { reduction: 'none' })),
});
builtin({
  name: 'hardsigmoid',
  range: 'unit',
  formula: 'relu6(x + 3) / 6, PyTorch’s hardsigmoid',
  elementwise: true,
  apply: (x) => x.hardsigmoid(),
  matchingLossFormula: '(x + 3)²/12 on [−3, 3], 0 below, x above; minus y·x',
  matchingLoss: elementwiseMatchingLoss((x) => rampIntegral(x, -3, 6)),
});
builtin({
  name: 'scaled-hardtanh',
  range: 'unit',
  formula: '(hardtanh(x / 2) + 1) / 2 = min(1, max(0, (x + 2) / 4))',
  elementwise: true,
  apply: (x) => {
    const half = x.mul(0.5);
    const clipped = half.hardtanh();
    const shifted = clipped.add(1);
    const result = shifted.mul(0.5);
    for (const t of [half, clipped, shifted]) t.dispose();
    return result;
  },
  matchingLossFormula: '(x + 2)²/8 on [−2, 2], 0 below, x above; minus y·x',
  matchingLoss: elementwiseMatchingLoss((x) => rampIntegral(x, -2, 4)),
});
builtin({
  name: 'normalize',
  range: 'symmetric',
  formula: 'x / ‖x‖₂ (a negative control, not a proper soft function)',
  elementwise: false,
  apply: (x) => x.normalize(1),
  matchingLossFormula: '‖x‖₂ − y·x, unbounded below when ‖y‖₂ > 1, as for the targets 2e − 1',
  // x / ‖x‖ is the gradient of ‖x‖, but w ⊙ x / ‖x‖ is the gradient of no function unless
  // every w_k is equal, so class weights have no matching loss here.
  matchingLoss: (x, y, classWeights) => {
    if (classWeights !== undefined) {
      throw new RangeError('normalize has no matching loss with class weights');
    }
    return x.norm(2, 1).sub(y.mul(x).sum(1));
  },
});

/**
 * Adds a user soft function. `apply` maps raw scores [N, K] to soft scores [N, K] and runs
 * outside autograd; `range` picks the targets: 'unit' for (0, 1), 'symmetric' for (−1, 1).
 * `matchingLoss`, when given, returns row losses [N] whose gradient is f(X) − Y°.
 */
export function registerSoftFunction(definition: {
  name: string;
  range: SoftRange;
  apply: (scores: Tensor) => Tensor;
  formula?: string;
  elementwise?: boolean;
  matchingLoss?: SoftFunction['matchingLoss'];
  matchingLossFormula?: string;
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
    matchingLoss: definition.matchingLoss,
    matchingLossFormula: definition.matchingLossFormula,
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
