// The report's data: head groupings, means over seeds, source labels, the colour map and the
// matching-loss figure, checked on hand-made run records whose expected values are worked out
// in the comments.
import assert from 'node:assert/strict';
import { describe as suite, test } from 'node:test';

import { paperHeads } from '../../src/experiments/paper.js';
import { headColor } from '../../src/report/colors.js';
import { buildFigures } from '../../src/report/figures.js';
import { headTitle, netComparisonHeads, selectGroups, sortHeads } from '../../src/report/groups.js';
import { dotRows, paperSource } from '../../src/report/paper-chart.js';
import { renderSvg } from '../../src/report/render.js';
import {
  accuracyPanels,
  collectLines,
  curveRows,
  describeSeeds,
  finalAccuracyRows,
  lossPanels,
  matchingLossPanels,
} from '../../src/report/series.js';
import { labelSources, type ReportSource } from '../../src/report/sources.js';
import type { EpochMetrics } from '../../src/train/metrics.js';
import type { RunRecord } from '../../src/train/run-folder.js';

function epoch(number: number, loss: number, accuracy: number, lossName: string): EpochMetrics {
  return {
    epoch: number,
    progressiveLoss: loss + 0.5,
    trainLoss: null,
    validationLoss: loss,
    validationAccuracy: accuracy,
    testAccuracy: accuracy - 1,
    lossName,
    tau: 55,
  } as EpochMetrics;
}

// A run of `losses.length` epochs; finished when `finished` is true.
function run(head: string, seed: number, losses: number[], finished = true): RunRecord {
  const lossName = head.startsWith('ce-') ? 'cross-entropy' : 'squared error of soft scores';
  const epochs = losses.map((loss, i) => epoch(i + 1, loss, 90 + i + seed, lossName));
  const last = epochs.at(-1)!;
  const config = {
    net: 'N0',
    head,
    seed,
    epochs: losses.length,
    dataset: 'mnist',
  } as RunRecord['config'];
  const summary = { testAccuracy: last.testAccuracy, tau: 50 + seed } as RunRecord['summary'];
  return {
    dir: `/runs/N0-${head}-s${seed}`,
    config,
    environment: {},
    epochs,
    summary: finished ? summary : null,
    predictions: null,
  };
}

function source(
  label: string,
  records: RunRecord[],
  base: Record<string, unknown> = {},
): ReportSource {
  const grid = { nets: ['N0'], heads: ['ce-mean'], seeds: [0], base } as ReportSource['grid'];
  return {
    dir: `/runs/${label}`,
    label,
    kind: 'grid',
    grid,
    records,
    finished: records.filter((r) => r.summary !== null),
    nets: ['N0'],
    heads: sortHeads(records.map((r) => r.config.head)),
    agreement: null,
  };
}

suite('head groups', () => {
  test('all paper heads give six groups', () => {
    const groups = selectGroups([...paperHeads]);
    assert.deepEqual(
      groups.map((g) => g.id),
      [
        'all-heads',
        'ce-vs-softmax',
        'ce-vs-tanh',
        'softmax-vs-sigmoids',
        'softmax-vs-tanhs',
        'softmax-vs-sigmoid-tanh',
      ],
    );
  });

  test('groups repeating heads are dropped', () => {
    // softmax vs tanh and hardtanh and softmax vs sigmoid and tanh both reduce to softmax, tanh.
    const groups = selectGroups(['ce-mean', 'isbe-softmax', 'isbe-tanh']);
    assert.deepEqual(
      groups.map((g) => [g.id, g.heads.join(',')]),
      [
        ['all-heads', 'ce-mean,isbe-softmax,isbe-tanh'],
        ['ce-vs-softmax', 'ce-mean,isbe-softmax'],
        ['ce-vs-tanh', 'ce-mean,isbe-tanh'],
        ['softmax-vs-tanhs', 'isbe-softmax,isbe-tanh'],
      ],
    );
  });

  test('single head keeps the all-heads group', () => {
    assert.deepEqual(
      selectGroups(['isbe-normalize']).map((g) => g.heads),
      [['isbe-normalize']],
    );
    assert.equal(selectGroups(['isbe-softmax'])[0]!.title, headTitle('isbe-softmax'));
    assert.equal(selectGroups(['ce-mean', 'isbe-tanh'])[0]!.title, 'All heads');
  });

  test('heads sort in paper order', () => {
    assert.deepEqual(sortHeads(['isbe-tanh', 'custom', 'ce-sum', 'ce-mean']), [
      'ce-mean',
      'ce-sum',
      'isbe-tanh',
      'custom',
    ]);
  });

  test('network comparison falls back to present heads', () => {
    assert.deepEqual(netComparisonHeads(['ce-sum', 'isbe-tanh']), ['isbe-tanh']);
    assert.deepEqual(netComparisonHeads(['ce-sum', 'isbe-hardtanh']), ['ce-sum', 'isbe-hardtanh']);
  });
});

