// Statistics over seeds and Tables 1–4 against values computed by hand. The t quantiles
// are the tabulated two-sided 95 % values t(0.975, df).
import assert from 'node:assert/strict';
import { describe as suite, test } from 'node:test';

import { formatCell, tableToCsv, tableToMarkdown } from '../../src/experiments/format.js';
import { describe, differsFromZero } from '../../src/experiments/stats.js';
import { deltaTable, paperTables, valueTable } from '../../src/experiments/tables.js';
import type { RunRecord } from '../../src/train/run-folder.js';

const t975 = { 1: 12.706204736174707, 2: 4.302652729749464, 4: 2.7764451051977987 };

function close(actual: number, expected: number, label: string, tolerance = 1e-9): void {
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${label}: got ${actual}, expected ${expected} (tolerance ${tolerance})`,
  );
}

// A finished run with only the fields the tables read.
function run(
  net: string,
  head: string,
  seed: number,
  accuracy: number,
  tau: number,
  dataset = 'mnist',
): RunRecord {
  return {
    dir: `/runs/${net}-${head}-s${seed}`,
    config: { net, head, seed, dataset } as RunRecord['config'],
    environment: {},
    epochs: [],
    summary: { net, head, seed, testAccuracy: accuracy, tau } as RunRecord['summary'],
    predictions: null,
  };
}

suite('describe', () => {
  test('single value has no spread', () => {
    const stats = describe([99.5]);
    assert.equal(stats.n, 1);
    assert.equal(stats.mean, 99.5);
    assert.equal(stats.sd, null);
    assert.equal(stats.ci, null);
  });

  test('three values by hand', () => {
    // mean 2, sample variance ((−1)² + 0² + 1²) / 2 = 1, half width t(0.975, 2) · 1 / √3
    const stats = describe([1, 2, 3]);
    const half = t975[2] / Math.sqrt(3);
    assert.equal(stats.n, 3);
    close(stats.mean, 2, 'mean');
    close(stats.sd ?? NaN, 1, 'sd');
    close(stats.ci?.[0] ?? NaN, 2 - half, 'ci low');
    close(stats.ci?.[1] ?? NaN, 2 + half, 'ci high');
  });

  test('two values by hand', () => {
    // mean 5, sd |4 − 6| / √2 = √2, half width t(0.975, 1) · √2 / √2
    const stats = describe([4, 6]);
    close(stats.sd ?? NaN, Math.SQRT2, 'sd');
    close(stats.ci?.[0] ?? NaN, 5 - t975[1], 'ci low');
    close(stats.ci?.[1] ?? NaN, 5 + t975[1], 'ci high');
  });

  test('five values by hand', () => {
    // mean 0.3, deviations −0.2 −0.1 0 0.1 0.2, variance 0.1 / 4 = 0.025
    const stats = describe([0.1, 0.2, 0.3, 0.4, 0.5]);
    const sd = Math.sqrt(0.025);
    close(stats.mean, 0.3, 'mean', 1e-12);
    close(stats.sd ?? NaN, sd, 'sd', 1e-12);
    close(stats.ci?.[1] ?? NaN, 0.3 + (t975[4] * sd) / Math.sqrt(5), 'ci high', 1e-12);
  });

  test('empty input is rejected', () => {
    assert.throws(() => describe([]), /at least one value/);
  });

  test('differsFromZero reads the interval', () => {
    assert.equal(differsFromZero(describe([0.5, 0.6, 0.7])), true);
    assert.equal(differsFromZero(describe([-0.7, -0.6, -0.5])), true);
    assert.equal(differsFromZero(describe([-0.1, 0.1, 0.3])), false);
    assert.equal(differsFromZero(describe([0.4])), null);
  });
});

suite('paper tables', () => {
  const records = [
    run('N0', 'ce-mean', 0, 99.0, 60),
    run('N0', 'ce-mean', 1, 99.2, 61),
    run('N0', 'ce-mean', 2, 99.4, 62),
    run('N0', 'isbe-softmax', 0, 99.1, 58),
    run('N0', 'isbe-softmax', 1, 99.5, 59),
    run('N0', 'isbe-softmax', 2, 99.3, 60),
    // a seed the CE head lacks: it enters Table 3 but no Δ cell
    run('N0', 'isbe-softmax', 3, 90.0, 10),
  ];
  const heads = ['ce-mean', 'isbe-softmax'];

  test('value cell by hand', () => {
    const table = valueTable(records, 'accuracy', ['N0'], heads);
    const cell = table.cells[0]?.[0];
    assert.ok(cell);
    close(cell.ours.mean, 99.2, 'mean');
    close(cell.ours.sd ?? NaN, 0.2, 'sd');
    close(cell.ours.ci?.[0] ?? NaN, 99.2 - (t975[2] * 0.2) / Math.sqrt(3), 'ci low');
    assert.equal(cell.paper, 99.45);
  });

  test('no paper values for Fashion-MNIST', () => {
    const fashion = records.map((record) =>
      run(
        record.config.net,
        record.config.head,
        record.config.seed,
        record.summary?.testAccuracy ?? 0,
        record.summary?.tau ?? 0,
        'fashion-mnist',
      ),
    );
    for (const table of paperTables(fashion, ['N0'], heads)) {
      const papers = table.cells.flat().map((cell) => cell?.paper ?? null);
      assert.deepEqual(new Set(papers), new Set([null]), `${table.id} has no paper values`);
      assert.match(tableToMarkdown(table), /no paper values, because the paper reports MNIST/);
    }
  });

  test('empty Δ tables say why', () => {
    const isbeOnly = records.filter((record) => record.config.head.startsWith('isbe-'));
    const tables = paperTables(isbeOnly, ['N0'], heads);
    const legend = (id: string) => tableToMarkdown(tables.find((table) => table.id === id)!);
    assert.match(legend('table2-delta-tau'), /No cells: each Δ needs runs of an ISBE head and/);
    assert.match(legend('table4-delta-accuracy'), /No cells: each Δ needs/);
    assert.doesNotMatch(legend('table1-tau'), /No cells|reports MNIST only/);
  });

  test('value cell counts every seed', () => {
    const table = valueTable(records, 'accuracy', ['N0'], heads);
    const cell = table.cells[0]?.[1];
    assert.equal(cell?.ours.n, 4);
    close(cell?.ours.mean ?? NaN, (99.1 + 99.5 + 99.3 + 90.0) / 4, 'mean');
  });

  test('delta cell pairs by seed', () => {
    // paired differences 0.1, 0.3, −0.1: mean 0.1, sd 0.2; unpaired means would give
    // (99.1 + 99.5 + 99.3 + 90) / 4 − 99.2, far from 0.1
    const table = deltaTable(records, 'accuracy', ['N0'], heads);
    const cell = table.cells[0]?.[0];
    assert.ok(cell);
    assert.equal(cell.ours.n, 3);
    close(cell.ours.mean, 0.1, 'mean');
    close(cell.ours.sd ?? NaN, 0.2, 'sd');
    assert.equal(cell.differsFromZero, false);
    close(cell.paper ?? NaN, 99.41 - 99.45, 'paper Δ');
  });

  test('delta cell that differs from zero', () => {
    // τ differences −2, −2, −2: sd 0, so the interval is the point −2
    const table = deltaTable(records, 'tau', ['N0'], heads);
    const cell = table.cells[0]?.[0];
    assert.ok(cell);
    close(cell.ours.mean, -2, 'mean');
    close(cell.ours.sd ?? NaN, 0, 'sd');
    assert.equal(cell.differsFromZero, true);
  });

  test('cell without runs is null', () => {
    const table = valueTable(records, 'accuracy', ['N0', 'N1'], heads);
    assert.equal(table.cells[1]?.[0], null);
  });

  test('four tables in paper order', () => {
    const ids = paperTables(records, ['N0'], heads).map((table) => table.id);
    assert.deepEqual(ids, [
      'table1-tau',
      'table2-delta-tau',
      'table3-accuracy',
      'table4-delta-accuracy',
    ]);
  });
});

suite('table formatting', () => {
  test('cell with interval and mark', () => {
    const ours = describe([0.5, 0.6, 0.7]);
    const text = formatCell({ ours, paper: -0.04, differsFromZero: true });
    const half = (t975[2] * 0.1) / Math.sqrt(3);
    const low = (0.6 - half).toFixed(2);
    const high = (0.6 + half).toFixed(2);
    assert.equal(text, `0.60 ± 0.10 [${low}, ${high}] * (paper -0.04)`);
  });

  test('single-seed cell', () => {
    assert.equal(formatCell({ ours: describe([99.5]), paper: null }), '99.50');
    assert.equal(formatCell(null), '–');
  });

  test('markdown legend names the seeds', () => {
    const records = [0, 1, 2].map((seed) => run('N0', 'ce-mean', seed, 99 + seed / 10, 60));
    const markdown = tableToMarkdown(valueTable(records, 'accuracy', ['N0'], ['ce-mean']));
    assert.match(markdown, /over 3 seeds/);
    assert.match(markdown, /\| N0 \| 99\.10 ± 0\.10 \[/);
  });

  test('csv has one line per cell', () => {
    const records = [0, 1].map((seed) => run('N0', 'ce-mean', seed, 99 + seed, 60));
    const csv = tableToCsv(valueTable(records, 'accuracy', ['N0'], ['ce-mean']));
    const lines = csv.trim().split('\n');
    assert.equal(lines.length, 2);
    const fields = lines[1]?.split(',') ?? [];
    assert.equal(fields[0], 'N0');
    assert.equal(fields[2], '2');
    assert.equal(Number(fields[3]), 99.5);
    close(Number(fields[4]), Math.SQRT1_2, 'sd');
    close(Number(fields[5]), 99.5 - (t975[1] * Math.SQRT1_2) / Math.SQRT2, 'ci low');
    assert.equal(Number(fields[8]), 99.45);
  });
});
