// A training whose output goes into a pipe that closes early, as in `isbe train | head`,
// still finishes and writes its run folder.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { cliMain, entries, temporaryFolder, tinyTraining } from './helpers.js';

test('training survives closed stdout and stderr', (t) => {
  const runsDir = temporaryFolder(t, 'pipe');
  const command = [process.execPath, cliMain, 'train', '--net', 'F10', '--json', ...tinyTraining]
    .concat(['--epochs', '2', '--runs-dir', runsDir])
    .join(' ');
  // pipefail makes the status the training's, not head's.
  const result = spawnSync('bash', ['-o', 'pipefail', '-c', `${command} 2>&1 | head -c 1`], {
    encoding: 'utf8',
  });
  assert.equal(result.status, 0, result.stderr);
  const runs = entries(runsDir);
  assert.equal(runs.length, 1);
  assert.ok(existsSync(join(runsDir, runs[0]!, 'summary.json')), 'the run finished');
});
