// The command line over several seeds: `isbe reproduce --seeds 3` writes tables with
// intervals and the agreement files, `isbe train --seeds 2` writes a seed summary, and
// `isbe verify` reports every check. Trainings are tiny: 256 images, 200 test images.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const cli = join(root, 'bin', 'isbe.js');
const small = [
  '--limit',
  '256',
  '--test-limit',
  '200',
  '--validation-size',
  '300',
  '--train-loss-images',
  '100',
  '--no-augment',
  '--threads',
  '1',
];

function isbe(...args: string[]) {
  const result = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function onlyFolder(parent: string): string {
  const names = readdirSync(parent);
  assert.equal(names.length, 1, `expected one folder in ${parent}, got ${names.join(', ')}`);
  return join(parent, names[0] as string);
}

describe('reproduce with three seeds', () => {
  let runsDir: string;
  let output: ReturnType<typeof isbe>;
  let gridDir: string;

  before(() => {
    runsDir = mkdtempSync(join(tmpdir(), 'isbe-seeds-'));
    output = isbe(
      'reproduce',
      '--seeds',
      '3',
      '--nets',
      'N0',
      '--heads',
      'ce-mean,isbe-softmax',
      '--epochs',
      '2',
      '--no-report',
      '--runs-dir',
      runsDir,
      ...small,
    );
    gridDir = onlyFolder(runsDir);
  });

  after(() => rmSync(runsDir, { recursive: true, force: true }));

  test('exits with 0', () => {
    assert.equal(output.status, 0, output.stderr);
  });

  test('six trainings paired by seed', () => {
    const names = readdirSync(join(gridDir, 'trainings')).sort();
    assert.deepEqual(names, [
      'N0-ce-mean-s0',
      'N0-ce-mean-s1',
      'N0-ce-mean-s2',
      'N0-isbe-softmax-s0',
      'N0-isbe-softmax-s1',
      'N0-isbe-softmax-s2',
    ]);
  });

  test('tables carry intervals over 3 seeds', () => {
    const tables = readFileSync(join(gridDir, 'tables', 'tables.md'), 'utf8');
    assert.match(tables, /over 3 seeds/);
    assert.match(tables, /\| N0 \| -?\d+\.\d\d ± \d+\.\d\d \[-?\d+\.\d\d, -?\d+\.\d\d\]/);
    const csv = readFileSync(join(gridDir, 'tables', 'table4-delta-accuracy.csv'), 'utf8');
    const row = csv.trim().split('\n')[1]?.split(',') ?? [];
    assert.equal(row[2], '3', 'n of the Δα cell');
  });

  test('agreement matrix printed and written', () => {
    assert.match(output.stdout, /### Agreement: which test images the heads get wrong/);
    assert.match(output.stdout, /\| CE mean \| \*\*\d+\*\* \| \d+ \/ \d+ \/ \d+, p /);
    const report = JSON.parse(readFileSync(join(gridDir, 'tables', 'agreement.json'), 'utf8'));
    assert.equal(report.images, 200);
    assert.deepEqual(report.seeds, [0, 1, 2]);
    assert.equal(report.pairs.length, 1);
    assert.equal(report.pairs[0].perSeed.length, 3);
    const { bothWrong, onlyFirst, onlySecond, bothRight } = report.pairs[0].combined;
    assert.equal(bothWrong + onlyFirst + onlySecond + bothRight, 3 * 200);
    assert.ok(existsSync(join(gridDir, 'tables', 'hardest-images.png')));
  });

  test('epochs record the matching loss', () => {
    const lines = readFileSync(
      join(gridDir, 'trainings', 'N0-isbe-softmax-s0', 'epochs.jsonl'),
      'utf8',
    )
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    assert.equal(lines.length, 2);
    for (const epoch of lines) {
      assert.equal(typeof epoch.validationMatchingLoss, 'number');
      assert.equal(typeof epoch.trainMatchingLoss, 'number');
      assert.ok(epoch.validationMatchingLoss > 0);
    }
  });
});

describe('train with two seeds', () => {
  let runsDir: string;

  before(() => {
    runsDir = mkdtempSync(join(tmpdir(), 'isbe-train-seeds-'));
  });

  after(() => rmSync(runsDir, { recursive: true, force: true }));

  test('sub-folders and summary', () => {
    const output = isbe(
      'train',
      '--seeds',
      '2',
      '--seed',
      '4',
      '--net',
      'N0',
      '--head',
      'isbe-sigmoid',
      '--class-weights',
      '1,1,1,1,1,1,1,1,1,2',
      '--ignore-index',
      '3',
      '--isbe-reduction',
      'mean',
      '--runs-dir',
      runsDir,
      ...small,
    );
    assert.equal(output.status, 0, output.stderr);
    const dir = onlyFolder(runsDir);
    assert.deepEqual(readdirSync(join(dir, 'trainings')).sort(), [
      'N0-isbe-sigmoid-s4',
      'N0-isbe-sigmoid-s5',
    ]);
    const summary = JSON.parse(readFileSync(join(dir, 'seeds.json'), 'utf8'));
    assert.deepEqual(summary.seeds, [4, 5]);
    const accuracies = summary.runs.map((run: { testAccuracy: number }) => run.testAccuracy);
    assert.equal(summary.testAccuracy.mean, (accuracies[0] + accuracies[1]) / 2);
    assert.equal(summary.testAccuracy.ci.length, 2);
    assert.match(output.stdout, /\| mean ± sd \[95 % CI\] \|/);
    const config = JSON.parse(
      readFileSync(join(dir, 'trainings', 'N0-isbe-sigmoid-s4', 'config.json'), 'utf8'),
    );
    assert.deepEqual(config.config.classWeights, [1, 1, 1, 1, 1, 1, 1, 1, 1, 2]);
    assert.equal(config.config.ignoreIndex, 3);
    assert.equal(config.config.isbeReduction, 'mean');
  });

  test('wrong number of class weights', () => {
    const output = isbe(
      'train',
      '--net',
      'N0',
      '--class-weights',
      '1,2,3',
      '--runs-dir',
      runsDir,
      ...small,
    );
    assert.equal(output.status, 1);
    assert.match(output.stderr, /class weights has 3 values but the data set has 10 classes/);
  });
});

describe('verify command', () => {
  test('prints every check and exits with 0', () => {
    const output = isbe('verify', '--batch-size', '16', '--points', '4');
    assert.equal(output.status, 0, output.stderr);
    const groups = [
      'ISBE error = loss gradient (real batch)',
      'Theorem 1: the softmax trick holds only for softmax(x − c)',
      'Theorem 2: dilated softmax(d ⊙ x − c)',
    ];
    for (const group of groups) {
      assert.match(
        output.stdout,
        new RegExp(`^${group.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'),
      );
    }
    assert.match(
      output.stdout,
      /ok {4}softmax: J = diag\(y\) − yyᵀ +deviation +\S+ +tolerance 1\.0e-12 +holds as expected/,
    );
    assert.match(
      output.stdout,
      /sigmoid: J·\(−y°\/y\) = y − y° +deviation +\S+ +tolerance 1\.0e-10 +fails as expected/,
    );
    assert.match(output.stdout, /(\d+) of \1 checks gave the expected outcome/);
  });

  test('json lines', () => {
    const output = isbe('verify', '--batch-size', '8', '--points', '2', '--json');
    assert.equal(output.status, 0, output.stderr);
    const checks = output.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    assert.ok(checks.length > 30);
    assert.ok(checks.every((check) => check.passed === true));
  });
});
