// The README's library example, run as written from a project that has isbe installed as a
// package, so that a renamed export or a broken package entry point fails here first.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

// The first TypeScript block after the README's heading of the library section.
function readmeExample(): string {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const section = readme.indexOf('## The library in your training loop');
  assert.notEqual(section, -1, 'README has the library section');
  const match = /```ts\n([\s\S]*?)```/.exec(readme.slice(section));
  assert.ok(match, 'the library section has a ts code block');
  return match[1] as string;
}

test('README example runs as a package user', (t) => {
  const project = mkdtempSync(join(tmpdir(), 'isbe-readme-'));
  t.after(() => rmSync(project, { recursive: true, force: true }));
  mkdirSync(join(project, 'node_modules'));
  symlinkSync(repoRoot, join(project, 'node_modules', 'isbe'), 'dir');
  // The example has no type annotations, so it runs as JavaScript unchanged.
  const script = `${readmeExample()}\nconsole.log('example finished');\n`;
  writeFileSync(join(project, 'example.mjs'), script);

  const result = spawnSync(process.execPath, ['example.mjs'], {
    cwd: project,
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(result.stderr, '', 'no error output');
  assert.equal(result.status, 0, 'exit status');
  assert.equal(result.stdout, 'example finished\n');
});
