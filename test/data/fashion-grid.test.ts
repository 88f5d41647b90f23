// A reproduction grid on Fashion-MNIST through the command line: two heads, one seed,
// 256 training and 200 test images, without the HTML report.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const cli = join(root, 'bin', 'isbe.js');

describe('fashion-mnist grid', () => {
  let runsDir: string;
  let gridDir: string;
  let status: number | null;
  let stderr: string;

  before(() => {
    runsDir = mkdtempSync(join(tmpdir(), 'isbe-fashion-'));
    const args = [
      cli,
      'reproduce',
      '--dataset',
      'fashion-mnist',
      '--nets',
      'N0',
      '--heads',
      'ce-mean,isbe-sigmoid',
      '--limit',
      '256',
      '--test-limit',
      '200',
      '--train-loss-images',
      '100',
      '--threads',
      '1',
      '--no-report',
      '--runs-dir',
      runsDir,
    ];
    const result = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
    status = result.status;
    stderr = result.stderr;
    gridDir = join(runsDir, readdirSync(runsDir)[0] as string);
  });

  after(() => rmSync(runsDir, { recursive: true, force: true }));

  test('exits with 0', () => {
    assert.equal(status, 0, stderr);
  });

  test('runs record the data set', () => {
    const file = join(gridDir, 'trainings', 'N0-ce-mean-s0', 'config.json');
    const { config } = JSON.parse(readFileSync(file, 'utf8'));
    assert.equal(config.dataset, 'fashion-mnist');
  });

  test('tables and agreement with class names', () => {
    const tables = readFileSync(join(gridDir, 'tables', 'tables.md'), 'utf8');
    assert.match(tables, /Table 3: α, test accuracy/);
    assert.doesNotMatch(tables, /\(paper /, "the paper's MNIST values do not apply");
    assert.match(tables, /no paper values, because the paper reports MNIST only/);
    const agreement = readFileSync(join(gridDir, 'tables', 'agreement.md'), 'utf8');
    assert.match(
      agreement,
      /\| \d+ \| \d \((T-shirt\/top|Trouser|Pullover|Dress|Coat|Sandal|Shirt|Sneaker|Bag|Ankle boot)\) \|/,
    );
  });
});
