// Invalid options and paths given to the CLI: each gets a message that states what is wrong
// and how to fix it, exit code 1, nothing on stdout and no run or grid folder.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { entries, runCli, temporaryFolder } from './helpers.js';

const heads =
  'ce-none, ce-mean, ce-sum, isbe-softmax, isbe-sigmoid, isbe-tanh, isbe-hardtanh, ' +
  'isbe-hardsigmoid, isbe-scaled-hardtanh, isbe-normalize';
const usageHint = '(run with --help for usage)';

// Commander's report of an option value that its parser rejects.
function invalidValue(option: string, value: string, rule: string): string {
  return `error: option '${option}' argument '${value}' is invalid. ${rule}\n${usageHint}\n`;
}

interface Case {
  name: string;
  args: string[];
  /** The whole of stderr; RUNS stands for the runs folder. */
  stderr: string;
}

const unknownNetwork = (name: string) =>
  `isbe: error: unknown network '${name}'; use N0, N1, N1r or a description such as ` +
  "'C32k3s2 C64k3s2 D20 F512 F10'\n";

const cases: Case[] = [
  { name: 'unknown network', args: ['train', '--net', 'N9'], stderr: unknownNetwork('N9') },
  {
    name: 'network description with a bad layer',
    args: ['train', '--net', 'C32k3 X7 F10'],
    stderr:
      "isbe: error: cannot parse layer 'X7'; expected C<channels>k<kernel>[s<stride>] " +
      '(optionally prefixed with p), D<percent>, M<size> or F<features>[nb], for example ' +
      'C32k3s2 D20 F512\n',
  },
  {
    name: 'network with zero channels',
    args: ['train', '--net', 'C0k3s2 F10'],
    stderr: "isbe: error: layer 'C0k3s2': the channel count must be a positive integer, got 0\n",
  },
  {
    name: 'network with the wrong class count',
    args: ['train', '--net', 'C8k3s2 F12', '--limit', '100'],
    stderr:
      'isbe: error: C8k3s2 F12 ends with 12 outputs but the data have 10 classes; make the ' +
      'last layer F10\n',
  },
  {
    name: 'unknown head',
    args: ['train', '--head', 'isbe-softmx'],
    stderr:
      "error: option '--head <head>' argument 'isbe-softmx' is invalid. Allowed choices are " +
      `${heads}.\n${usageHint}\n`,
  },
  {
    name: 'zero epochs',
    args: ['train', '--epochs', '0'],
    stderr: invalidValue('--epochs <n>', '0', 'It must be an integer of at least 1.'),
  },
  {
    name: 'negative epochs',
    args: ['train', '--epochs', '-3'],
    stderr: invalidValue('--epochs <n>', '-3', 'It must be an integer of at least 1.'),
  },
  {
    name: 'zero batch size',
    args: ['train', '--batch-size', '0'],
    stderr: invalidValue('--batch-size <n>', '0', 'It must be an integer of at least 1.'),
  },
  {
    name: 'negative batch size',
    args: ['train', '--batch-size', '-32'],
    stderr: invalidValue('--batch-size <n>', '-32', 'It must be an integer of at least 1.'),
  },
  {
    name: 'fractional batch size',
    args: ['train', '--batch-size', '2.5'],
    stderr: invalidValue('--batch-size <n>', '2.5', 'It must be an integer of at least 1.'),
  },
  {
    name: 'learning rate not a number',
    args: ['train', '--lr', 'fast'],
    stderr: invalidValue('--lr <rate>', 'fast', 'It must be a number in (0, 10).'),
  },
  {
    name: 'zero learning rate',
    args: ['train', '--lr', '0'],
    stderr: invalidValue('--lr <rate>', '0', 'It must be a number in (0, 10).'),
  },
  {
    name: 'negative learning rate',
    args: ['train', '--lr', '-0.1'],
    stderr: invalidValue('--lr <rate>', '-0.1', 'It must be a number in (0, 10).'),
  },
  {
    name: 'NaN learning rate',
    args: ['train', '--lr', 'NaN'],
    stderr: invalidValue('--lr <rate>', 'NaN', 'It must be a number in (0, 10).'),
  },
  {
    name: 'μ not a number',
    args: ['train', '--blur', 'small'],
    stderr: invalidValue('--blur <mu>', 'small', 'It must be a number in [0, 1).'),
  },
  {
    name: 'μ of 1',
    args: ['train', '--blur', '1'],
    stderr: invalidValue('--blur <mu>', '1', 'It must be a number in [0, 1).'),
  },
  {
    name: 'negative μ',
    args: ['train', '--blur', '-0.01'],
    stderr: invalidValue('--blur <mu>', '-0.01', 'It must be a number in [0, 1).'),
  },
  {
    name: 'μ for reproduce',
    args: ['reproduce', '--blur', '2'],
    stderr: invalidValue('--blur <mu>', '2', 'It must be a number in [0, 1).'),
  },
  {
    name: 'missing data folder',
    args: ['train', '--data', '/nonexistent/mnist'],
    stderr:
      'isbe: error: data folder /nonexistent/mnist does not exist or is not a folder; give ' +
      'the folder that holds the four MNIST IDX files: train-images-idx3-ubyte, ' +
      'train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte\n',
  },
  {
    name: 'validation set too large',
    args: ['train', '--validation-size', '60000'],
    stderr:
      'isbe: error: validation size must be an integer in [1, 59999] for 60000 training ' +
      'images, got 60000\n',
  },
  {
    name: 'unknown option',
    args: ['train', '--epoch', '2'],
    stderr: `error: unknown option '--epoch'\n(Did you mean --epochs?)\n${usageHint}\n`,
  },
  {
    name: 'unknown command',
    args: ['trian'],
    stderr: `error: unknown command 'trian'\n(Did you mean train?)\n${usageHint}\n`,
  },
  {
    name: 'options with --resume',
    args: ['train', '--resume', 'RUNS', '--lr', '0.01', '--epochs', '3'],
    stderr:
      'isbe: error: --resume continues a run with the settings it started with; drop --epochs, ' +
      '--lr\n',
  },
  {
    name: 'resume of a missing folder',
    args: ['train', '--resume', 'RUNS/nothing-here'],
    stderr: 'isbe: error: run folder RUNS/nothing-here does not exist\n',
  },
  {
    name: 'resume of a folder that is not a run',
    args: ['train', '--resume', 'RUNS'],
    stderr:
      'isbe: error: RUNS has no config.json, so it is not a run folder or its run never ' +
      'started; start a new run instead\n',
  },
  {
    name: 'reproduce with an unknown head',
    args: ['reproduce', '--heads', 'ce-mean,isbe-softmx'],
    stderr: `isbe: error: unknown heads: isbe-softmx; known heads: ${heads}\n`,
  },
  {
    name: 'reproduce with an unknown network',
    args: ['reproduce', '--nets', 'N0,N2'],
    stderr: unknownNetwork('N2'),
  },
  {
    name: 'reproduce with a missing data folder',
    args: ['reproduce', '--nets', 'N0', '--data', '/nonexistent/mnist'],
    stderr:
      'isbe: error: data folder /nonexistent/mnist does not exist or is not a folder; give ' +
      'the folder that holds the four MNIST IDX files: train-images-idx3-ubyte, ' +
      'train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte\n',
  },
  {
    name: 'reproduce --resume of a folder that is not a grid',
    args: ['reproduce', '--resume', 'RUNS'],
    stderr: 'isbe: error: RUNS is not a grid folder: it has no grid.json\n',
  },
  {
    name: 'reproduce --resume with settings',
    args: ['reproduce', '--resume', 'RUNS', '--epochs', '7', '--seeds', '2'],
    stderr:
      'isbe: error: --resume continues a grid with the settings it started with; drop ' +
      '--epochs, --seeds\n',
  },
  {
    name: '--data with another data set',
    args: ['train', '--data', '/nonexistent/mnist', '--dataset', 'fashion-mnist'],
    stderr:
      'isbe: error: --data reads MNIST-format IDX files in place of a bundled data set; drop ' +
      '--dataset fashion-mnist or --data\n',
  },
  {
    name: 'reproduce with no heads',
    args: ['reproduce', '--heads', ''],
    stderr: 'isbe: error: --heads needs at least one head\n',
  },
  {
    name: 'seed above 32 bits',
    args: ['train', '--seed', '4294967296'],
    stderr: invalidValue('--seed <n>', '4294967296', 'It must be an integer in [0, 4294967295].'),
  },
  {
    name: 'empty run name',
    args: ['train', '--name', ''],
    stderr: invalidValue(
      '--name <name>',
      '',
      'It must be a non-empty folder name without slashes.',
    ),
  },
  {
    name: 'run name with a slash',
    args: ['train', '--name', 'a/b'],
    stderr: invalidValue(
      '--name <name>',
      'a/b',
      'It must be a non-empty folder name without slashes.',
    ),
  },
  {
    name: 'too many verify points',
    args: ['verify', '--points', '1000000'],
    stderr: invalidValue('--points <n>', '1000000', 'It must be an integer in [1, 10000].'),
  },
];