suite('colours', () => {
  test('each paper head has its own colour', () => {
    const colors = paperHeads.map(headColor);
    assert.equal(new Set(colors).size, paperHeads.length);
  });

  test('unknown head gets a stable colour', () => {
    assert.match(headColor('isbe-custom'), /^#[0-9a-f]{6}$/);
    assert.equal(headColor('isbe-custom'), headColor('isbe-custom'));
  });
});

suite('curves over seeds', () => {
  test('mean, lowest and highest seed', () => {
    // Validation loss at epoch 1: seeds 1.0 and 2.0, mean 1.5; at epoch 2: 0.5 and 1.0.
    const [line] = collectLines([
      source('a', [run('ce-mean', 0, [1, 0.5]), run('ce-mean', 1, [2, 1])]),
    ]);
    const rows = curveRows(line!, lossPanels).filter((r) => r.panel === 'validation loss');
    assert.deepEqual(
      rows.map((r) => [r.epoch, r.value, r.low, r.high, r.seeds]),
      [
        [1, 1.5, 1, 2, 2],
        [2, 0.75, 0.5, 1, 2],
      ],
    );
    assert.equal(rows[0]!.lossName, 'cross-entropy');
  });

  test('missing train loss draws no row', () => {
    const [line] = collectLines([source('a', [run('ce-mean', 0, [1])])]);
    const panels = new Set(curveRows(line!, lossPanels).map((r) => r.panel));
    assert.deepEqual([...panels].sort(), ['progressive loss', 'validation loss']);
  });

  test('later epochs count the seeds that reached them', () => {
    const [line] = collectLines([
      source('a', [run('ce-mean', 0, [1, 0.5]), run('ce-mean', 1, [2], false)]),
    ]);
    const rows = curveRows(line!, accuracyPanels).filter((r) => r.panel === 'test accuracy');
    assert.deepEqual(
      rows.map((r) => r.seeds),
      [2, 1],
    );
  });

  test('final accuracy uses finished seeds only', () => {
    // Seed 0 ends at epoch 2 with test accuracy 90 + 1 + 0 − 1 = 90; seed 1 is unfinished.
    const [line] = collectLines([
      source('a', [run('ce-mean', 0, [1, 0.5]), run('ce-mean', 1, [2], false)]),
    ]);
    const rows = finalAccuracyRows(line!, accuracyPanels);
    assert.equal(rows.length, accuracyPanels.length);
    assert.deepEqual(
      rows.map((r) => [r.kind, r.value, r.seeds]),
      [
        ['final', 90, 1],
        ['final', 90, 1],
      ],
    );
  });

  test('seed counts are described', () => {
    const one = collectLines([source('a', [run('ce-mean', 0, [1])])]);
    const two = collectLines([source('a', [run('ce-mean', 0, [1]), run('ce-mean', 1, [1])])]);
    const mixed = collectLines([
      source('a', [run('ce-mean', 0, [1]), run('ce-mean', 1, [1]), run('isbe-tanh', 0, [1])]),
    ]);
    assert.equal(describeSeeds(one), '1 seed');
    assert.equal(describeSeeds(two), '2 seeds');
    assert.equal(describeSeeds(mixed), '1 to 2 seeds');
  });

  test('sources keep separate lines', () => {
    const lines = collectLines([
      source('a', [run('ce-mean', 0, [1])]),
      source('b', [run('ce-mean', 0, [2])]),
    ]);
    assert.deepEqual(
      lines.map((l) => l.run),
      ['a', 'b'],
    );
  });
});

suite('values beside the paper', () => {
  test('one published dot per cell', () => {
    // τ of seeds 0 and 1 is 50 and 51; paperTau('N0', 'ce-mean') is 60.61.
    const lines = collectLines([
      source('a', [run('ce-mean', 0, [1]), run('ce-mean', 1, [1])]),
      source('b', [run('ce-mean', 0, [1])]),
    ]);
    const rows = dotRows('tau', lines);
    assert.deepEqual(
      rows.map((r) => [r.source, r.value, r.low, r.high]),
      [
        ['a', 50.5, 50, 51],
        [paperSource, 60.61, 60.61, 60.61],
        ['b', 50, 50, 50],
      ],
    );
  });

  test('unfinished lines have no dot', () => {
    const lines = collectLines([source('a', [run('ce-mean', 0, [1], false)])]);
    assert.deepEqual(dotRows('accuracy', lines), []);
  });
});

suite('source labels', () => {
  test('differing setting names the sources', () => {
    const records = [run('ce-mean', 0, [1])];
    const labelled = labelSources([
      source('x', records, { precision: 'fp32', lr: 0.001 }),
      source('y', records, { precision: 'bf16', lr: 0.001 }),
    ]);
    assert.deepEqual(
      labelled.map((s) => s.label),
      ['precision fp32', 'precision bf16'],
    );
  });

  test('equal settings keep folder names', () => {
    const records = [run('ce-mean', 0, [1])];
    const labelled = labelSources([source('x', records), source('y', records)]);
    assert.deepEqual(
      labelled.map((s) => s.label),
      ['x', 'y'],
    );
  });

  test('repeated folder names are numbered', () => {
    const records = [run('ce-mean', 0, [1])];
    const a = { ...source('same', records), dir: '/one/same' };
    const b = { ...source('same', records), dir: '/two/same' };
    assert.deepEqual(
      labelSources([a, b]).map((s) => s.label),
      ['1: same', '2: same'],
    );
  });
});

// The run with matching losses per epoch: train `loss + 0.1`, validation `loss`; null for both
// when `losses` is null, as for a head without one.
function withMatching(record: RunRecord, losses: (number | null)[] | null): RunRecord {
  const epochs = record.epochs.map((epoch, i) => {
    const loss = losses === null ? null : (losses[i] ?? null);
    return {
      ...epoch,
      trainMatchingLoss: loss === null ? null : loss + 0.1,
      validationMatchingLoss: loss,
    };
  });
  return { ...record, epochs };
}

interface SpecRow {
  title: { text: string };
  data: { values: { head: string; panel: string }[] };
}

function matchingFigure(records: RunRecord[]) {
  const sources = [source('a', records)];
  return buildFigures(sources, collectLines(sources)).find((f) => f.id === 'N0-matching-loss');
}

suite('matching-loss figure', () => {
  test('rows average the seeds', () => {
    // Validation matching loss at epoch 1: seeds −6 and −7, mean −6.5.
    const [line] = collectLines([
      source('a', [
        withMatching(run('isbe-tanh', 0, [1, 0.5]), [-6, -6.5]),
        withMatching(run('isbe-tanh', 1, [1, 0.5]), [-7, -7.5]),
      ]),
    ]);
    const rows = curveRows(line!, matchingLossPanels);
    const validation = rows.filter((r) => r.panel === 'validation matching loss');
    assert.deepEqual(
      validation.map((r) => [r.epoch, r.value, r.low, r.high, r.seeds]),
      [
        [1, -6.5, -7, -6, 2],
        [2, -7, -7.5, -6.5, 2],
      ],
    );
    assert.equal(rows.filter((r) => r.panel === 'train matching loss').length, 2);
  });

  test('older runs give no rows', () => {
    const [line] = collectLines([source('a', [run('ce-mean', 0, [1, 0.5])])]);
    assert.deepEqual(curveRows(line!, matchingLossPanels), []);
  });

  test('figure is skipped without values', () => {
    const figure = matchingFigure([run('ce-mean', 0, [1]), run('isbe-tanh', 0, [1])]);
    assert.equal(figure, undefined);
  });

  test('cross-entropy heads share a row', () => {
    const figure = matchingFigure([
      withMatching(run('ce-mean', 0, [1, 0.5]), [0.3, 0.2]),
      withMatching(run('isbe-softmax', 0, [1, 0.5]), [0.31, 0.21]),
      withMatching(run('isbe-tanh', 0, [1, 0.5]), [-6.6, -6.7]),
    ]);
    assert.ok(figure, 'no matching-loss figure');
    assert.equal(figure.section, 'curves');
    const rows = (figure.spec as unknown as { vconcat: SpecRow[] }).vconcat;
    assert.equal(rows.length, 2);
    assert.match(rows[0]!.title.text, /^Cross-entropy in nats, per image: CE heads and softmax$/);
    assert.equal(rows[1]!.title.text, 'tanh: ISBE matching loss per image');
    const headsOf = (row: SpecRow) => [...new Set(row.data.values.map((v) => v.head))];
    assert.deepEqual(headsOf(rows[0]!), ['ce-mean', 'isbe-softmax']);
    assert.deepEqual(headsOf(rows[1]!), ['isbe-tanh']);
    assert.match(figure.caption, /can be negative/);
  });

  test('head without one is named', () => {
    const figure = matchingFigure([
      withMatching(run('ce-mean', 0, [1]), [0.3]),
      withMatching(run('isbe-normalize', 0, [1]), null),
    ]);
    assert.ok(figure, 'no matching-loss figure');
    assert.match(figure.caption, /No matching loss recorded, so not drawn: isbe-normalize\./);
    const rows = (figure.spec as unknown as { vconcat: SpecRow[] }).vconcat;
    assert.equal(rows.length, 1);
  });

  test('figure renders without warnings', async () => {
    const figure = matchingFigure([
      withMatching(run('ce-mean', 0, [1, 0.5]), [0.3, 0.2]),
      withMatching(run('ce-mean', 1, [1, 0.5]), [0.35, 0.25]),
      withMatching(run('isbe-tanh', 0, [1, 0.5]), [-6.6, -6.7]),
    ]);
    assert.ok(figure, 'no matching-loss figure');
    const rendered = await renderSvg(figure.spec);
    assert.deepEqual(rendered.warnings, []);
    for (const text of ['train matching loss', 'validation matching loss', 'N0: matching loss']) {
      assert.ok(rendered.svg.includes(text), `the SVG lacks ${text}`);
    }
  });
});
