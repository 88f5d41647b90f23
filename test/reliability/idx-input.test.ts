// Damaged or unsuitable IDX files given to `isbe train --data`: each gets one error line
// naming the file, the problem and the fix, exit code 1, and no run folder.
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';

import {
  cyclicLabels,
  entries,
  errorLine,
  type IdxFolder,
  idxBytes,
  imagesIdx,
  labelsIdx,
  runCli,
  temporaryFolder,
  validIdxFolder,
  writeIdxFolder,
} from './helpers.js';

const trainImages = 'train-images-idx3-ubyte';
const trainLabels = 'train-labels-idx1-ubyte';
const testLabels = 't10k-labels-idx1-ubyte';

interface Case {
  name: string;
  /** Damages a valid folder in place; returns the options of writeIdxFolder. */
  damage(folder: IdxFolder): Parameters<typeof writeIdxFolder>[2];
  /** The error line, with DATA standing for the data folder. */
  expected: string;
  net?: string;
  size?: number;
}

const cases: Case[] = [
  {
    name: 'test files without images',
    damage: (folder) => {
      folder['t10k-images-idx3-ubyte'] = imagesIdx(0, 28);
      folder[testLabels] = labelsIdx([]);
      return {};
    },
    expected:
      'isbe: error: DATA/t10k-images-idx3-ubyte contains no images; give a test file with at least one',
  },
  {
    name: 'labels file where images belong',
    damage: (folder) => {
      folder[trainImages] = folder[trainLabels];
      return {};
    },
    expected:
      `isbe: error: DATA/${trainImages}: wrong magic number 0x00000801, where IDX images ` +
      'files start with 0x00000803: it is the magic number of IDX labels files, so the ' +
      'images and labels files may be swapped',
  },
  {
    name: 'float32 images',
    damage: (folder) => {
      folder[trainImages] = idxBytes(0x00000d03, [120, 28, 28], new Uint8Array(4 * 120 * 784));
      return {};
    },
    expected:
      `isbe: error: DATA/${trainImages}: wrong magic number 0x00000d03, where IDX images ` +
      'files start with 0x00000803: the file holds float32 elements (type 0x0d), but only ' +
      'unsigned bytes (type 0x08) are supported',
  },
  {
    name: 'text file as labels',
    damage: (folder) => {
      folder[trainLabels] = new TextEncoder().encode('label\n3\n1\n4\n');
      return {};
    },
    expected:
      `isbe: error: DATA/${trainLabels}: wrong magic number 0x6c616265, where IDX labels ` +
      'files start with 0x00000801: the file is not IDX data; check that it is the MNIST ' +
      'labels file',
  },
  {
    name: 'gzip data without .gz',
    damage: () => ({ gzip: [trainImages] }),
    expected:
      `isbe: error: DATA/${trainImages}: contains gzip data but its name does not end in ` +
      `.gz; rename it to DATA/${trainImages}.gz, or decompress it with gunzip`,
  },
  {
    name: 'raw data named .gz',
    damage: () => ({ names: { [trainImages]: `${trainImages}.gz` } }),
    expected:
      `isbe: error: DATA/${trainImages}.gz: its name ends in .gz but it is not gzip data; ` +
      'remove .gz from its name if it is raw IDX',
  },
  {
    name: 'truncated gzip',
    damage: (folder) => {
      folder[trainImages] = gzipSync(folder[trainImages]).subarray(0, 400);
      return { names: { [trainImages]: `${trainImages}.gz` } };
    },
    expected:
      `isbe: error: DATA/${trainImages}.gz: is damaged gzip data (unexpected end of file); ` +
      'download or export it again',
  },
  {
    name: 'truncated data',
    damage: (folder) => {
      folder[trainImages] = folder[trainImages].subarray(0, 5000);
      return {};
    },
    expected:
      `isbe: error: DATA/${trainImages}: is truncated: its header declares 120 × 28 × 28 ` +
      'elements, 94096 bytes with the header, but the file has 5000 bytes; download or ' +
      'export it again',
  },
  {
    name: 'truncated header',
    damage: (folder) => {
      folder[trainImages] = folder[trainImages].subarray(0, 10);
      return {};
    },
    expected:
      `isbe: error: DATA/${trainImages}: is truncated inside its header (10 of 16 bytes); ` +
      'download or export it again',
  },
  {
    name: 'empty file',
    damage: (folder) => {
      folder[trainLabels] = new Uint8Array(0);
      return {};
    },
    expected:
      `isbe: error: DATA/${trainLabels}: is 0 bytes, too short for IDX; download or export ` +
      'it again',
  },
  {
    name: 'bytes after the data',
    damage: (folder) => {
      const longer = new Uint8Array(folder[testLabels].length + 7);
      longer.set(folder[testLabels]);
      folder[testLabels] = longer;
      return {};
    },
    expected:
      `isbe: error: DATA/${testLabels}: has 7 bytes more than the 40 elements its header ` +
      'declares, so header and data disagree; download or export it again',
  },
  {
    name: 'image and label counts differ',
    damage: (folder) => {
      folder[trainLabels] = labelsIdx(cyclicLabels(119));
      return {};
    },
    expected:
      `isbe: error: DATA/${trainImages} has 120 images but DATA/${trainLabels} has 119 ` +
      'labels; use image and label files of the same set',
  },
  {
    name: 'label outside [0, 10)',
    damage: (folder) => {
      const labels = cyclicLabels(40);
      labels[17] = 12;
      folder[testLabels] = labelsIdx(labels);
      return {};
    },
    expected:
      `isbe: error: DATA/${testLabels}: label 12 at index 17 is outside [0, 10), the class ` +
      'indices of 10 classes; fix the label file',
  },
  {
    name: 'test images of another size',
    damage: (folder) => {
      folder['t10k-images-idx3-ubyte'] = imagesIdx(40, 20);
      return {};
    },
    expected:
      'isbe: error: training images (train-images-idx3-ubyte) are 28×28 but test images ' +
      '(t10k-images-idx3-ubyte) are 20×20; use the training and test files of one data set',
  },
  {
    name: 'empty training files',
    damage: (folder) => {
      folder[trainImages] = imagesIdx(0, 28);
      folder[trainLabels] = labelsIdx(cyclicLabels(0));
      return {};
    },
    expected:
      'isbe: error: the training files contain 0 images, but training and validation need at ' +
      'least 2; check that the training images and labels files are complete',
  },
  {
    name: '8×8 images for N1',
    damage: () => ({}),
    size: 8,
    net: 'N1',
    expected:
      'isbe: error: N1 layer 5 (C64k3): its 3×3 kernel does not fit the 2×2 feature map; ' +
      'the images (1×8×8) are too small for this network: use larger images, or a network ' +
      'with fewer or smaller layers (padded convolutions, written pC…, keep the resolution)',
  },
];

