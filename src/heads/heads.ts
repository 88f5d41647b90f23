/**
 * Heads turn a network's raw scores X [N, K] into a training signal. A cross-entropy head
 * builds the loss graph and backpropagates it. An ISBE head computes the soft error
 * f(X) − Y° outside autograd and sends it straight back with scores.backward(error).
 */
import { native } from '../native/load.js';
import type { Reduction } from '../nn/functional.js';
import { crossEntropy } from '../nn/functional.js';
import { noGrad } from '../tensor/autograd.js';
import { ones } from '../tensor/creation.js';
import { tidy } from '../tensor/scope.js';
import { Tensor } from '../tensor/tensor.js';
import { typeName } from '../util/type-name.js';
import { crossEntropyHeadNames } from './names.js';
import { getSoftFunction, softFunctionNames, type SoftFunction } from './soft.js';
import { checkTargetOptions, labelTargets, mapToRange, type TargetOptions } from './targets.js';

/** Options shared by every head. */
export interface HeadOptions extends TargetOptions {
  /** Weight of each class, float32 [K], with PyTorch's CrossEntropyLoss semantics. */
  classWeights?: Tensor;
  /** Label whose rows are left out of the loss, the error and the mean's denominator. */
  ignoreIndex?: number;
}

// Checks the options shared by every head when the head is built, before any training.
function checkHeadOptions(head: string, options: HeadOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`${head}: options must be an object, got ${String(options)}`);
  }
  checkTargetOptions({ blur: options.blur, labelSmoothing: options.labelSmoothing });
  const { ignoreIndex } = options;
  if (ignoreIndex !== undefined && !Number.isInteger(ignoreIndex)) {
    throw new RangeError(
      `${head}: ignoreIndex must be an integer label, got ${String(ignoreIndex)}`,
    );
  }
}

/** Options of ISBE heads. */
export interface IsbeHeadOptions extends HeadOptions {
  /**
   * Gradient scale: 'sum' sends f(X) − Y° itself (the ISBE unit, and the gradient of
   * sum-reduced cross-entropy for softmax); 'mean' divides it by the denominator that
   * CrossEntropyLoss's mean uses (N, or the summed weights of the target classes).
   */
  reduction?: 'sum' | 'mean';
}

/** The forward half of one training step, ready for backward. */
export interface HeadStep {
  /** Sum over the batch of the head's training loss (read back from native memory). */
  lossSum(): number;
  /** Backpropagates into the network that produced the scores. */
  backward(): void;
}

/** A training head: cross-entropy or ISBE. */
export interface Head {
  /** Name as used on the command line, for example "ce-mean" or "isbe-sigmoid". */
  readonly name: string;
  readonly kind: 'ce' | 'isbe';
  /** What lossSum() measures. */
  readonly lossName: string;
  /**
   * Runs the head's part of the forward pass on scores [N, K] and a target: int64 labels
   * [N], or probability rows [N, K].
   */
  forward(scores: Tensor, target: Tensor): HeadStep;
  /** Sum over the batch of the validation loss, outside autograd. */
  lossSum(scores: Tensor, target: Tensor): number;
  /**
   * Sum over the batch of the matching loss, the convex loss whose gradient with respect
   * to the scores is the error the head sends back (the loss itself for cross-entropy
   * heads); null when there is none. Outside autograd.
   */
  matchingLossSum(scores: Tensor, target: Tensor): number | null;
  /** Soft scores for inference: softmax for cross-entropy heads, f for ISBE heads. */
  softScores(scores: Tensor): Tensor;
}

/** The ISBE unit's output for one batch. */
export interface SoftError {
  /** Y = f(X), [N, K]. */
  soft: Tensor;
  /** The gradient sent into the network: f(X) − Y°, weighted and scaled by the options. */
  error: Tensor;
  /** ‖f(X) − Y°‖² summed over the batch's rows that are not ignored. */
  squaredErrorSum: number;
}

let softmaxTwiceWarned = false;

// Scores that are already probabilities make softmax act on probabilities, which flattens
// them towards uniform; the usual cause is a softmax layer at the end of the network.
function warnIfProbabilities(scores: Tensor, headName: string): void {
  if (softmaxTwiceWarned) return;
  const looksLikeProbabilities = noGrad(() =>
    tidy(() => {
      const inRange = scores.ge(0).all().item() === 1 && scores.le(1).all().item() === 1;
      if (!inRange) return false;
      return scores.sum(1).sub(1).abs().max().item() < 1e-4;
    }),
  );
  if (!looksLikeProbabilities) return;
  softmaxTwiceWarned = true;
  process.emitWarning(
    `${headName}: every score row lies in [0, 1] and sums to 1, so the scores look like ` +
      'probabilities already and softmax is applied twice; remove the softmax at the end of ' +
      'the network and pass raw scores',
    { code: 'ISBE_SOFTMAX_TWICE' },
  );
}

