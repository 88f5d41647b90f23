// Runs started at the same time into one runs folder, under one name, each get their own
// run folder, and every one of them completes.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { createRunFolder } from '../../src/io/files.js';
import { entries, readEpochLines, startCli, temporaryFolder, tinyTraining } from './helpers.js';

const filesModule = new URL('../../src/io/files.js', import.meta.url).href;

// Runs `script` (an ES module body) in a new Node process and resolves with its stdout.
function runNode(script: string): Promise<string> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', script]);
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  return new Promise((resolve, reject) => {
    child.on('close', (status) =>
      status === 0 ? resolve(stdout.trim()) : reject(new Error(`exit ${status}`)),
    );
  });
}

describe('concurrent runs', () => {
  test('same name in one process', (t) => {
    const parent = temporaryFolder(t, 'names');
    const folders = Array.from({ length: 5 }, () => createRunFolder(parent, 'same'));
    assert.equal(new Set(folders).size, 5);
    assert.equal(entries(parent).length, 5);
  });

  test('same name from racing processes', async (t) => {
    // Eight processes ask for one folder name at once, so most of them find it taken.
    const parent = temporaryFolder(t, 'race');
    const script =
      `const { createUniqueFolder } = await import(${JSON.stringify(filesModule)});` +
      `console.log(createUniqueFolder(${JSON.stringify(parent)}, 'same'));`;
    const folders = await Promise.all(Array.from({ length: 8 }, () => runNode(script)));
    assert.equal(new Set(folders).size, 8, `folders handed out twice: ${folders.join(', ')}`);
    assert.deepEqual(entries(parent), [
      'same',
      'same-2',
      'same-3',
      'same-4',
      'same-5',
      'same-6',
      'same-7',
      'same-8',
    ]);
  });

  test('isbe train with one --name', async (t) => {
    const runsDir = temporaryFolder(t, 'runs');
    const args = [
      'train',
      ...tinyTraining,
      '--limit',
      '200',
      '--runs-dir',
      runsDir,
      '--name',
      'same',
    ];
    const runs = Array.from({ length: 4 }, () => startCli(args));
    const results = await Promise.all(runs.map((run) => run.done));
    for (const result of results) assert.equal(result.status, 0, result.stderr);

    const folders = results.map((result) => result.stdout.trim());
    assert.equal(new Set(folders).size, 4, `folders shared: ${folders.join(', ')}`);
    assert.equal(entries(runsDir).length, 4);
    for (const folder of folders) {
      assert.ok(folder.startsWith(runsDir), folder);
      assert.ok(existsSync(join(folder, 'summary.json')), `${folder} has no summary.json`);
      assert.equal(readEpochLines(folder).length, 1);
    }
  });
});
