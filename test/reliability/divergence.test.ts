// NaN in the scores stops a run at the batch where it appears, with a message naming the
// epoch and the batch, and leaves the files of the last complete epoch as they were.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { disposeSplits } from '../../src/data/dataset.js';
import { loadData } from '../../src/data/load.js';
import { randperm } from '../../src/tensor/creation.js';
import { Generator } from '../../src/tensor/random.js';
import { liveTensorCount } from '../../src/tensor/runtime.js';
import { defaultConfig, type TrainConfig } from '../../src/train/config.js';
import { runTraining } from '../../src/train/run.js';
import { DivergenceError } from '../../src/train/trainer.js';
import { entries, readEpochLines, temporaryFolder } from './helpers.js';

const config: TrainConfig = {
  ...defaultConfig(),
  net: 'N0',
  head: 'isbe-softmax',
  epochs: 2,
  batchSize: 32,
  limit: 600,
  validationSize: 300,
  testLimit: 300,
  trainLossImages: 100,
  threads: 1,
};

const checkpointFiles = ['epochs.jsonl', 'model.safetensors', 'resume.safetensors'];

// Loads the data and frees it when the test ends.
function loadSmallData(t: { after(fn: () => void): void }) {
  const data = loadData(config);
  t.after(() => disposeSplits(data));
  return data;
}

// Runs `config` into `dir` and returns what it threw.
async function failingRun(...args: Parameters<typeof runTraining>): Promise<unknown> {
  try {
    await runTraining(...args);
  } catch (error) {
    return error;
  }
  assert.fail('the run finished although its data held NaN');
}

describe('divergence', () => {
  test('NaN from epoch 2 batch 4', async (t) => {
    const dir = temporaryFolder(t, 'nan');
    const data = loadSmallData(t);
    const saved = new Map<string, Buffer>();
    const error = await failingRun(config, {
      dir,
      data,
      callbacks: {
        onEpoch: () => {
          for (const name of checkpointFiles) saved.set(name, readFileSync(join(dir, name)));
        },
        // After batch 3 of epoch 2, every training image turns to NaN, so batch 4 has NaN
        // scores whatever images it draws.
        onBatch: (progress) => {
          if (progress.epoch === 2 && progress.batch === 3) data.train.images.fill_(Number.NaN);
        },
      },
    });

    assert.ok(error instanceof DivergenceError, `expected a DivergenceError, got ${String(error)}`);
    assert.equal(
      error.message,
      'training diverged at epoch 2, batch 4: a score is NaN or infinite; lower the learning ' +
        'rate or check the input data',
    );
    assert.equal(error.epoch, 2);
    assert.equal(error.batch, 4);
    assert.equal(saved.size, checkpointFiles.length, 'epoch 1 did not save its files');
    for (const [name, bytes] of saved) {
      assert.ok(readFileSync(join(dir, name)).equals(bytes), `${name} changed after epoch 1`);
    }
    assert.deepEqual(
      readEpochLines(dir).map((epoch) => epoch.epoch),
      [1],
    );
    assert.ok(!existsSync(join(dir, 'summary.json')), 'a diverged run wrote a summary');
    assert.deepEqual(
      entries(dir).filter((name) => name.startsWith('.')),
      [],
      'temporary files were left behind',
    );
  });

  test('resume after divergence', async (t) => {
    const dir = temporaryFolder(t, 'nan');
    const data = loadSmallData(t);
    const error = await failingRun(config, {
      dir,
      data,
      callbacks: {
        onBatch: (progress) => {
          if (progress.epoch === 2 && progress.batch === 1) data.train.images.fill_(Number.NaN);
        },
      },
    });
    assert.ok(error instanceof DivergenceError);

    const result = await runTraining(config, { dir, data: loadSmallData(t), resume: true });
    assert.equal(result.stopped, false);
    assert.deepEqual(
      readEpochLines(dir).map((epoch) => epoch.epoch),
      [1, 2],
    );
    assert.ok(existsSync(join(dir, 'summary.json')));
  });

  test('NaN image in a known batch', async (t) => {
    const dir = temporaryFolder(t, 'nan');
    const data = loadSmallData(t);
    // Epoch 1 draws its order first from a generator seeded with the run's seed, so the
    // image at position 5 × 32 of that order is in batch 6.
    const order = randperm(600, { generator: new Generator(config.seed) });
    const image = order.toArray()[5 * config.batchSize] as number;
    order.dispose();
    const pixels = data.train.images.select(0, image);
    pixels.fill_(Number.NaN);
    pixels.dispose();
    const live = liveTensorCount();

    const error = await failingRun(config, { dir, data });

    assert.ok(error instanceof DivergenceError, `expected a DivergenceError, got ${String(error)}`);
    assert.equal(
      error.message,
      'training diverged at epoch 1, batch 6: a score is NaN or infinite; lower the learning ' +
        'rate or check the input data',
    );
    assert.equal(liveTensorCount(), live, 'the failed run leaked tensors');
    assert.deepEqual(entries(dir), ['config.json']);
  });
});
