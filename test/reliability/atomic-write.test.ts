// writeFileAtomic with a list of chunks: the file contains the chunks joined, whatever
// their number and sizes, and no temporary file stays behind.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { writeFileAtomic } from '../../src/io/files.js';

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
