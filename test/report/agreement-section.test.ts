// The report section on which test images the heads get wrong, built from a hand-made
// agreement.json whose counts add up. Each head's wrong images per seed are both wrong plus
// only that head wrong. The combined p of 5 against 3 is 2 (1 + 8 + 28 + 56) / 256.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe as suite, test } from 'node:test';

import {
  type AgreementReport,
  combinationDescription,
  mcnemarDescription,
} from '../../src/experiments/agreement.js';
import { agreementFiles, tablesDir } from '../../src/experiments/write.js';
import { agreementSection, agreementSectionTitle } from '../../src/report/agreement-section.js';
import { escapeHtml } from '../../src/report/markup.js';
import {
  agreementPaths,
  type GridAgreement,
  readGridAgreement,
  type ReportSource,
} from '../../src/report/sources.js';

function twoSeeds(): AgreementReport {
  return {
    test: mcnemarDescription,
    combination: combinationDescription,
    images: 100,
    nets: ['N0', 'N1'],
    heads: ['ce-mean', 'isbe-tanh'],
    seeds: [0, 1],
    errors: [
      { net: 'N0', head: 'ce-mean', seed: 0, wrong: 5 },
      { net: 'N0', head: 'ce-mean', seed: 1, wrong: 7 },
      { net: 'N0', head: 'isbe-tanh', seed: 0, wrong: 4 },
      { net: 'N0', head: 'isbe-tanh', seed: 1, wrong: 6 },
    ],
    pairs: [
      {
        net: 'N0',
        first: 'ce-mean',
        second: 'isbe-tanh',
        perSeed: [
          { seed: 0, bothWrong: 3, onlyFirst: 2, onlySecond: 1, bothRight: 94, pValue: 1 },
          { seed: 1, bothWrong: 4, onlyFirst: 3, onlySecond: 2, bothRight: 91, pValue: 1 },
        ],
        combined: { bothWrong: 7, onlyFirst: 5, onlySecond: 3, bothRight: 185, pValue: 0.7265625 },
      },
    ],
    hardest: [
      { index: 12, label: 3, missed: 4, runs: 4, commonWrong: 5, wrongClasses: { 5: 3, 8: 1 } },
      { index: 40, label: 9, missed: 3, runs: 4, commonWrong: 4, wrongClasses: { 4: 3 } },
    ],
  };
}

// The same grid with seed 0 alone.
function oneSeed(): AgreementReport {
  const report = twoSeeds();
  const pair = report.pairs[0]!;
  const seed0 = pair.perSeed[0]!;
  return {
    ...report,
    seeds: [0],
    errors: report.errors.filter((e) => e.seed === 0),
    pairs: [{ ...pair, perSeed: [seed0], combined: { ...seed0, pValue: 1 } }],
  };
}

function gridSource(label: string, agreement: GridAgreement | null): ReportSource {
  return {
    dir: `/runs/${label}`,
    label,
    kind: 'grid',
    grid: null,
    records: [],
    finished: [],
    nets: ['N0'],
    heads: ['ce-mean', 'isbe-tanh'],
    agreement,
  };
}

const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);

