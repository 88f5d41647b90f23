/**
 * Exclusive claims on run and grid folders, so that two processes never train into one
 * folder at once (for example two `--resume` of the same run).
 *
 * A claim is a file named after the folder's real path in the system's temporary folder,
 * created with O_EXCL and holding the owner's process id. A claim whose process has died,
 * after kill -9 for example, counts as free.
 */
import { createHash } from 'node:crypto';
import { readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { makeFolders, processExists } from './files.js';

// NOTE: claims exclude only processes of one machine that share a temporary folder (the
// same TMPDIR). Two machines that share a folder over a network file system can still
// train into it together.
const claimsDir = join(tmpdir(), 'isbe-claims');

function readOwner(path: string): number | null {
  try {
    const owner = Number(readFileSync(path, 'utf8'));
    return Number.isInteger(owner) && owner > 0 ? owner : null;
  } catch {
    return null;
  }
}

/**
 * Claims `dir` for this process and returns the function that releases the claim. Throws
 * when another live process has claimed it.
 */
export function claimFolder(dir: string): () => void {
  makeFolders(claimsDir);
  const key = createHash('sha256').update(realpathSync(dir)).digest('hex').slice(0, 32);
  const path = join(claimsDir, `${key}.pid`);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx' });
      return () => {
        if (readOwner(path) === process.pid) rmSync(path, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = readOwner(path);
    if (owner !== null && processExists(owner)) {
      throw new Error(
        `${dir} is in use by process ${owner}, which is training into it; wait until it ` +
          `finishes, or stop it (kill ${owner}) and retry`,
      );
    }
    rmSync(path, { force: true });
  }
  throw new Error(`could not claim ${dir}: other processes keep claiming it; retry`);
}
