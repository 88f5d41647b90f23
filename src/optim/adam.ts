import { native } from '../native/load.js';
import { zerosLike } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import { nameTensors, Optimizer, type OptimizerState, stateTensors } from './optimizer.js';

export interface AdamOptions {
  lr?: number;
  betas?: readonly [number, number];
  eps?: number;
  weightDecay?: number;
}

/** Adam (Kingma and Ba, 2015) with PyTorch 1.13's update order and defaults. */
export class Adam extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  #stepCount = 0;
  #expAvgs: Tensor[] = [];
  #expAvgSqs: Tensor[] = [];

  constructor(params: Iterable<Tensor>, options: AdamOptions = {}) {
    super(params, options.lr ?? 1e-3);
    const [beta1, beta2] = options.betas ?? [0.9, 0.999];
    for (const [name, beta] of [['beta1', beta1], ['beta2', beta2]] as const) {
      if (!(beta >= 0 && beta < 1)) throw new RangeError(`Adam ${name} must be in [0, 1)`);
    }
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0;
  }

  /** Number of steps taken. */
  get stepCount(): number {
    return this.#stepCount;
  }

  step(): void {
    if (this.#stepCount === 0) {
      this.#expAvgs = this.params.map((p) => zerosLike(p).keep());
      this.#expAvgSqs = this.params.map((p) => zerosLike(p).keep());
    }
    this.#stepCount += 1;
    native.adamStep(
      this.params.map((p) => p.handle),
      this.#expAvgs.map((t) => t.handle),
      this.#expAvgSqs.map((t) => t.handle),
      this.#stepCount,
      this.lr,
      this.beta1,
      this.beta2,
      this.eps,
      this.weightDecay,
    );
  }

  stateDict(): OptimizerState {
    const tensors = new Map([
      ...nameTensors('expAvg', this.#expAvgs),
      ...nameTensors('expAvgSq', this.#expAvgSqs),
    ]);
    return { scalars: { step: this.#stepCount, lr: this.lr }, tensors };
  }

  loadStateDict(state: OptimizerState): void {
    const step = state.scalars.step ?? 0;
    const count = this.params.length;
    const expAvgs = step === 0 ? [] : stateTensors(state, 'expAvg', count);
    const expAvgSqs = step === 0 ? [] : stateTensors(state, 'expAvgSq', count);
    // Copy before dispose(), because `state` may hold this optimizer's own tensors.
    const expAvgCopies = expAvgs.map((t) => t.clone().keep());
    const expAvgSqCopies = expAvgSqs.map((t) => t.clone().keep());
    this.dispose();
    this.#stepCount = step;
    this.lr = state.scalars.lr ?? this.lr;
    this.#expAvgs = expAvgCopies;
    this.#expAvgSqs = expAvgSqCopies;
  }

  dispose(): void {
    for (const tensor of [...this.#expAvgs, ...this.#expAvgSqs]) tensor.dispose();
    this.#expAvgs = [];
    this.#expAvgSqs = [];
  }
}