function isLabels(target: Tensor): boolean {
  return target.ndim === 1;
}

function checkTarget(headName: string, scores: unknown, target: unknown): void {
  for (const [name, value] of [
    ['scores', scores],
    ['target', target],
  ] as const) {
    if (!(value instanceof Tensor)) {
      throw new TypeError(`${headName}: ${name} must be a Tensor, got ${typeName(value)}`);
    }
  }
  checkShapes(headName, scores as Tensor, target as Tensor);
}

function checkShapes(headName: string, scores: Tensor, target: Tensor): void {
  if (scores.ndim !== 2) {
    throw new RangeError(`${headName}: scores must have shape [N, K], got [${scores.shape}]`);
  }
  const [n, k] = scores.shape as [number, number];
  const labelsOk = target.ndim === 1 && target.shape[0] === n && target.dtype === 'int64';
  const rowsOk = target.ndim === 2 && target.shape[0] === n && target.shape[1] === k;
  if (!labelsOk && !rowsOk) {
    throw new RangeError(
      `${headName}: target must be int64 labels [${n}] or probability rows [${n}, ${k}], ` +
        `got ${target.dtype} [${target.shape}]`,
    );
  }
}

function checkClassWeights(headName: string, classWeights: Tensor | undefined, k: number): void {
  if (classWeights === undefined) return;
  if (!(classWeights instanceof Tensor)) {
    throw new TypeError(
      `${headName}: class weights must be a float Tensor of shape [${k}], got ` +
        `${String(classWeights)}; wrap an array with tensor(Float32Array.from(weights))`,
    );
  }
  if (classWeights.ndim !== 1 || classWeights.shape[0] !== k) {
    throw new RangeError(
      `${headName}: class weights must have shape [${k}], one per class, ` +
        `got [${classWeights.shape}]`,
    );
  }
  const weights = classWeights.toArray();
  const invalid = weights.findIndex((weight) => !(weight >= 0 && weight < Infinity));
  if (invalid !== -1) {
    throw new RangeError(
      `${headName}: class weights must be finite and not negative, got ${weights[invalid]} ` +
        `for class ${invalid}`,
    );
  }
}

/**
 * The denominator of CrossEntropyLoss's mean: the summed weights of the target classes of
 * the rows that are not ignored (their count without weights), or N for probability rows.
 */
function meanDenominator(
  headName: string,
  target: Tensor,
  options: Pick<HeadOptions, 'classWeights' | 'ignoreIndex'>,
): number {
  const { classWeights, ignoreIndex } = options;
  const rows = target.shape[0] as number;
  if (!isLabels(target)) return rows;
  const denominator = noGrad(() =>
    tidy(() => {
      const keep = ignoreIndex === undefined ? ones([rows]) : target.ne(ignoreIndex).to('float64');
      if (classWeights === undefined) return keep.sum().item();
      const numClasses = classWeights.shape[0] as number;
      const weights = classWeights.indexSelect(0, target.clamp(0, numClasses - 1));
      return weights.to('float64').mul(keep).sum().item();
    }),
  );
  if (!(denominator > 0)) {
    throw new RangeError(`${headName}: every row of the batch is ignored or has weight 0`);
  }
  return denominator;
}

/** Cross-entropy on raw scores, as torch.nn.CrossEntropyLoss with a reduction. */
export class CrossEntropyHead implements Head {
  readonly kind = 'ce' as const;
  readonly lossName = 'cross-entropy';
  readonly name: string;

  constructor(
    readonly reduction: Reduction,
    readonly options: HeadOptions = {},
  ) {
    if (!['none', 'mean', 'sum'].includes(reduction)) {
      throw new RangeError(
        `unknown cross-entropy reduction ${JSON.stringify(reduction)}; expected none, mean or sum`,
      );
    }
    this.name = `ce-${reduction}`;
    checkHeadOptions(this.name, options);
    if (options.blur !== undefined) {
      throw new RangeError('blur applies to ISBE heads; use labelSmoothing for cross-entropy');
    }
  }

