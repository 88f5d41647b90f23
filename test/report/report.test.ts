// Reports from a real training grid (N0 × 3 heads, 1,000 images, 2 epochs), written by the
// command line and opened in headless Chromium, which must draw every chart without errors.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe as suite, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { chromium } from 'playwright-core';
import sharp from 'sharp';

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
    await page.screenshot({ path: screenshot, fullPage: true });
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
  return check;
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
    assert.doesNotMatch(html, /\b(https?|ftp|file|data):/i);
    assert.doesNotMatch(html, /<(script|link|img|iframe)\b/i);
    assert.doesNotMatch(html, /\ssrc=/i);
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
      'tau-vs-paper',
      'accuracy-vs-paper',
    ]);
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