// Keeps the lines the user reads: reproduce prints its configuration before loading data.
function withoutConfiguration(stderr: string): string {
  return stderr
    .split('\n')
    .filter((line) => line !== 'configuration:' && !line.startsWith('  '))
    .join('\n');
}

describe('invalid command lines', () => {
  for (const item of cases) {
    test(item.name, (t) => {
      const runsDir = temporaryFolder(t, 'cli');
      const args = item.args.map((arg) => arg.replaceAll('RUNS', runsDir));
      const runsOption = args.includes('--resume') ? [] : ['--runs-dir', runsDir];
      const result = runCli([...args, ...runsOption]);
      assert.equal(result.status, 1, result.stderr);
      assert.equal(withoutConfiguration(result.stderr), item.stderr.replaceAll('RUNS', runsDir));
      assert.equal(result.stdout, '');
      assert.deepEqual(entries(runsDir), [], 'a folder was left in the runs folder');
    });
  }

  test('train --resume of a reproduce grid', (t) => {
    const root = temporaryFolder(t, 'cli');
    const grid = { nets: ['N0'], heads: ['ce-mean', 'isbe-softmax'], seeds: [0], base: {} };
    writeFileSync(join(root, 'grid.json'), JSON.stringify(grid));
    const result = runCli(['train', '--resume', root]);
    assert.equal(result.status, 1);
    assert.equal(
      result.stderr,
      `isbe: error: ${root} is a grid from isbe reproduce (networks N0; heads ce-mean, ` +
        `isbe-softmax); continue it with: isbe reproduce --resume ${root}\n`,
    );
    assert.deepEqual(entries(root), ['grid.json']);
  });

  test('network too large for memory', (t) => {
    const runsDir = temporaryFolder(t, 'cli');
    const result = runCli(['train', '--net', 'F99999999999 F10', '--runs-dir', runsDir]);
    assert.equal(result.status, 1);
    assert.match(
      result.stderr,
      /^isbe: error: F99999999999 F10 layer 1 \(F99999999999\): the network would have 7\.85e\+13 parameters \(\d+ GiB\), more than this machine's memory \(\d+ GiB\); use fewer or narrower layers\n$/,
    );
    assert.deepEqual(entries(runsDir), []);
  });

  test('compare --out naming a file', (t) => {
    const root = temporaryFolder(t, 'cli');
    const file = join(root, 'a-file');
    writeFileSync(file, 'not a folder\n');
    const result = runCli(['compare', root, join(root, 'other'), '--out', file], root);
    assert.equal(result.status, 1);
    assert.equal(
      result.stderr,
      `isbe: error: --out ${file} is a file; give a folder for the report\n`,
    );
    assert.deepEqual(entries(root), ['a-file']);
  });

  test('compare of folders that are not runs', (t) => {
    const root = temporaryFolder(t, 'cli');
    const result = runCli(['compare', join(root, 'a'), join(root, 'b')], root);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /^isbe: error: /);
    assert.deepEqual(entries(join(root, 'runs')), [], 'no compare folder is left behind');
  });

  for (const command of ['train', 'reproduce']) {
    test(`${command} into a path under a file`, (t) => {
      const root = temporaryFolder(t, 'cli');
      const file = join(root, 'a-file');
      writeFileSync(file, 'not a folder\n');
      const result = runCli([command, '--runs-dir', join(file, 'runs'), '--limit', '100']);
      assert.equal(result.status, 1);
      assert.equal(
        result.stderr,
        `isbe: error: cannot create a run folder in ${file}/runs: ENOTDIR: not a directory, ` +
          `mkdir '${file}/runs'; choose a writable folder with --runs-dir\n`,
      );
      assert.deepEqual(entries(root), ['a-file']);
    });
  }
});
