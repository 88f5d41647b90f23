// Helpers of the queue tests: a private redis-server on 127.0.0.1, the real CLI as child
// processes, and comparisons of grid folders. Every server and process registers its own
// stop with t.after, so a failing test still leaves nothing running.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';

import { Redis } from 'ioredis';

const mainScript = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** Creates a temporary folder that is removed after the test. */
export function temporaryFolder(t: TestContext, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** A redis-server of the test's own, on 127.0.0.1 and a free port. */
export interface TestRedis {
  port: number;
  url: string;
  /** Stops the server (SIGTERM) and waits for it to exit. */
  stop(): Promise<void>;
  /** Starts the server again on the same port and folder. */
  start(): Promise<void>;
}

/**
 * Starts redis-server in a temporary folder. With `persist`, it keeps an append-only
 * file synced on every write, so a restart finds the queue as it was.
 */
export async function startRedis(t: TestContext, persist = false): Promise<TestRedis> {
  const dir = temporaryFolder(t, 'isbe-redis-');
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', ''];
  args.push(
    ...(persist ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']),
  );
  let server: ChildProcess | null = null;
  const start = async () => {
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    server = child;
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitFor(
      () => output.includes('Ready to accept connections'),
      10_000,
      () => `redis-server did not start: ${output}`,
    );
  };
  const stop = async () => {
    const child = server;
    server = null;
    if (child === null || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  t.after(stop);
  await start();
  return { port, url: `redis://127.0.0.1:${port}`, stop, start };
}

/** Opens a connection from the test itself to its server. */
export function testConnection(t: TestContext, redis: TestRedis): Redis {
  const connection = new Redis({ host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null });
  connection.on('error', () => undefined);
  t.after(() => connection.disconnect());
  return connection;
}

/** Polls `condition` every 100 ms until it is true; fails with `explain()` after `timeoutMs`. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  explain: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs / 1000} s: ${explain()}`);
    await sleep(100);
  }
}

/** The output of a finished CLI run. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `isbe <args>` to its end, killing it after `timeoutMs`. */
export async function runCli(args: string[], timeoutMs = 120_000): Promise<CliResult> {
  const child = spawn(process.execPath, [mainScript, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => {
    stderr += `\n(killed by the test after ${timeoutMs / 1000} s)`;
    child.kill('SIGKILL');
  }, timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** Runs `isbe <args>` and fails the test unless it exits with code 0. */
export async function runCliOk(args: string[]): Promise<CliResult> {
  const result = await runCli(args);
  assert.equal(result.code, 0, `isbe ${args.join(' ')} failed:\n${result.stderr}`);
  return result;
}

/** A running `isbe worker` and what it logged so far. */
export interface WorkerProcess {
  child: ChildProcess;
  /** host:pid, as the worker names itself in jobs. */
  name: () => string;
  log: () => string;
  exited: Promise<number | null>;
}

/** Starts `isbe worker --queue <url> <args>`; it is killed after the test if still running. */
export function startWorker(t: TestContext, url: string, args: string[]): WorkerProcess {
  // A killed worker cannot delete its temporary run folders, so they go where the test
  // deletes them.
  const env = { ...process.env, TMPDIR: temporaryFolder(t, 'isbe-worker-tmp-') };
  const child = spawn(process.execPath, [mainScript, 'worker', '--queue', url, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  let log = '';
  child.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  const name = () => /worker (\S+:\d+) started/.exec(log)?.[1] ?? `?:${child.pid}`;
  return { child, name, log: () => log, exited };
}

/** Options of a small grid: N0, three heads, two seeds, 1,000 images, one epoch, one thread. */
// prettier-ignore
export const smallGridArgs = [
  '--nets', 'N0',
  '--heads', 'ce-mean,isbe-softmax,isbe-sigmoid',
  '--seeds', '2',
  '--epochs', '1',
  '--limit', '1000',
  '--validation-size', '100',
  '--test-limit', '500',
  '--train-loss-images', '200',
  '--threads', '1',
  '--no-report',
];

/** Returns the grid folder that a reproduce run printed last on stdout or as "run folder: DIR". */
export function gridFolderOf(result: CliResult): string {
  const lines = result.stdout.trim().split('\n');
  const marked = lines.find((line) => line.startsWith('run folder: '));
  return marked === undefined ? (lines.at(-1) ?? '') : marked.slice('run folder: '.length);
}

/** Figures of an epoch that do not depend on timing. */
const epochFigures = [
  'epoch',
  'progressiveLoss',
  'trainLoss',
  'validationLoss',
  'validationAccuracy',
  'testAccuracy',
  'lossName',
  'images',
] as const;

/** Figures of a summary that do not depend on timing. */
const summaryFigures = [
  'net',
  'head',
  'seed',
  'parameters',
  'epochs',
  'testAccuracy',
  'validationAccuracy',
] as const;

function pick(record: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((key) => [key, record[key]]));
}

function readJsonLines(path: string): Record<string, unknown>[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/**
 * Asserts that two trainings have equal non-timing figures: every epoch's losses and
 * accuracies, the summary's accuracies, and the predicted class of every test image.
 */
export function assertSameTraining(actualDir: string, expectedDir: string): void {
  const epochs = (dir: string) =>
    readJsonLines(join(dir, 'epochs.jsonl')).map((epoch) => pick(epoch, epochFigures));
  assert.deepEqual(epochs(actualDir), epochs(expectedDir), `epochs of ${actualDir}`);
  const summary = (dir: string) =>
    pick(
      JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as Record<string, unknown>,
      summaryFigures,
    );
  assert.deepEqual(summary(actualDir), summary(expectedDir), `summary of ${actualDir}`);
  const predictions = (dir: string) => readFileSync(join(dir, 'predictions.json'), 'utf8');
  assert.equal(predictions(actualDir), predictions(expectedDir), `predictions of ${actualDir}`);
}

/** Lists the training folder names of a grid folder. */
export function trainingNames(gridDir: string): string[] {
  const root = join(gridDir, 'trainings');
  return existsSync(root) ? readdirSync(root).sort() : [];
}

/** Returns the lines of a CSV table cut to their first `keep` columns. */
function csvColumnsBefore(text: string, keep: number): string[] {
  return text
    .trim()
    .split('\n')
    .map((line) => line.split(',').slice(0, keep).join(','));
}

/**
 * Asserts that two grid folders have equal tables: the accuracy tables (3 and 4) exactly,
 * the τ tables (1 and 2) only in their rows, columns and counts, as τ is a timing.
 */
export function assertSameTables(actualGrid: string, expectedGrid: string): void {
  const table = (grid: string, id: string) =>
    readFileSync(join(grid, 'tables', `${id}.csv`), 'utf8');
  for (const id of ['table3-accuracy', 'table4-delta-accuracy']) {
    assert.equal(table(actualGrid, id), table(expectedGrid, id), `${id}.csv differs`);
  }
  // Columns: row, column, n, then statistics of τ.
  for (const id of ['table1-tau', 'table2-delta-tau']) {
    assert.deepEqual(
      csvColumnsBefore(table(actualGrid, id), 3),
      csvColumnsBefore(table(expectedGrid, id), 3),
      `${id}.csv differs in its rows, columns or counts`,
    );
  }
}