  forward(scores: Tensor, target: Tensor): HeadStep {
    checkTarget(this.name, scores, target);
    checkClassWeights(this.name, this.options.classWeights, scores.shape[1] as number);
    warnIfProbabilities(scores, this.name);
    const loss = this.#loss(scores, target, this.reduction);
    const { classWeights, ignoreIndex } = this.options;
    const weighted = classWeights !== undefined || ignoreIndex !== undefined;
    return {
      backward: () => {
        if (this.reduction !== 'none') return loss.backward();
        const gradient = ones(loss.shape);
        loss.backward(gradient);
        gradient.dispose();
      },
      // The mean divides by the summed target weights, which is N without weights or
      // ignored rows; multiplying by that denominator recovers the sum.
      lossSum: () => {
        if (this.reduction !== 'mean') return tidy(() => loss.detach().sum().item());
        const denominator = weighted
          ? meanDenominator(this.name, target, this.options)
          : (scores.shape[0] as number);
        return loss.item() * denominator;
      },
    };
  }

  lossSum(scores: Tensor, target: Tensor): number {
    checkTarget(this.name, scores, target);
    checkClassWeights(this.name, this.options.classWeights, scores.shape[1] as number);
    return noGrad(() => tidy(() => this.#loss(scores, target, 'sum').item()));
  }

  matchingLossSum(scores: Tensor, target: Tensor): number {
    return this.lossSum(scores, target);
  }

  softScores(scores: Tensor): Tensor {
    return noGrad(() => scores.softmax(1));
  }

  // The loss is computed in float32 also for bfloat16 or float16 scores (from autocast),
  // whose 8 or 11 significant bits would round a summed loss to a few digits.
  #loss(scores: Tensor, target: Tensor, reduction: Reduction): Tensor {
    const { classWeights, ignoreIndex, labelSmoothing } = this.options;
    const narrow = scores.dtype === 'bfloat16' || scores.dtype === 'float16';
    const input = narrow ? scores.to('float32') : scores;
    try {
      return crossEntropy(input, target, {
        reduction,
        weight: classWeights,
        ignoreIndex,
        labelSmoothing,
      });
    } finally {
      if (narrow) input.dispose();
    }
  }
}

/**
 * The ISBE unit: Y = f(X) forward, Y − Y° straight back as the gradient of X.
 *
 * Targets are int64 labels [N] or probability rows [N, K] in [0, 1]. With softmax, whose
 * outputs always sum to 1, a row that does not sum to 1 (within 1e−4) is rejected with a
 * RangeError naming the row, because its error could never reach zero. With softmax,
 * scores whose rows already look like probabilities raise the ISBE_SOFTMAX_TWICE process
 * warning, once per process.
 */
export class IsbeHead implements Head {
  readonly kind = 'isbe' as const;
  readonly lossName = 'squared error of soft scores';
  readonly name: string;
  readonly soft: SoftFunction;

  constructor(
    soft: SoftFunction | string,
    readonly options: IsbeHeadOptions = {},
  ) {
    if (typeof soft !== 'string' && typeof soft?.apply !== 'function') {
      throw new TypeError(
        `IsbeHead takes a soft function name (${softFunctionNames().join(', ')}) or a ` +
          `SoftFunction, got ${typeName(soft)}`,
      );
    }
    this.soft = typeof soft === 'string' ? getSoftFunction(soft) : soft;
    this.name = `isbe-${this.soft.name}`;
    checkHeadOptions(this.name, options);
    const { reduction } = options;
    if (reduction !== undefined && reduction !== 'sum' && reduction !== 'mean') {
      throw new RangeError(`${this.name}: reduction must be 'sum' or 'mean', got '${reduction}'`);
    }
  }

  /**
   * Computes Y = f(X) and the error f(X) − Y° without recording a graph. The paper's
   * training step is: scores.backward(head.error(scores, labels).error).
   */
  error(scores: Tensor, target: Tensor): SoftError {
    checkTarget(this.name, scores, target);
    checkClassWeights(this.name, this.options.classWeights, scores.shape[1] as number);
    const rows = tidy(() => this.targetRows(scores, target));
    const base = this.#softError(scores, rows);
    if (!this.#needsWeighting(target)) {
      rows.dispose();
      return base;
    }
    const weighted = noGrad(() =>
      tidy(() => {
        const keep = this.#keptRows(target);
        const error = this.#weightedError(base, rows, target, keep);
        const squaredErrorSum =
          keep === undefined
            ? base.squaredErrorSum
            : base.error.square().sum(1).mul(keep).sum().item();
        return { error, squaredErrorSum };
      }),
    );
    base.error.dispose();
    rows.dispose();
    return { soft: base.soft, ...weighted };
  }

