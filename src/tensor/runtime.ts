import type { VersionInfo } from '../native/addon.js';
import { native } from '../native/load.js';

/** Sets the number of threads libtorch uses for intra-op parallelism. */
export function setNumThreads(threads: number): void {
  native.setNumThreads(threads);
}

/** Number of threads libtorch uses for intra-op parallelism. */
export function getNumThreads(): number {
  return native.getNumThreads();
}

/** Seeds libtorch's default generator, as torch.manual_seed(). */
export function manualSeed(seed: number): void {
  native.manualSeed(seed);
}

/** Exact number of tensors whose native memory is not yet freed. */
export function liveTensorCount(): number {
  return native.liveTensorCount();
}

/** libtorch versions (compiled and loaded) and its build configuration. */
export function libtorchInfo(): VersionInfo {
  return native.versionInfo();
}
