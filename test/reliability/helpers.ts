// Helpers of the reliability tests: running the compiled CLI, temporary folders, IDX files
// built byte by byte, and reading run folders back.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/** The compiled CLI entry point, next to the compiled tests. */
export const cliMain = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** Options of a training small enough for a test: about a second on two cores. */
export const tinyTraining = [
  '--limit',
  '600',
  '--validation-size',
  '300',
  '--test-limit',
  '300',
  '--train-loss-images',
  '100',
  '--threads',
  '1',
];

/** Output and exit status of a finished CLI process. */
export interface CliResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `isbe <args>` to completion. */
export function runCli(args: readonly string[], cwd = tmpdir()): CliResult {
  const result = spawnSync(process.execPath, [cliMain, ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, ISBE_DEBUG: '' },
  });
  return {
    status: result.status,
    signal: result.signal,
    stdout: result.stdout,
    stderr: result.stderr,
  };
}

/** A CLI process running in the background, with its output collected. */
export interface RunningCli {
  child: ChildProcess;
  /** Resolves when the process has exited. */
  done: Promise<CliResult>;
}

/** Starts `isbe <args>` without waiting for it. */
export function startCli(args: readonly string[], cwd = tmpdir()): RunningCli {
  const child = spawn(process.execPath, [cliMain, ...args], {
    cwd,
    env: { ...process.env, ISBE_DEBUG: '' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const done = new Promise<CliResult>((resolve) => {
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr }));
  });
  return { child, done };
}

/** Resolves once `condition` holds, polling every 20 ms; rejects after `timeoutMs`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 60_000) {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Creates a temporary folder that the test removes when it ends. */
export function temporaryFolder(t: { after(fn: () => void): void }, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `isbe-${prefix}-`));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Entries of a folder, or [] when it does not exist. */
export function entries(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

/** Returns the one line of stderr that starts with "isbe: error:", the line the user reads. */
export function errorLine(stderr: string): string {
  const lines = stderr.split('\n').filter((line) => line.startsWith('isbe: error:'));
  assert.equal(lines.length, 1, `expected one error line, stderr was:\n${stderr}`);
  return lines[0] as string;
}

/** Bytes of an IDX file: magic number, dimensions, then the elements. */
export function idxBytes(magic: number, dims: readonly number[], data: Uint8Array): Uint8Array {
  const header = new DataView(new ArrayBuffer(4 + 4 * dims.length));
  header.setUint32(0, magic);
  dims.forEach((size, i) => header.setUint32(4 + 4 * i, size));
  const bytes = new Uint8Array(header.byteLength + data.length);
  bytes.set(new Uint8Array(header.buffer), 0);
  bytes.set(data, header.byteLength);
  return bytes;
}

/** Bytes of an IDX images file of `count` random `size` × `size` images. */
export function imagesIdx(count: number, size: number, seed = 1): Uint8Array {
  const data = new Uint8Array(count * size * size);
  let state = seed;
  for (let i = 0; i < data.length; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    data[i] = state >>> 24;
  }
  return idxBytes(0x00000803, [count, size, size], data);
}

/** Bytes of an IDX labels file holding `labels`. */
export function labelsIdx(labels: readonly number[]): Uint8Array {
  return idxBytes(0x00000801, [labels.length], Uint8Array.from(labels));
}

/** Labels 0, 1, ..., 9, 0, 1, ... */
export function cyclicLabels(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i % 10);
}

/** The four files of an MNIST-format folder, by base name; values are file contents. */
export interface IdxFolder {
  'train-images-idx3-ubyte': Uint8Array;
  'train-labels-idx1-ubyte': Uint8Array;
  't10k-images-idx3-ubyte': Uint8Array;
  't10k-labels-idx1-ubyte': Uint8Array;
}

/** Builds a valid MNIST-format data set of 120 training and 40 test images of size × size. */
export function validIdxFolder(size = 28): IdxFolder {
  return {
    'train-images-idx3-ubyte': imagesIdx(120, size, 1),
    'train-labels-idx1-ubyte': labelsIdx(cyclicLabels(120)),
    't10k-images-idx3-ubyte': imagesIdx(40, size, 2),
    't10k-labels-idx1-ubyte': labelsIdx(cyclicLabels(40)),
  };
}

/**
 * Writes an MNIST-format folder under `parent`. `names` renames files, for example to add
 * or drop .gz; `gzip` lists the base names whose content is gzip-compressed.
 */
export function writeIdxFolder(
  parent: string,
  folder: IdxFolder,
  options: { names?: Partial<Record<keyof IdxFolder, string>>; gzip?: (keyof IdxFolder)[] } = {},
): string {
  const dir = join(parent, 'data');
  mkdirSync(dir, { recursive: true });
  for (const [base, bytes] of Object.entries(folder) as [keyof IdxFolder, Uint8Array][]) {
    const name = options.names?.[base] ?? base;
    const content = options.gzip?.includes(base) ? gzipSync(bytes) : bytes;
    writeFileSync(join(dir, name), content);
  }
  return dir;
}

/** One line of epochs.jsonl, with the fields the tests compare. */
export interface EpochLine {
  epoch: number;
  progressiveLoss: number;
  trainLoss: number | null;
  validationLoss: number;
  validationAccuracy: number;
  testAccuracy: number;
  images: number;
  [field: string]: unknown;
}

/** The epochs of a run folder's epochs.jsonl; every line must parse. */
export function readEpochLines(runDir: string): EpochLine[] {
  const path = join(runDir, 'epochs.jsonl');
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as EpochLine);
}

/** Picks the fields of an epoch that do not depend on timing. */
export function resultFields(epoch: EpochLine) {
  const { progressiveLoss, trainLoss, validationLoss, validationAccuracy, testAccuracy } = epoch;
  return {
    epoch: epoch.epoch,
    progressiveLoss,
    trainLoss,
    validationLoss,
    validationAccuracy,
    testAccuracy,
    images: epoch.images,
  };
}

/** Parses the header of a safetensors file and checks that the data fills the file. */
export function safetensorsHeader(path: string): Record<string, unknown> {
  const bytes = readFileSync(path);
  assert.ok(bytes.length >= 8, `${path} is shorter than a safetensors header`);
  const length = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + length).toString('utf8')) as Record<
    string,
    { data_offsets?: [number, number] }
  >;
  const dataLength = bytes.length - 8 - length;
  const end = Math.max(0, ...Object.values(header).map((entry) => entry.data_offsets?.[1] ?? 0));
  assert.equal(end, dataLength, `${path}: the tensors do not fill the file exactly`);
  return header;
}
