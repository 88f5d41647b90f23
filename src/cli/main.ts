/**
 * The isbe command line. Commands load libtorch only when they run, so `isbe --help`
 * works before the native addon is built.
 */
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';

import { registerReproduce } from './commands/reproduce.js';
import { registerTrain } from './commands/train.js';

function packageVersion(): string {
  const url = new URL('../../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
}

function buildProgram(): Command {
  const program = new Command();
  program
    .name('isbe')
    .description('Train classifiers with ISBE heads or cross-entropy on libtorch, and reproduce the ISBE paper')
    .version(packageVersion())
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerTrain(program);
  registerReproduce(program);
  return program;
}

// Errors the user can act on print as one line; ISBE_DEBUG=1 adds the stack.
function reportError(error: unknown): void {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode;
    return;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`isbe: error: ${message}\n`);
  if (process.env.ISBE_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  process.exitCode = 1;
}

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  reportError(error);
}
