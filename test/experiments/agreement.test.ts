// Agreement between heads: McNemar's exact test against binomial sums worked out by hand,
// pair counts, the combination over seeds, the hardest images and the written files.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import sharp from 'sharp';

import {
  agreementReport,
  agreementToMarkdown,
  combineSeeds,
  hardestImages,
  mcnemarExact,
  pairCounts,
} from '../../src/experiments/agreement.js';
import { agreementFiles, writeAgreement } from '../../src/experiments/write.js';
import { tensor } from '../../src/index.js';
import type { Predictions, RunRecord } from '../../src/train/run-folder.js';

function close(actual: number, expected: number, label: string): void {
  assert.ok(Math.abs(actual - expected) <= 1e-12, `${label}: got ${actual}, expected ${expected}`);
}

function record(net: string, head: string, seed: number, predictions: Predictions): RunRecord {
  return {
    dir: `/runs/${net}-${head}-s${seed}`,
    config: { net, head, seed } as RunRecord['config'],
    environment: {},
    epochs: [],
    summary: { net, head, seed } as RunRecord['summary'],
    predictions,
  };
}

describe('mcnemarExact', () => {
  test('hand values', () => {
    // n = 10: 2 P(X ≤ 2) = 2 (1 + 10 + 45) / 1024
    close(mcnemarExact(2, 8), 112 / 1024, 'b 2, c 8');
    close(mcnemarExact(8, 2), 112 / 1024, 'symmetric in b and c');
    // n = 6: 2 P(X = 0) = 2 / 64
    close(mcnemarExact(0, 6), 2 / 64, 'b 0, c 6');
    // n = 20: 2 P(X ≤ 5) = 2 (1 + 20 + 190 + 1140 + 4845 + 15504) / 2^20
    close(mcnemarExact(5, 15), (2 * 21700) / 2 ** 20, 'b 5, c 15');
  });

  test('capped at one', () => {
    assert.equal(mcnemarExact(5, 5), 1);
    assert.equal(mcnemarExact(0, 0), 1);
    assert.equal(mcnemarExact(3, 4), 1);
  });

  test('counts must be non-negative integers', () => {
    assert.throws(() => mcnemarExact(-1, 2), /b must be a count/);
    assert.throws(() => mcnemarExact(1, 2.5), /c must be a count/);
  });
});

// Ten images of labels 0..9; each run's wrong images are listed.
function predictionsWrongAt(wrong: Record<number, number>): Predictions {
  const labels = Array.from({ length: 10 }, (_, i) => i);
  return { labels, predicted: labels.map((label) => wrong[label] ?? label) };
}

describe('pair counts', () => {
  test('by hand', () => {
    // first wrong at 0, 1, 2; second wrong at 2, 3, 4, 5
    const first = predictionsWrongAt({ 0: 9, 1: 9, 2: 9 });
    const second = predictionsWrongAt({ 2: 8, 3: 8, 4: 8, 5: 8 });
    const counts = pairCounts(first, second);
    assert.equal(counts.bothWrong, 1);
    assert.equal(counts.onlyFirst, 2);
    assert.equal(counts.onlySecond, 3);
    assert.equal(counts.bothRight, 4);
    close(counts.pValue, mcnemarExact(2, 3), 'p');
  });

  test('different test sets are rejected', () => {
    const first = predictionsWrongAt({});
    const second = { labels: first.labels.slice(0, 9), predicted: first.predicted.slice(0, 9) };
    assert.throws(() => pairCounts(first, second), /different test images/);
    const relabelled = { labels: [...first.labels].reverse(), predicted: first.predicted };
    assert.throws(() => pairCounts(first, relabelled), /different test images/);
  });

  test('seeds combine by summing', () => {
    const a = { bothWrong: 1, onlyFirst: 2, onlySecond: 0, bothRight: 7, pValue: 0.5 };
    const b = { bothWrong: 3, onlyFirst: 0, onlySecond: 6, bothRight: 1, pValue: 0.03125 };
    const combined = combineSeeds([a, b]);
    assert.deepEqual(
      { ...combined, pValue: 0 },
      { bothWrong: 4, onlyFirst: 2, onlySecond: 6, bothRight: 8, pValue: 0 },
    );
    // n = 8: 2 P(X ≤ 2) = 2 (1 + 8 + 28) / 256
    close(combined.pValue, 74 / 256, 'p of the summed counts');
  });
});

