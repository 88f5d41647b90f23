import { native } from '../native/load.js';
import { zerosLike } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import { valueText } from '../util/type-name.js';
import {
  copyLikeParams,
  nameScalars,
  nameTensors,
  Optimizer,
  type OptimizerState,
  stateScalars,
  stateTensors,
} from './optimizer.js';

export interface SgdOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

/**
 * Stochastic gradient descent with optional momentum, as PyTorch 1.13's SGD: a
 * parameter's momentum buffer starts as its first gradient, undamped.
 */
export class SGD extends Optimizer {
  readonly momentum: number;
  readonly dampening: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;
  #buffers: Tensor[] = [];
  #started: number[];

  constructor(params: Iterable<Tensor>, options: SgdOptions) {
    if (typeof options !== 'object' || options === null || options.lr === undefined) {
      throw new TypeError(
        `SGD needs options with a learning rate, such as { lr: 0.01 }, got ${valueText(options)}`,
      );
    }
    super(params, options.lr);
    this.momentum = options.momentum ?? 0;
    this.dampening = options.dampening ?? 0;
    this.weightDecay = options.weightDecay ?? 0;
    this.nesterov = options.nesterov ?? false;
    for (const [name, value] of [
      ['momentum', this.momentum],
      ['dampening', this.dampening],
      ['weightDecay', this.weightDecay],
    ] as const) {
      if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value)) {
        throw new RangeError(
          `SGD ${name} must be a finite number of at least 0, got ${valueText(value)}`,
        );
      }
    }
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw new RangeError('SGD nesterov needs a positive momentum and zero dampening');
    }
    this.#started = this.params.map(() => 0);
  }

  step(): void {
    if (this.momentum !== 0 && this.#buffers.length === 0) {
      this.#buffers = this.params.map((p) => zerosLike(p).keep());
    }
    this.#started = native.sgdStep(
      this.params.map((p) => p.handle),
      this.#buffers.map((t) => t.handle),
      this.#started,
      this.lr,
      this.momentum,
      this.dampening,
      this.weightDecay,
      this.nesterov,
    );
  }

  stateDict(): OptimizerState {
    const tensors = new Map(nameTensors('momentumBuffer', this.#buffers));
    return { scalars: { lr: this.lr, ...nameScalars('started', this.#started) }, tensors };
  }

  loadStateDict(state: OptimizerState): void {
    const count = this.params.length;
    const started = stateScalars(state, 'started', count);
    const hasBuffers = this.momentum !== 0 && started.some((flag) => flag !== 0);
    // Copy before dispose(), because `state` may hold this optimizer's own buffers.
    const buffers = hasBuffers
      ? copyLikeParams(this.params, stateTensors(state, 'momentumBuffer', count))
      : [];
    this.dispose();
    this.#started = started;
    this.lr = state.scalars.lr ?? this.lr;
    this.#buffers = buffers;
  }

  dispose(): void {
    for (const tensor of this.#buffers) tensor.dispose();
    this.#buffers = [];
  }
}
