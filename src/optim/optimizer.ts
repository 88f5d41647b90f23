import { native } from '../native/load.js';
import { zerosLike } from '../tensor/creation.js';
import { Tensor } from '../tensor/tensor.js';
import { typeName, valueText } from '../util/type-name.js';

/** An optimiser's state for checkpoints: counters and per-parameter tensors by name. */
export interface OptimizerState {
  scalars: Record<string, number>;
  tensors: Map<string, Tensor>;
}

/** Base of the optimisers: holds the parameters and a settable learning rate. */
export abstract class Optimizer {
  readonly params: readonly Tensor[];
  /** Learning rate used by the next step(). */
  lr: number;

  constructor(params: Iterable<Tensor>, lr: unknown) {
    if (typeof (params as Partial<Iterable<Tensor>> | null)?.[Symbol.iterator] !== 'function') {
      throw new TypeError(
        `an optimizer takes the parameters to train, such as model.parameters(), got ${typeName(params)}`,
      );
    }
    this.params = [...params];
    if (this.params.length === 0) throw new RangeError('optimizer got an empty parameter list');
    this.params.forEach(checkParameter);
    checkDistinct(this.params);
    if (typeof lr !== 'number' || !(lr > 0) || !Number.isFinite(lr)) {
      throw new RangeError(`learning rate must be a positive number, got ${valueText(lr)}`);
    }
    this.lr = lr;
  }

  /** Drops every parameter's gradient, as zero_grad(set_to_none=True). */
  zeroGrad(): void {
    native.zeroGrad(this.params.map((p) => p.handle));
  }

  /** Whether every parameter's gradient is free of NaN and infinity. */
  gradientsFinite(): boolean {
    return native.gradsFinite(this.params.map((p) => p.handle));
  }

  /** Updates the parameters in place from their gradients. */
  abstract step(): void;

  /**
   * Updates the parameters like step() and returns whether every gradient was free of
   * NaN and infinity. When one was not, the parameters may already hold its effects.
   */
  stepChecked(): boolean {
    const finite = this.gradientsFinite();
    this.step();
    return finite;
  }

  /** The state needed to resume training exactly. */
  abstract stateDict(): OptimizerState;

  /** Restores a state from stateDict(), copying the tensors. */
  abstract loadStateDict(state: OptimizerState): void;

  /** Frees the optimiser's own tensors (not the parameters). */
  abstract dispose(): void;
}

// A parameter must be a floating-point leaf tensor: autograd fills in the gradient of leaves only.
function checkParameter(param: unknown, index: number): void {
  if (!(param instanceof Tensor)) {
    const description =
      typeof param === 'object' && param !== null ? 'an object' : valueText(param);
    throw new TypeError(
      `optimizer parameter ${index} is ${description}, not a Tensor; pass model.parameters()`,
    );
  }
  if (!['float32', 'float64', 'bfloat16', 'float16'].includes(param.dtype)) {
    throw new RangeError(
      `optimizer parameter ${index} is ${param.dtype}; only floating-point tensors can be trained`,
    );
  }
  if (!param.isLeaf) {
    throw new RangeError(
      `optimizer parameter ${index} is computed from other tensors, so it gets no gradient of ` +
        'its own; pass the tensors it is computed from, or a leaf copy, t.detach().requiresGrad_()',
    );
  }
}

// The same tensor twice would be updated twice per step.
function checkDistinct(params: readonly Tensor[]): void {
  const seen = new Map<Tensor, number>();
  params.forEach((param, index) => {
    const first = seen.get(param);
    if (first !== undefined) {
      throw new RangeError(
        `optimizer parameter ${index} is the same tensor as parameter ${first}; pass each once`,
      );
    }
    seen.set(param, index);
  });
}

/** Reads the tensors `prefix.0`, `prefix.1`, ... of a state, one per parameter. */
export function stateTensors(state: OptimizerState, prefix: string, count: number): Tensor[] {
  return Array.from({ length: count }, (_, i) => {
    const tensor = state.tensors.get(`${prefix}.${i}`);
    if (tensor === undefined) throw new Error(`optimizer state is missing ${prefix}.${i}`);
    return tensor;
  });
}

/** Names the tensors of one kind of state per parameter: `prefix.0`, `prefix.1`, ... */
export function nameTensors(prefix: string, tensors: readonly Tensor[]): [string, Tensor][] {
  return tensors.map((tensor, i) => [`${prefix}.${i}`, tensor]);
}

/** Names per-parameter numbers `prefix.0`, `prefix.1`, ... for a state's scalars. */
export function nameScalars(prefix: string, values: readonly number[]): Record<string, number> {
  return Object.fromEntries(values.map((value, i) => [`${prefix}.${i}`, value]));
}

/** Reads per-parameter numbers `prefix.0`, `prefix.1`, ...; missing ones are 0. */
export function stateScalars(state: OptimizerState, prefix: string, count: number): number[] {
  return Array.from({ length: count }, (_, i) => state.scalars[`${prefix}.${i}`] ?? 0);
}

/**
 * Copies per-parameter state into new tensors laid out like the parameters (channels_last
 * for convolution weights), so that a restored state updates exactly as the original did.
 */
export function copyLikeParams(params: readonly Tensor[], state: readonly Tensor[]): Tensor[] {
  return state.map((tensor, i) =>
    zerosLike(params[i] as Tensor)
      .copy_(tensor)
      .keep(),
  );
}
