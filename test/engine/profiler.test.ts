// The operator profiler writes a Chrome trace of the libtorch calls made while it records.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { ones, startProfiler, stopProfiler, tidy } from '../../src/index.js';

test('profiler writes a trace of ops', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'isbe-profile-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'trace.json');
  startProfiler(path);
  tidy(() => ones([4, 4]).matmul(ones([4, 4])));
  stopProfiler();
  const trace = JSON.parse(readFileSync(path, 'utf8')) as { name: string }[];
  assert.ok(Array.isArray(trace));
  assert.ok(trace.some((event) => event.name === 'aten::matmul'));
});

test('profiler rejects a second start', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'isbe-profile-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  startProfiler(join(dir, 'trace.json'));
  assert.throws(() => startProfiler(join(dir, 'other.json')), /already being recorded/);
  stopProfiler();
});

test('profiler stop without start', () => {
  assert.throws(() => stopProfiler(), /no profile is being recorded/);
});