  forward(scores: Tensor, target: Tensor): HeadStep {
    if (this.soft.name === 'softmax') warnIfProbabilities(scores, this.name);
    const { soft, error, squaredErrorSum } = this.error(scores, target);
    soft.dispose();
    return {
      backward: () => scores.backward(error),
      lossSum: () => squaredErrorSum,
    };
  }

  lossSum(scores: Tensor, target: Tensor): number {
    const { soft, error, squaredErrorSum } = this.error(scores, target);
    soft.dispose();
    error.dispose();
    return squaredErrorSum;
  }

  /**
   * The matching loss as a scalar that autograd can differentiate: its gradient with
   * respect to the scores equals error(scores, target).error, with the same class weights,
   * ignored rows and reduction. Null when f has no matching loss, or none with class
   * weights (normalize).
   */
  matchingLoss(scores: Tensor, target: Tensor): Tensor | null {
    return this.#matchingLoss(scores, target, this.options.reduction ?? 'sum');
  }

  matchingLossSum(scores: Tensor, target: Tensor): number | null {
    return noGrad(() =>
      tidy(() => this.#matchingLoss(scores.detach(), target, 'sum')?.item() ?? null),
    );
  }

  softScores(scores: Tensor): Tensor {
    return noGrad(() => this.soft.apply(scores.detach()));
  }

  /**
   * Target rows Y° [N, K] in the soft function's range. Labels become blurred or smoothed
   * one-hot rows. Probability rows q are used as given, or become (1 − ε) q + ε / K with
   * label smoothing ε, as CrossEntropyLoss smooths them; blur applies to labels only.
   */
  targetRows(scores: Tensor, target: Tensor): Tensor {
    const numClasses = scores.shape[1] as number;
    const dtype = scores.dtype === 'float64' ? 'float64' : 'float32';
    if (!isLabels(target)) {
      this.#checkProbabilities(target);
      const epsilon = this.options.labelSmoothing ?? 0;
      if (epsilon === 0) return mapToRange(target, this.soft.range, dtype);
      return tidy(() => {
        const smoothed = target
          .to(dtype)
          .mul(1 - epsilon)
          .add(epsilon / numClasses);
        return mapToRange(smoothed, this.soft.range, dtype);
      });
    }
    const { ignoreIndex } = this.options;
    const labels = ignoreIndex === undefined ? target : target.clamp(0, numClasses - 1);
    this.#checkLabels(target, numClasses);
    return labelTargets(labels, numClasses, this.soft.range, this.options, dtype);
  }

  #matchingLoss(scores: Tensor, target: Tensor, reduction: 'sum' | 'mean'): Tensor | null {
    const { matchingLoss } = this.soft;
    const { classWeights } = this.options;
    if (matchingLoss === undefined) return null;
    if (classWeights !== undefined && this.soft.name === 'normalize') return null;
    checkTarget(this.name, scores, target);
    checkClassWeights(this.name, classWeights, scores.shape[1] as number);
    return tidy(() => {
      const rows = noGrad(() => this.targetRows(scores, target));
      const weights = classWeights?.to(scores.dtype);
      let losses = matchingLoss(scores, rows, weights);
      const keep = this.#keptRows(target);
      if (keep !== undefined) losses = losses.mul(keep);
      const total = losses.sum();
      if (reduction === 'sum') return total;
      return total.div(meanDenominator(this.name, target, this.options));
    });
  }

  #softError(scores: Tensor, rows: Tensor): SoftError {
    const { kernel } = this.soft;
    if (kernel !== undefined && (scores.dtype === 'float32' || scores.dtype === 'float64')) {
      const [soft, error, squared] = native.isbeError(scores.handle, rows.handle, kernel);
      return { soft: new Tensor(soft), error: new Tensor(error), squaredErrorSum: squared };
    }
    return noGrad(() => {
      const soft = this.soft.apply(scores.detach());
      const error = soft.sub(rows);
      const squaredErrorSum = tidy(() => error.square().sum().item());
      return { soft, error, squaredErrorSum };
    });
  }

