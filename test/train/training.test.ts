// End-to-end training on real MNIST: learning, determinism, run folder contents.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { defaultConfig, loadData, runTraining, type TrainConfig } from '../../src/index.js';
import { disposeSplits } from '../../src/data/dataset.js';
import { trainOneEpoch } from '../../examples/custom-loop.js';
import { readRun } from '../../src/train/run-folder.js';

const root = mkdtempSync(join(tmpdir(), 'isbe-training-'));
after(() => rmSync(root, { recursive: true, force: true }));

const config: TrainConfig = {
  ...defaultConfig(),
  net: 'N0',
  head: 'isbe-softmax',
  epochs: 2,
  limit: 2000,
  testLimit: 2000,
  trainLossImages: 1000,
  threads: 2,
};

async function trainInto(name: string, overrides: Partial<TrainConfig> = {}) {
  const merged = { ...config, ...overrides };
  const data = loadData(merged);
  const dir = join(root, name);
  (await import('node:fs')).mkdirSync(dir);
  try {
    const result = await runTraining(merged, { dir, data });
    return { dir, result };
  } finally {
    disposeSplits(data);
  }
}

// Timing fields differ between runs; everything else must be identical.
const timingFields = new Set([
  'forwardSeconds',
  'backwardSeconds',
  'optimizerSeconds',
  'dataSeconds',
  'trainSeconds',
  'evaluationSeconds',
  'tau',
  'imagesPerSecond',
  'stepImagesPerSecond',
  'residentBytes',
  'peakResidentBytes',
]);

function withoutTiming(record: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([key]) => !timingFields.has(key)));
}

test('N0 on 2,000 images learns', async () => {
  const { result } = await trainInto('learns');
  const accuracy = result.summary?.testAccuracy ?? 0;
  assert.ok(accuracy > 70, `test accuracy ${accuracy} % should be well above chance (10 %)`);
  const [first, second] = result.epochs;
  assert.ok(second!.validationLoss < first!.validationLoss, 'validation loss should fall');
});

test('same seed gives identical metrics', async () => {
  const a = await trainInto('seed-a');
  const b = await trainInto('seed-b');
  assert.deepEqual(a.result.epochs.map(withoutTiming), b.result.epochs.map(withoutTiming));
  assert.deepEqual(a.result.predicted, b.result.predicted);
});

test('other seed gives other metrics', async () => {
  const a = await trainInto('seed-0', { epochs: 1 });
  const b = await trainInto('seed-1', { epochs: 1, seed: 1 });
  assert.notDeepEqual(a.result.epochs.map(withoutTiming), b.result.epochs.map(withoutTiming));
});

test('run folder holds every result file', async () => {
  const { dir } = await trainInto('folder', { epochs: 1, head: 'ce-sum' });
  const record = readRun(dir);
  assert.equal(record.config.head, 'ce-sum');
  assert.equal(record.epochs.length, 1);
  assert.equal(record.summary?.epochs, 1);
  assert.equal(record.predictions?.predicted.length, 2000);
  assert.equal(record.predictions?.labels.length, 2000);
  const header = readFileSync(join(dir, 'model.safetensors')).readBigUInt64LE(0);
  assert.ok(header > 0n, 'model.safetensors starts with its header length');
});

test('custom training loop example learns', () => {
  const accuracy = trainOneEpoch(2000);
  assert.ok(accuracy > 50, `test accuracy ${accuracy} % should be well above chance`);
});

test('unused ignore index warns', async () => {
  const warnings: string[] = [];
  const listen = (warning: Error & { code?: string }) => warnings.push(warning.code ?? '');
  process.on('warning', listen);
  try {
    await trainInto('ignore-index', { epochs: 1, limit: 256, testLimit: 128, ignoreIndex: 12 });
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', listen);
  }
  assert.ok(warnings.includes('ISBE_IGNORE_INDEX_UNUSED'), `warnings: ${warnings.join(', ')}`);
});