describe('agreement report', () => {
  const records = [
    record('N0', 'ce-mean', 0, predictionsWrongAt({ 0: 9, 1: 9 })),
    record('N0', 'isbe-softmax', 0, predictionsWrongAt({ 0: 7, 2: 7 })),
    record('N0', 'ce-mean', 1, predictionsWrongAt({ 0: 9 })),
    record('N0', 'isbe-softmax', 1, predictionsWrongAt({ 0: 9, 3: 9, 4: 2 })),
    // a seed the other head lacks: counted in errors and hardest images, in no pair
    record('N0', 'isbe-softmax', 2, predictionsWrongAt({ 0: 1 })),
  ];
  const report = agreementReport(records, ['N0'], ['ce-mean', 'isbe-softmax'], { hardest: 3 });

  test('pairs by seed', () => {
    assert.equal(report.pairs.length, 1);
    const pair = report.pairs[0];
    assert.ok(pair);
    assert.deepEqual(
      pair.perSeed.map(({ seed, bothWrong, onlyFirst, onlySecond }) => [
        seed,
        bothWrong,
        onlyFirst,
        onlySecond,
      ]),
      [
        [0, 1, 1, 1],
        [1, 1, 0, 2],
      ],
    );
    assert.equal(pair.combined.onlyFirst, 1);
    assert.equal(pair.combined.onlySecond, 3);
    close(pair.combined.pValue, mcnemarExact(1, 3), 'combined p');
  });

  test('wrong images of each run', () => {
    assert.deepEqual(
      report.errors.map((e) => [e.head, e.seed, e.wrong]),
      [
        ['ce-mean', 0, 2],
        ['ce-mean', 1, 1],
        ['isbe-softmax', 0, 2],
        ['isbe-softmax', 1, 3],
        ['isbe-softmax', 2, 1],
      ],
    );
    assert.deepEqual(report.seeds, [0, 1, 2]);
    assert.equal(report.images, 10);
  });

  test('hardest images', () => {
    // image 0: missed by all 5 runs, as 9 three times, 7 once, 1 once
    const [first, ...rest] = report.hardest;
    assert.deepEqual(first, {
      index: 0,
      label: 0,
      missed: 5,
      runs: 5,
      commonWrong: 9,
      wrongClasses: { 1: 1, 7: 1, 9: 3 },
    });
    // then images 1, 2, 3 (one miss each) by position
    assert.deepEqual(
      rest.map((image) => image.index),
      [1, 2],
    );
  });

  test('common wrong class breaks ties by class', () => {
    const runs = [predictionsWrongAt({ 4: 8 }), predictionsWrongAt({ 4: 3 })];
    assert.equal(hardestImages(runs, 1)[0]?.commonWrong, 3);
  });

  test('markdown matrix and lists', () => {
    const markdown = agreementToMarkdown(report);
    assert.match(markdown, /\| CE mean \| \*\*3\*\* \| 2 \/ 1 \/ 3, p 0\.625 \|/);
    assert.match(markdown, /\| softmax \| {2}\| \*\*6\*\* \|/);
    assert.match(markdown, /\| N0 \| CE mean \| softmax \| 1 \| 1 \| 0 \| 2 \| 0\.500 \|/);
    assert.match(markdown, /\| 0 \| 0 \| 5 \/ 5 \| 9 \| 9 ×3, 1 ×1, 7 ×1 \|/);
  });

  test('class names in the list', () => {
    const names = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
    assert.match(
      agreementToMarkdown(report, names),
      /\| 0 \| 0 \(zero\) \| 5 \/ 5 \| 9 \(nine\) \|/,
    );
  });
});

describe('agreement files', () => {
  test('json, markdown and png', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'isbe-agreement-'));
    try {
      const records = [
        record('N0', 'ce-mean', 0, predictionsWrongAt({ 0: 9, 1: 9, 5: 3 })),
        record('N0', 'isbe-tanh', 0, predictionsWrongAt({ 0: 7, 2: 7 })),
      ];
      using images = tensor(
        Float32Array.from({ length: 10 * 28 * 28 }, (_, i) => (i % 28) / 27),
        {
          shape: [10, 1, 28, 28],
        },
      );
      await writeAgreement(dir, records, ['N0'], ['ce-mean', 'isbe-tanh'], { testImages: images });
      const folder = join(dir, 'tables');
      const json = JSON.parse(readFileSync(join(folder, agreementFiles.json), 'utf8'));
      assert.equal(json.pairs[0].combined.bothWrong, 1);
      assert.ok(existsSync(join(folder, agreementFiles.markdown)));
      const metadata = await sharp(join(folder, agreementFiles.hardestImages)).metadata();
      assert.equal(metadata.format, 'png');
      // four missed images in one row of 124-pixel cells, 112-pixel tiles and three lines
      assert.equal(metadata.width, 4 * 124);
      assert.equal(metadata.height, 112 + 3 * 16 + 12);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
