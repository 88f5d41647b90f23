import type { MemoryFormat } from '../native/addon.js';
import { noGrad } from '../tensor/autograd.js';
import type { Tensor } from '../tensor/tensor.js';

/** Parameters by dotted name ("0.weight"), as a PyTorch state dict. */
export type StateDict = Map<string, Tensor>;

/**
 * Base of every layer and network. Subclasses register their parameters and child
 * modules in the constructor and implement forward(). Parameters are kept out of tidy()
 * scopes and live until dispose().
 */
export abstract class Module {
  /** Whether the module is in training mode (dropout active). */
  training = true;
  readonly #parameters = new Map<string, Tensor>();
  readonly #children = new Map<string, Module>();

  /** Computes the output for one batch. */
  abstract forward(input: Tensor): Tensor;

  /** Adds a trainable parameter under `name` and returns it. */
  protected registerParameter(name: string, value: Tensor): Tensor {
    value.keep().requiresGrad = true;
    this.#parameters.set(name, value);
    return value;
  }

  /** Adds a child module under `name` and returns it. */
  protected registerModule<M extends Module>(name: string, module: M): M {
    this.#children.set(name, module);
    return module;
  }

  /** Direct child modules with their names. */
  namedChildren(): [string, Module][] {
    return [...this.#children];
  }

  /** Every parameter of this module and its descendants, with dotted names. */
  namedParameters(prefix = ''): [string, Tensor][] {
    const own = [...this.#parameters].map(([name, p]): [string, Tensor] => [prefix + name, p]);
    const nested = [...this.#children].flatMap(([name, child]) =>
      child.namedParameters(`${prefix}${name}.`),
    );
    return [...own, ...nested];
  }

  /** Every parameter of this module and its descendants. */
  parameters(): Tensor[] {
    return this.namedParameters().map(([, parameter]) => parameter);
  }

  /** Total number of parameter elements. */
  numParameters(): number {
    return this.parameters().reduce((total, p) => total + p.numel, 0);
  }

  /** Sets training mode on this module and its descendants. */
  train(mode = true): this {
    this.training = mode;
    for (const child of this.#children.values()) child.train(mode);
    return this;
  }

  /** Sets evaluation mode (dropout off). */
  eval(): this {
    return this.train(false);
  }

  /** The parameters by dotted name; the tensors are the module's own, not copies. */
  stateDict(): StateDict {
    return new Map(this.namedParameters());
  }

  /**
   * Copies values into the parameters in place. Throws when a name is missing or
   * unexpected, or a shape differs, listing every mismatch.
   */
  loadStateDict(state: StateDict): void {
    const own = this.stateDict();
    const problems: string[] = [];
    for (const [name, parameter] of own) {
      const value = state.get(name);
      if (value === undefined) problems.push(`missing ${name}`);
      else if (value.shape.join() !== parameter.shape.join()) {
        problems.push(
          `${name} has shape [${value.shape}] but the module expects [${parameter.shape}]`,
        );
      }
    }
    for (const name of state.keys()) if (!own.has(name)) problems.push(`unexpected ${name}`);
    if (problems.length > 0) {
      throw new Error(`loadStateDict: the state does not fit the module: ${problems.join('; ')}`);
    }
    noGrad(() => {
      for (const [name, parameter] of own) parameter.copy_(state.get(name) as Tensor);
    });
  }

  /** Converts 4-D parameters (convolution weights) to a memory format in place. */
  toMemoryFormat(memoryFormat: MemoryFormat): this {
    for (const parameter of this.parameters()) {
      if (parameter.ndim !== 4) continue;
      const converted = parameter.toMemoryFormat(memoryFormat);
      parameter.setData_(converted);
      converted.dispose();
    }
    return this;
  }

  /** Moves every parameter to a device in place, for example "cuda:0". */
  toDevice(device: string): this {
    for (const parameter of this.parameters()) {
      const moved = parameter.toDevice(device);
      parameter.setData_(moved);
      moved.dispose();
    }
    return this;
  }

  /** Frees every parameter of this module and its descendants. */
  dispose(): void {
    for (const parameter of this.parameters()) parameter.dispose();
  }
}
