#!/usr/bin/env node
// Entry point of the isbe command; the compiled CLI lives in dist/.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  console.error('isbe: error: the TypeScript build is missing; run `npm run build` first');
  process.exit(1);
}
await import(main.href);