  #needsWeighting(target: Tensor): boolean {
    const { classWeights, ignoreIndex, reduction = 'sum' } = this.options;
    const ignoring = ignoreIndex !== undefined && isLabels(target);
    return classWeights !== undefined || ignoring || reduction === 'mean';
  }

  // Class weights scale the error as they scale the gradient of the loss that f matches:
  // softmax gets CrossEntropyLoss's (w·y°) f(x) − w ⊙ y°, elementwise functions get
  // BCEWithLogitsLoss's per-class w ⊙ (f(x) − y°). Ignored rows get a zero error.
  #weightedError(base: SoftError, rows: Tensor, target: Tensor, keep?: Tensor): Tensor {
    const { classWeights, reduction = 'sum' } = this.options;
    let error = base.error;
    if (classWeights !== undefined) {
      const probabilities = this.soft.range === 'symmetric' ? rows.add(1).mul(0.5) : rows;
      if (this.soft.name === 'softmax') {
        const rowWeight = probabilities.mul(classWeights).sum(1, true);
        error = base.soft.mul(rowWeight).sub(probabilities.mul(classWeights));
      } else {
        error = error.mul(classWeights);
      }
    }
    if (keep !== undefined) error = error.mul(keep.unsqueeze(1));
    if (reduction === 'mean') error = error.div(meanDenominator(this.name, target, this.options));
    return error === base.error ? error.clone() : error;
  }

  #keptRows(target: Tensor): Tensor | undefined {
    const { ignoreIndex } = this.options;
    if (ignoreIndex === undefined || !isLabels(target)) return undefined;
    return target.ne(ignoreIndex).to('float32');
  }

  #checkLabels(labels: Tensor, numClasses: number): void {
    const { ignoreIndex } = this.options;
    tidy(() => {
      const valid = labels.ge(0).mul(labels.lt(numClasses));
      const allowed = ignoreIndex === undefined ? valid : valid.add(labels.eq(ignoreIndex));
      if (allowed.all().item() !== 1) {
        const bad = labels.toArray().find((v) => (v < 0 || v >= numClasses) && v !== ignoreIndex);
        throw new RangeError(`${this.name}: label ${bad} is outside [0, ${numClasses})`);
      }
    });
  }

  // Softmax outputs sum to 1, so a target row that does not would leave an error that can
  // never reach zero; such rows are rejected. Elementwise functions accept any rows in
  // [0, 1], which covers multi-label targets.
  #checkProbabilities(target: Tensor): void {
    tidy(() => {
      if (!target.dtype.startsWith('float')) {
        throw new RangeError(`${this.name}: probability rows must be floating point`);
      }
      const inRange = target.ge(0).all().item() === 1 && target.le(1).all().item() === 1;
      if (!inRange) throw new RangeError(`${this.name}: probability rows must lie in [0, 1]`);
      if (this.soft.name !== 'softmax') return;
      const deviation = target.sum(1).sub(1).abs();
      const worst = deviation.max(0);
      if (worst.values.item() > 1e-4) {
        const row = worst.indices.item();
        const total = target.select(0, row).sum().item();
        throw new RangeError(
          `${this.name}: probability row ${row} sums to ${total.toPrecision(6)}, not 1; ` +
            'softmax outputs sum to 1, so normalise each row, or use an elementwise head ' +
            'such as isbe-sigmoid for multi-label targets',
        );
      }
    });
  }
}

export { crossEntropyHeadNames };

/** Every head name: the three cross-entropy reductions and isbe-<f> for each soft function. */
export function headNames(): string[] {
  return [...crossEntropyHeadNames, ...softFunctionNames().map((name) => `isbe-${name}`)];
}

/** Creates a head from its name, for example "ce-sum" or "isbe-tanh". */
export function createHead(name: string, options: IsbeHeadOptions = {}): Head {
  if (typeof name !== 'string') {
    throw new TypeError(
      `createHead takes a head name such as 'isbe-softmax', got ${typeName(name)}; known heads: ` +
        headNames().join(', '),
    );
  }
  const reductions: Record<string, Reduction> = {
    'ce-none': 'none',
    'ce-mean': 'mean',
    'ce-sum': 'sum',
  };
  const reduction = reductions[name];
  if (reduction !== undefined) {
    if (options.reduction !== undefined) {
      throw new RangeError(`${name}: the reduction is part of the head's name`);
    }
    return new CrossEntropyHead(reduction, options);
  }
  if (name.startsWith('isbe-') && softFunctionNames().includes(name.slice(5))) {
    return new IsbeHead(name.slice(5), options);
  }
  throw new RangeError(`unknown head '${name}'; known heads: ${headNames().join(', ')}`);
}
