import { native } from '../native/load.js';
import { zerosLike } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import { typeName, valueText } from '../util/type-name.js';
import {
  copyLikeParams,
  nameScalars,
  nameTensors,
  Optimizer,
  type OptimizerState,
  stateScalars,
  stateTensors,
} from './optimizer.js';

export interface AdamOptions {
  lr?: number;
  betas?: readonly [number, number];
  eps?: number;
  weightDecay?: number;
}

function checkBeta(name: string, beta: unknown): number {
  if (typeof beta !== 'number' || !(beta >= 0 && beta < 1)) {
    throw new RangeError(`Adam ${name} must be in [0, 1), got ${valueText(beta)}`);
  }
  return beta;
}

/**
 * Adam (Kingma and Ba, 2015) with PyTorch 1.13's update order and defaults. Each parameter
 * counts its own steps, so one that gets no gradient for a while is corrected as PyTorch
 * corrects it.
 */
export class Adam extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  #stepCount = 0;
  #steps: number[];
  #expAvgs: Tensor[] = [];
  #expAvgSqs: Tensor[] = [];

  constructor(params: Iterable<Tensor>, options: AdamOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(
        `Adam takes an options object, such as { lr: 0.001 }, got ${typeName(options)}`,
      );
    }
    super(params, options.lr ?? 1e-3);
    const betas: unknown = options.betas ?? [0.9, 0.999];
    if (!Array.isArray(betas) || betas.length !== 2) {
      throw new TypeError(
        `Adam betas must be a pair such as [0.9, 0.999], got ${valueText(betas)}`,
      );
    }
    const [beta1, beta2] = betas as unknown[];
    const { eps = 1e-8, weightDecay = 0 } = options;
    if (typeof eps !== 'number' || !(eps > 0 && eps < Infinity)) {
      throw new RangeError(`Adam eps must be a positive number, got ${valueText(eps)}`);
    }
    if (typeof weightDecay !== 'number' || !(weightDecay >= 0 && weightDecay < Infinity)) {
      throw new RangeError(`Adam weightDecay must be 0 or more, got ${valueText(weightDecay)}`);
    }
    this.beta1 = checkBeta('beta1', beta1);
    this.beta2 = checkBeta('beta2', beta2);
    this.eps = eps;
    this.weightDecay = weightDecay;
    this.#steps = this.params.map(() => 0);
  }

  /** Number of step() calls. */
  get stepCount(): number {
    return this.#stepCount;
  }

  step(): void {
    this.stepChecked();
  }

  /** Updates the parameters and checks the gradients in the same pass over memory. */
  override stepChecked(): boolean {
    if (this.#expAvgs.length === 0) {
      this.#expAvgs = this.params.map((p) => zerosLike(p).keep());
      this.#expAvgSqs = this.params.map((p) => zerosLike(p).keep());
    }
    const result = native.adamStep(
      this.params.map((p) => p.handle),
      this.#expAvgs.map((t) => t.handle),
      this.#expAvgSqs.map((t) => t.handle),
      this.#steps,
      this.lr,
      this.beta1,
      this.beta2,
      this.eps,
      this.weightDecay,
    );
    this.#steps = result.steps;
    this.#stepCount += 1;
    return result.gradientsFinite;
  }

  stateDict(): OptimizerState {
    const tensors = new Map([
      ...nameTensors('expAvg', this.#expAvgs),
      ...nameTensors('expAvgSq', this.#expAvgSqs),
    ]);
    const scalars = { calls: this.#stepCount, lr: this.lr, ...nameScalars('step', this.#steps) };
    return { scalars, tensors };
  }

  loadStateDict(state: OptimizerState): void {
    const count = this.params.length;
    const steps = stateScalars(state, 'step', count);
    const started = steps.some((step) => step > 0);
    // Copy before dispose(), because `state` may hold this optimizer's own tensors.
    const expAvgs = started
      ? copyLikeParams(this.params, stateTensors(state, 'expAvg', count))
      : [];
    const expAvgSqs = started
      ? copyLikeParams(this.params, stateTensors(state, 'expAvgSq', count))
      : [];
    this.dispose();
    this.#steps = steps;
    this.#stepCount = state.scalars.calls ?? 0;
    this.lr = state.scalars.lr ?? this.lr;
    this.#expAvgs = expAvgs;
    this.#expAvgSqs = expAvgSqs;
  }

  dispose(): void {
    for (const tensor of [...this.#expAvgs, ...this.#expAvgSqs]) tensor.dispose();
    this.#expAvgs = [];
    this.#expAvgSqs = [];
  }
}
