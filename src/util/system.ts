import { readFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';

/**
 * Number of physical cores, from /proc/cpuinfo's distinct (physical id, core id) pairs;
 * the number of logical CPUs where that file is missing or has no core ids.
 */
export function physicalCores(): number {
  try {
    const text = readFileSync('/proc/cpuinfo', 'utf8');
    const cores = new Set<string>();
    for (const block of text.split('\n\n')) {
      const physical = /physical id\s*:\s*(\d+)/.exec(block)?.[1];
      const core = /core id\s*:\s*(\d+)/.exec(block)?.[1];
      if (core !== undefined) cores.add(`${physical ?? 0}:${core}`);
    }
    if (cores.size > 0) return Math.min(cores.size, availableParallelism());
  } catch {
    // Not Linux: fall through to the logical count.
  }
  return availableParallelism();
}

/** CPU model name, for results and benchmark records. */
export function cpuModel(): string {
  return cpus()[0]?.model ?? 'unknown CPU';
}

/** Whether the CPU has native bfloat16 arithmetic (AVX-512 BF16 or AMX), from /proc/cpuinfo. */
export function cpuHasBf16(): boolean {
  try {
    const flags = /flags\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '';
    return /\b(avx512_bf16|amx_bf16)\b/.test(flags);
  } catch {
    return false;
  }
}

/** Resident set size of this process in bytes. */
export function residentBytes(): number {
  return process.memoryUsage.rss();
}

/** Largest resident set size this process has had, in bytes. */
export function peakResidentBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}
