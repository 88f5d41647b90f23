#!/usr/bin/env node
// Runs the compiled tests with node's test runner, one file at a time because each file
// trains networks on the same two cores. Arguments filter the files by substring:
//   node scripts/run-tests.mjs [substring ...]
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));

function findTests(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return findTests(path);
    return entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

// Test sources are listed from test/, not dist/, so a deleted test never runs from a
// stale build.
const filters = process.argv.slice(2);
const files = findTests(join(root, 'test'))
  .map((source) => relative(root, source))
  .filter((source) => filters.length === 0 || filters.some((f) => source.includes(f)))
  .sort()
  .map((source) => join(root, 'dist', source.replace(/\.ts$/, '.js')));

if (files.length === 0) {
  console.error(`no test file matches ${filters.join(', ')}`);
  process.exit(1);
}
const args = ['--test', '--test-concurrency=1', '--test-reporter=spec', ...files];
const result = spawnSync(process.execPath, args, { stdio: 'inherit', cwd: root });
process.exit(result.status ?? 1);
