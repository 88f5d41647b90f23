/**
 * The isbe command line. Commands load libtorch only when they run, so `isbe --help`
 * works before the native addon is built.
 */
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';

import { registerCollect } from './commands/collect.js';
import { registerCompare } from './commands/compare.js';
import { registerReport } from './commands/report.js';
import { registerReproduce } from './commands/reproduce.js';
import { registerStatus } from './commands/status.js';
import { registerTrain } from './commands/train.js';
import { registerVerify } from './commands/verify.js';
import { registerWorker } from './commands/worker.js';
import { printWarningsOnOneLine } from './warnings.js';

function packageVersion(): string {
  const url = new URL('../../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
}

function buildProgram(): Command {
  const program = new Command();
  program
    .name('isbe')
    .description(
      'Train classifiers with ISBE heads or cross-entropy on libtorch, and reproduce the ISBE paper',
    )
    .version(packageVersion())
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerTrain(program);
  registerReproduce(program);
  registerReport(program);
  registerCompare(program);
  registerWorker(program);
  registerStatus(program);
  registerCollect(program);
  registerVerify(program);
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

// Output into a pipe that closes early, as in `isbe train | head`, must not stop a run.
function ignoreClosedPipe(error: NodeJS.ErrnoException): void {
  if (error.code !== 'EPIPE') throw error;
}

process.stdout.on('error', ignoreClosedPipe);
process.stderr.on('error', ignoreClosedPipe);
printWarningsOnOneLine();
try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  reportError(error);
}
