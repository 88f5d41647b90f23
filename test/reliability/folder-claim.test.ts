// Claims on run folders: a second process cannot train into a folder that a live process
// has claimed, and the claim of a process killed with SIGKILL is taken over.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { claimFolder } from '../../src/io/folder-claim.js';
import { temporaryFolder, waitFor } from './helpers.js';

const claimModule = fileURLToPath(new URL('../../src/io/folder-claim.js', import.meta.url));

// A script that claims the folder in argv[1], prints "claimed" and waits to be killed.
const holdScript =
  `const { claimFolder } = await import(${JSON.stringify(claimModule)});` +
  'claimFolder(process.argv[1]); console.log("claimed"); setInterval(() => {}, 1000);';

// Runs claimFolder in another process and returns its exit status and error output.
function claimInChild(dir: string) {
  const script =
    `const { claimFolder } = await import(${JSON.stringify(claimModule)});` +
    'try { claimFolder(process.argv[1]); } catch (error) { console.error(error.message); ' +
    'process.exit(3); }';
  return spawnSync(process.execPath, ['--input-type=module', '-e', script, dir], {
    encoding: 'utf8',
  });
}

describe('folder claims', () => {
  test('claim held by a live process', (t) => {
    const dir = temporaryFolder(t, 'claim');
    const release = claimFolder(dir);
    const rejected = claimInChild(dir);
    assert.equal(rejected.status, 3);
    assert.equal(
      rejected.stderr,
      `${dir} is in use by process ${process.pid}, which is training into it; wait until it ` +
        `finishes, or stop it (kill ${process.pid}) and retry\n`,
    );
    release();
    assert.equal(claimInChild(dir).status, 0, 'free after release');
  });

  test('claim of a killed process', async (t) => {
    const dir = temporaryFolder(t, 'claim');
    const holder = spawn(process.execPath, ['--input-type=module', '-e', holdScript, dir]);
    let output = '';
    holder.stdout.setEncoding('utf8').on('data', (text: string) => (output += text));
    await waitFor(() => output.includes('claimed'), 'the child to claim the folder');
    assert.equal(claimInChild(dir).status, 3, 'held while the child runs');
    const exited = new Promise((resolve) => holder.on('exit', resolve));
    holder.kill('SIGKILL');
    await exited;
    const release = claimFolder(dir);
    release();
  });
});
