// writeFileAtomic with a list of chunks: the file contains the chunks joined, whatever
// their number and sizes, and no temporary file stays behind. makeFolders creates nested
// folders and fails at once where folders cannot be made.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { makeFolders, writeFileAtomic } from '../../src/io/files.js';

test('chunked atomic write joins chunks', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'isbe-chunks-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // More chunks than one writev call accepts, some of them empty.
  const chunks = Array.from({ length: 2500 }, (_, i) =>
    Uint8Array.from({ length: i % 7 }, (_, j) => (i * 31 + j) % 256),
  );
  chunks.push(new Uint8Array(3 << 20).fill(9));
  const path = join(dir, 'joined.bin');
  writeFileAtomic(path, chunks);
  assert.ok(
    readFileSync(path).equals(Buffer.concat(chunks)),
    'the file differs from the chunks joined',
  );
  assert.deepEqual(readdirSync(dir), ['joined.bin']);
});

test('makeFolders creates nested folders', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'isbe-folders-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const nested = join(dir, 'a', 'b', 'c');
  makeFolders(nested);
  makeFolders(nested);
  assert.ok(statSync(nested).isDirectory());
});

// Node 20's recursive mkdirSync retries forever here; makeFolders must throw instead.
test('makeFolders fails at once under /proc', { skip: !existsSync('/proc/self') }, () => {
  assert.throws(() => makeFolders('/proc/isbe-no-such-folder/run'), { code: 'ENOENT' });
});
