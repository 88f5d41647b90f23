import type { NativeGenerator } from '../native/addon.js';
import { native } from '../native/load.js';

/**
 * A seedable CPU random generator (mt19937, as torch.Generator). Its state can be saved
 * and restored, so a resumed run draws the same numbers as an uninterrupted one.
 */
export class Generator {
  /** @internal */
  readonly handle: NativeGenerator;

  constructor(seed: number) {
    this.handle = new native.NativeGenerator(seed);
  }

  /** Reseeds the generator. */
  manualSeed(seed: number): this {
    this.handle.manualSeed(seed);
    return this;
  }

  /** The seed set last. */
  get seed(): number {
    return this.handle.initialSeed();
  }

  /** A copy of the full state, the same bytes as torch.Generator.get_state(). */
  getState(): Uint8Array {
    return this.handle.getState();
  }

  /** Restores a state that getState() returned. */
  setState(state: Uint8Array): void {
    this.handle.setState(state);
  }
}