describe('damaged IDX data', () => {
  for (const item of cases) {
    test(item.name, (t) => {
      const root = temporaryFolder(t, 'idx');
      const folder = validIdxFolder(item.size);
      const data = writeIdxFolder(root, folder, item.damage(folder));
      const runsDir = join(root, 'runs');
      const args = ['train', '--data', data, '--validation-size', '20', '--runs-dir', runsDir];
      const result = runCli([...args, '--net', item.net ?? 'N0']);
      assert.equal(result.status, 1, result.stderr);
      assert.equal(errorLine(result.stderr), item.expected.replaceAll('DATA', data));
      assert.equal(result.stdout, '');
      assert.deepEqual(entries(runsDir), [], 'a run folder was left behind');
    });
  }

  test('missing file', (t) => {
    const root = temporaryFolder(t, 'idx');
    const data = writeIdxFolder(root, validIdxFolder(), {
      names: { [testLabels]: 'labels.bin' },
    });
    const result = runCli(['train', '--data', data, '--runs-dir', join(root, 'runs')]);
    assert.equal(result.status, 1);
    assert.equal(
      errorLine(result.stderr),
      `isbe: error: ${data} has no ${testLabels} (or ${testLabels}.gz); the folder needs the ` +
        'four MNIST IDX files: train-images-idx3-ubyte, train-labels-idx1-ubyte, ' +
        't10k-images-idx3-ubyte, t10k-labels-idx1-ubyte',
    );
    assert.deepEqual(entries(join(root, 'runs')), []);
  });

  test('folder where a file belongs', (t) => {
    const root = temporaryFolder(t, 'idx');
    const data = writeIdxFolder(root, validIdxFolder(), {});
    rmSync(join(data, testLabels));
    mkdirSync(join(data, testLabels));
    const result = runCli(['train', '--data', data, '--runs-dir', join(root, 'runs')]);
    assert.equal(result.status, 1);
    assert.equal(
      errorLine(result.stderr),
      `isbe: error: ${join(data, testLabels)}: is not a file; put the IDX file itself at this path`,
    );
    assert.deepEqual(entries(join(root, 'runs')), []);
  });

  test('valid gzip folder trains', (t) => {
    const root = temporaryFolder(t, 'idx');
    const names = Object.fromEntries(
      Object.keys(validIdxFolder()).map((base) => [base, `${base}.gz`]),
    );
    const data = writeIdxFolder(root, validIdxFolder(), {
      names,
      gzip: Object.keys(names) as (keyof IdxFolder)[],
    });
    const runsDir = join(root, 'runs');
    const result = runCli([
      'train',
      '--data',
      data,
      '--validation-size',
      '20',
      '--runs-dir',
      runsDir,
    ]);
    assert.equal(result.status, 0, result.stderr);
    const [run] = entries(runsDir);
    assert.ok(run !== undefined, 'no run folder');
    assert.deepEqual(entries(join(runsDir, run)), [
      'config.json',
      'epochs.jsonl',
      'model.safetensors',
      'predictions.json',
      'resume.safetensors',
      'summary.json',
    ]);
  });
});