suite('agreement section', () => {
  test('sources without agreement give nothing', () => {
    assert.equal(agreementSection([gridSource('a', null)]), '');
  });

  test('matrix of summed counts', () => {
    const html = agreementSection([gridSource('a', { report: twoSeeds(), hardestImagesPng: png })]);
    assert.ok(html.includes(`<h2 id="agreement">${agreementSectionTitle}</h2>`), html);
    assert.ok(html.includes('<h4>N0: 100 test images, 2 seeds</h4>'), html);
    assert.ok(html.includes('<td class="diagonal">12</td>'), 'CE mean: 5 + 7');
    assert.ok(html.includes('<td class="diagonal">10</td>'), 'tanh: 4 + 6');
    assert.ok(html.includes('<td>7 / 5 / 3<br><span class="p">p 0.727</span></td>'), html);
  });

  test('network without runs is left out', () => {
    const html = agreementSection([gridSource('a', { report: twoSeeds(), hardestImagesPng: png })]);
    assert.ok(!html.includes('<h4>N1'), html);
  });

  test('per-seed counts with several seeds', () => {
    const html = agreementSection([gridSource('a', { report: twoSeeds(), hardestImagesPng: png })]);
    assert.ok(html.includes('<th>seed 0</th><th>seed 1</th>'), html);
    assert.ok(html.includes('<tr><td>CE mean: wrong</td><td>5</td><td>7</td></tr>'), html);
    assert.ok(html.includes('<td>3 / 2 / 1, p 1.000</td><td>4 / 3 / 2, p 1.000</td>'), html);
    assert.ok(html.includes(escapeHtml(combinationDescription)), 'no combination legend');
  });

  test('one seed has no per-seed table', () => {
    const html = agreementSection([gridSource('a', { report: oneSeed(), hardestImagesPng: png })]);
    assert.ok(html.includes('<h4>N0: 100 test images, 1 seed</h4>'), html);
    assert.ok(!html.includes('seed 0</th>'), html);
    assert.ok(!html.includes(escapeHtml(combinationDescription)), 'combination legend present');
    assert.ok(html.includes(escapeHtml(mcnemarDescription)), 'no McNemar legend');
  });

  test('hardest images embedded and listed', () => {
    const html = agreementSection([gridSource('a', { report: twoSeeds(), hardestImagesPng: png })]);
    assert.ok(html.includes(`src="data:image/png;base64,${png.toString('base64')}"`), html);
    assert.ok(html.includes('<tr><td>12</td><td>3</td><td>5</td><td>4/4</td></tr>'), html);
    assert.ok(html.includes('<tr><td>40</td><td>9</td><td>4</td><td>3/4</td></tr>'), html);
  });

  test('missing PNG keeps the table', () => {
    const html = agreementSection([
      gridSource('a', { report: twoSeeds(), hardestImagesPng: null }),
    ]);
    assert.ok(!html.includes('<img'), html);
    assert.match(html, /hardest-images\.png is missing/);
    assert.ok(html.includes('<tr><td>12</td><td>3</td><td>5</td><td>4/4</td></tr>'), html);
  });

  test('each source with agreement', () => {
    const html = agreementSection([
      gridSource('first', { report: twoSeeds(), hardestImagesPng: png }),
      gridSource('second', null),
      gridSource('third', { report: oneSeed(), hardestImagesPng: null }),
    ]);
    assert.equal(html.match(/<h2 /g)?.length, 1);
    assert.deepEqual(
      [...html.matchAll(/<h3>([^<]+)<\/h3>/g)].map((m) => m[1]),
      ['first', 'third'],
    );
  });
});

suite('agreement files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'isbe-report-agreement-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  function grid(name: string, json: string | null, image: Buffer | null): string {
    const gridDir = join(dir, name);
    mkdirSync(join(gridDir, 'tables'), { recursive: true });
    if (json !== null) writeFileSync(join(gridDir, agreementPaths.json), json);
    if (image !== null) writeFileSync(join(gridDir, agreementPaths.hardestImages), image);
    return gridDir;
  }

  test('paths match what the grid writes', () => {
    assert.equal(agreementPaths.json, join(tablesDir, agreementFiles.json));
    assert.equal(agreementPaths.hardestImages, join(tablesDir, agreementFiles.hardestImages));
  });

  test('grid without agreement.json', () => {
    assert.equal(readGridAgreement(grid('none', null, png)), null);
  });

  test('agreement.json and PNG read back', () => {
    const agreement = readGridAgreement(grid('both', JSON.stringify(twoSeeds()), png));
    assert.deepEqual(agreement?.report, twoSeeds());
    assert.deepEqual(agreement?.hardestImagesPng, png);
  });

  test('PNG is optional', () => {
    const agreement = readGridAgreement(grid('json', JSON.stringify(twoSeeds()), null));
    assert.equal(agreement?.hardestImagesPng, null);
  });

  test('invalid JSON is rejected', () => {
    const gridDir = grid('broken', '{"nets": [', null);
    assert.throws(() => readGridAgreement(gridDir), /agreement\.json is not valid JSON .*--resume/);
  });

  test('missing fields are named', () => {
    const partial: Partial<AgreementReport> = twoSeeds();
    delete partial.pairs;
    delete partial.images;
    const gridDir = grid('partial', JSON.stringify(partial), null);
    assert.throws(
      () => readGridAgreement(gridDir),
      /is not an agreement report: it lacks images, pairs;/,
    );
  });
});
