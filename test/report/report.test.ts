// Reports from a real training grid (N0 × 3 heads, 1,000 images, 2 epochs), written by the
// command line and opened in headless Chromium, which must draw every chart without errors.
// A copy of the grid stripped to what older versions wrote checks that the report still works.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { after, before, describe as suite, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { chromium } from 'playwright-core';
import sharp from 'sharp';

import type { AgreementReport } from '../../src/experiments/agreement.js';
import { agreementSectionTitle } from '../../src/report/agreement-section.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const cli = join(root, 'bin', 'isbe.js');
const heads = ['ce-mean', 'isbe-softmax', 'isbe-tanh'];
const epochs = 2;

interface Manifest {
  figures: { id: string; title: string; svgFile: string; pngFile: string }[];
}

function isbe(...args: string[]) {
  const result = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function reportPath(stdout: string): string {
  const match = /^report: (.+\.html) \((\d+) charts\)$/m.exec(stdout);
  assert.ok(match, `no report line in the output:\n${stdout}`);
  return match[1]!;
}

function readManifest(reportDir: string): Manifest {
  return JSON.parse(readFileSync(join(reportDir, 'report.json'), 'utf8')) as Manifest;
}

interface PageCheck {
  errors: string[];
  failedRequests: string[];
  otherRequests: string[];
  statedCount: number;
  marksPerChart: Record<string, number>;
  symbolsPerChart: Record<string, number>;
  /** Decoded width of each image, 0 for one the browser could not decode. */
  imageWidths: number[];
}

// Opens the page in a fresh Chromium profile, counts what each chart drew and saves a
// full-page screenshot.
async function checkInChromium(htmlPath: string, screenshot: string): Promise<PageCheck> {
  const profile = mkdtempSync(join(tmpdir(), 'isbe-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const pageUrl = pathToFileURL(htmlPath).href;
  const check: PageCheck = {
    errors: [],
    failedRequests: [],
    otherRequests: [],
    statedCount: -1,
    marksPerChart: {},
    symbolsPerChart: {},
    imageWidths: [],
  };
  try {
    const page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') check.errors.push(message.text());
    });
    page.on('pageerror', (error) => check.errors.push(error.message));
    page.on('requestfailed', (request) => check.failedRequests.push(request.url()));
    page.on('request', (request) => {
      if (request.url() !== pageUrl) check.otherRequests.push(request.url());
    });
    await page.goto(pageUrl, { waitUntil: 'load' });
    check.statedCount = Number(await page.getAttribute('#chart-count', 'data-charts'));
    const counts = await page.$$eval('figure.chart', (figures) =>
      figures.map((figure) => ({
        id: figure.getAttribute('data-chart') ?? '',
        marks: figure.querySelectorAll('svg .role-mark > *').length,
        symbols: figure.querySelectorAll('svg .mark-symbol.role-mark > path').length,
      })),
    );
    for (const { id, marks, symbols } of counts) {
      check.marksPerChart[id] = marks;
      check.symbolsPerChart[id] = symbols;
    }
    check.imageWidths = await page.$$eval('img', (images) =>
      images.map((image) => (image as unknown as { naturalWidth: number }).naturalWidth),
    );
    await page.screenshot({ path: screenshot, fullPage: true });
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
  return check;
}

// Copies a grid without its tables and report, and without the matching losses in each
// epochs.jsonl, as versions before the agreement and the matching loss wrote it.
function olderGrid(gridDir: string, copy: string): string {
  cpSync(gridDir, copy, { recursive: true });
  rmSync(join(copy, 'tables'), { recursive: true, force: true });
  rmSync(join(copy, 'report'), { recursive: true, force: true });
  for (const name of readdirSync(join(copy, 'trainings'))) {
    const path = join(copy, 'trainings', name, 'epochs.jsonl');
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    const stripped = lines.map((line) => {
      const epoch = JSON.parse(line) as Record<string, unknown>;
      delete epoch.trainMatchingLoss;
      delete epoch.validationMatchingLoss;
      return JSON.stringify(epoch);
    });
    writeFileSync(path, `${stripped.join('\n')}\n`);
  }
  return copy;
}

suite('report of a training grid', () => {
  let runs = '';
  let gridDir = '';
  let htmlPath = '';
  let stdout = '';

  before(() => {
    runs = mkdtempSync(join(tmpdir(), 'isbe-report-'));
    const result = isbe(
      'reproduce',
      '--nets',
      'N0',
      '--heads',
      heads.join(','),
      '--epochs',
      String(epochs),
      '--limit',
      '1000',
      '--validation-size',
      '200',
      '--train-loss-images',
      '200',
      '--test-limit',
      '1000',
      '--runs-dir',
      runs,
    );
    assert.equal(result.status, 0, result.stderr);
    stdout = result.stdout;
    gridDir = /^run folder: (.+)$/m.exec(stdout)?.[1] ?? '';
    htmlPath = reportPath(stdout);
  });

  after(() => rmSync(runs, { recursive: true, force: true }));

  test('reproduce writes the report', () => {
    assert.equal(htmlPath, join(gridDir, 'report', 'report.html'));
    assert.ok(existsSync(htmlPath), `${htmlPath} is missing`);
  });

  test('every figure has SVG and PNG files', async () => {
    const reportDir = dirname(htmlPath);
    const { figures } = readManifest(reportDir);
    const charts = Number(/\((\d+) charts\)/.exec(stdout)?.[1]);
    assert.equal(figures.length, charts);
    for (const figure of figures) {
      const svg = readFileSync(join(reportDir, figure.svgFile), 'utf8');
      assert.match(svg, /^<svg /, `${figure.svgFile} is not an SVG`);
      const png = await sharp(join(reportDir, figure.pngFile)).metadata();
      assert.equal(png.format, 'png', figure.pngFile);
      assert.ok((png.width ?? 0) > 400, `${figure.pngFile} is ${png.width} pixels wide`);
    }
  });

  test('page is self-contained', () => {
    const html = readFileSync(htmlPath, 'utf8');
    assert.doesNotMatch(html, /\b(https?|ftp|file):/i);
    assert.doesNotMatch(html, /<(script|link|iframe|object|embed)\b/i);
    // The one kind of URL allowed: PNG images embedded as data: URIs.
    const dataUris = html.match(/\bdata:[^,"]*/gi) ?? [];
    assert.deepEqual([...new Set(dataUris)], ['data:image/png;base64']);
    const sources = html.match(/\ssrc="[^",]*/gi) ?? [];
    assert.deepEqual([...new Set(sources)], [' src="data:image/png;base64']);
  });

  test('page shows which images the heads get wrong', () => {
    const html = readFileSync(htmlPath, 'utf8');
    const agreement = JSON.parse(
      readFileSync(join(gridDir, 'tables', 'agreement.json'), 'utf8'),
    ) as AgreementReport;
    assert.ok(html.includes(`<h2 id="agreement">${agreementSectionTitle}</h2>`));
    assert.ok(html.includes(`<h4>N0: ${agreement.images} test images, 1 seed</h4>`), 'no matrix');
    for (const { head, wrong } of agreement.errors) {
      assert.ok(html.includes(`<td class="diagonal">${wrong}</td>`), `no diagonal cell of ${head}`);
    }
    assert.equal(agreement.pairs.length, 3);
    for (const { combined } of agreement.pairs) {
      const counts = `${combined.bothWrong} / ${combined.onlyFirst} / ${combined.onlySecond}`;
      assert.ok(html.includes(`<td>${counts}<br><span class="p">p `), `no cell ${counts}`);
    }
    assert.ok(!html.includes('<th>seed 0</th>'), 'a per-seed table for one seed');
  });

  test('page embeds and lists the hardest images', () => {
    const html = readFileSync(htmlPath, 'utf8');
    const agreement = JSON.parse(
      readFileSync(join(gridDir, 'tables', 'agreement.json'), 'utf8'),
    ) as AgreementReport;
    const png = readFileSync(join(gridDir, 'tables', 'hardest-images.png'));
    assert.ok(html.includes(`src="data:image/png;base64,${png.toString('base64')}"`));
    assert.ok(agreement.hardest.length > 0, 'agreement.json lists no hardest image');
    for (const image of agreement.hardest) {
      const row =
        `<tr><td>${image.index}</td><td>${image.label}</td><td>${image.commonWrong}</td>` +
        `<td>${image.missed}/${image.runs}</td></tr>`;
      assert.ok(html.includes(row), `no row for test image ${image.index}`);
    }
  });

  test('matching-loss figure of the network', () => {
    const reportDir = dirname(htmlPath);
    const ids = readManifest(reportDir).figures.map((figure) => figure.id);
    assert.ok(ids.includes('N0-matching-loss'), ids.join(', '));
    const svg = readFileSync(join(reportDir, 'N0-matching-loss.svg'), 'utf8');
    for (const text of ['train matching loss', 'validation matching loss', 'CE mean', 'tanh']) {
      assert.ok(svg.includes(text), `the SVG lacks ${text}`);
    }
  });

  test('page names the tables and configuration', () => {
    const html = readFileSync(htmlPath, 'utf8');
    for (const title of ['Table 1', 'Table 2', 'Table 3', 'Table 4', 'grid.json', 'libtorch']) {
      assert.ok(html.includes(title), `the page does not mention ${title}`);
    }
  });

  test('Chromium draws every chart', async (t) => {
    const outputDir = join(root, 'test-output');
    mkdirSync(outputDir, { recursive: true });
    const screenshot = join(outputDir, 'report-page.png');
    const check = await checkInChromium(htmlPath, screenshot);
    t.diagnostic(`screenshot: ${screenshot}`);
    console.log(`screenshot: ${screenshot}`);

    assert.deepEqual(check.errors, []);
    assert.deepEqual(check.failedRequests, []);
    assert.deepEqual(check.otherRequests, []);
    const { figures } = readManifest(dirname(htmlPath));
    assert.equal(check.statedCount, figures.length);
    assert.deepEqual(
      Object.keys(check.marksPerChart),
      figures.map((figure) => figure.id),
    );
    for (const [id, marks] of Object.entries(check.marksPerChart)) {
      assert.ok(marks > 0, `chart ${id} drew no marks`);
    }
    // One point per head, epoch and panel (validation and test accuracy).
    assert.equal(check.symbolsPerChart['N0-all-heads-accuracy'], heads.length * epochs * 2);
    // One point per head, epoch and panel (train and validation matching loss).
    assert.equal(check.symbolsPerChart['N0-matching-loss'], heads.length * epochs * 2);
    assert.equal(check.imageWidths.length, 1);
    assert.ok(check.imageWidths[0]! > 400, `the hardest images are ${check.imageWidths[0]} wide`);
    const png = await sharp(screenshot).metadata();
    assert.ok((png.height ?? 0) > 2000, `the screenshot is only ${png.height} pixels high`);
  });

  test('report command on a training folder', () => {
    const trainingDir = join(gridDir, 'trainings', 'N0-isbe-softmax-s0');
    const result = isbe('report', trainingDir);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(reportPath(result.stdout), join(trainingDir, 'report', 'report.html'));
    const ids = readManifest(join(trainingDir, 'report')).figures.map((figure) => figure.id);
    assert.deepEqual(ids, [
      'N0-all-heads-loss',
      'N0-all-heads-accuracy',
      'N0-matching-loss',
      'tau-vs-paper',
      'accuracy-vs-paper',
    ]);
    const html = readFileSync(join(trainingDir, 'report', 'report.html'), 'utf8');
    assert.ok(!html.includes(agreementSectionTitle), 'a training folder has an agreement section');
  });

  test('grid from an older version', () => {
    const older = olderGrid(gridDir, join(runs, 'older'));
    const result = isbe('report', older);
    assert.equal(result.status, 0, result.stderr);
    const ids = readManifest(join(older, 'report')).figures.map((figure) => figure.id);
    assert.ok(ids.includes('N0-all-heads-loss'), ids.join(', '));
    assert.ok(!ids.includes('N0-matching-loss'), ids.join(', '));
    const html = readFileSync(join(older, 'report', 'report.html'), 'utf8');
    assert.ok(!html.includes(agreementSectionTitle), 'the page has an agreement section');
    assert.ok(!html.includes('<img'), 'the page has an image');
  });

  test('compare shows the agreement it has', () => {
    const older = join(runs, 'older');
    if (!existsSync(older)) olderGrid(gridDir, older);
    const out = join(runs, 'compared-grids');
    const result = isbe('compare', gridDir, older, '--out', out);
    assert.equal(result.status, 0, result.stderr);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    const start = html.indexOf(`<h2 id="agreement">${agreementSectionTitle}</h2>`);
    assert.ok(start >= 0, 'the page has no agreement section');
    const section = html.slice(start, html.indexOf('<h2', start + 1));
    const labels = [...section.matchAll(/<h3>([^<]+)<\/h3>/g)].map((m) => m[1]);
    assert.deepEqual(labels, [basename(gridDir)]);
  });

  test('compare draws both runs in one chart', () => {
    const first = join(gridDir, 'trainings', 'N0-ce-mean-s0');
    const second = join(gridDir, 'trainings', 'N0-isbe-tanh-s0');
    const out = join(runs, 'compared');
    const result = isbe('compare', first, second, '--out', out);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(reportPath(result.stdout), join(out, 'report.html'));
    const svg = readFileSync(join(out, 'N0-all-heads-accuracy.svg'), 'utf8');
    for (const label of ['N0-ce-mean-s0', 'N0-isbe-tanh-s0']) {
      assert.ok(svg.includes(label), `the legend lacks ${label}`);
    }
  });

  test('compare rejects a single folder', () => {
    const result = isbe('compare', gridDir);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /at least two run folders/);
  });

  test('report rejects a folder without runs', () => {
    const result = isbe('report', runs);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /neither a grid folder .* nor a training run folder/);
  });
});
