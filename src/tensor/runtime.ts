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

/**
 * Frees the tensor memory blocks kept for reuse (see cachedTensorBytes) and returns the
 * heap's free pages to the operating system with glibc's malloc_trim. Evaluation calls it
 * every few batches, because small long-lived blocks would otherwise fragment the heap.
 */
export function releaseFreeMemory(): void {
  native.releaseFreeMemory();
}

/**
 * Bytes of freed tensor memory kept for reuse. Freed blocks of 256 KiB or more are kept, up
 * to 256 MiB in all, so the next tensor of the same size needs no fresh pages from the
 * operating system. When the cache is full, cached blocks of other sizes make room for a
 * new one. releaseFreeMemory() frees them all.
 */
export function cachedTensorBytes(): number {
  return native.cachedTensorBytes();
}

/** libtorch versions (compiled and loaded) and its build configuration. */
export function libtorchInfo(): VersionInfo {
  return native.versionInfo();
}

/**
 * Starts recording every libtorch operator call; stopProfiler() writes the calls as a
 * Chrome trace to `path` (open it in chrome://tracing or ui.perfetto.dev).
 */
export function startProfiler(path: string): void {
  native.startProfiler(path);
}

/** Stops the recording that startProfiler() began and writes its trace file. */
export function stopProfiler(): void {
  native.stopProfiler();
}
