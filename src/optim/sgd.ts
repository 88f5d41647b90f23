import { native } from '../native/load.js';
import { zerosLike } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import { nameTensors, Optimizer, type OptimizerState, stateTensors } from './optimizer.js';

export interface SgdOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

/** Stochastic gradient descent with optional momentum, as PyTorch 1.13's SGD. */
export class SGD extends Optimizer {
  readonly momentum: number;
  readonly dampening: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;
  #buffers: Tensor[] = [];
  #stepCount = 0;

  constructor(params: Iterable<Tensor>, options: SgdOptions) {
    super(params, options.lr);
    this.momentum = options.momentum ?? 0;
    this.dampening = options.dampening ?? 0;
    this.weightDecay = options.weightDecay ?? 0;
    this.nesterov = options.nesterov ?? false;
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw new RangeError('SGD nesterov needs a positive momentum and zero dampening');
    }
  }

  step(): void {
    const firstStep = this.#stepCount === 0;
    if (firstStep && this.momentum !== 0) {
      this.#buffers = this.params.map((p) => zerosLike(p).keep());
    }
    native.sgdStep(
      this.params.map((p) => p.handle),
      this.#buffers.map((t) => t.handle),
      this.lr,
      this.momentum,
      this.dampening,
      this.weightDecay,
      this.nesterov,
      firstStep,
    );
    this.#stepCount += 1;
  }

  stateDict(): OptimizerState {
    const tensors = new Map(nameTensors('momentumBuffer', this.#buffers));
    return { scalars: { step: this.#stepCount, lr: this.lr }, tensors };
  }

  loadStateDict(state: OptimizerState): void {
    const step = state.scalars.step ?? 0;
    const hasBuffers = step > 0 && this.momentum !== 0;
    const buffers = hasBuffers ? stateTensors(state, 'momentumBuffer', this.params.length) : [];
    // Copy before dispose(), because `state` may hold this optimizer's own buffers.
    const copies = buffers.map((t) => t.clone().keep());
    this.dispose();
    this.#stepCount = step;
    this.lr = state.scalars.lr ?? this.lr;
    this.#buffers = copies;
  }

  dispose(): void {
    for (const tensor of this.#buffers) tensor.dispose();
    this.#buffers = [];
  }
}
