import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import type { Command } from 'commander';

import type { GridConfig } from '../../experiments/grid.js';
import type { QueueClient } from '../../queue/client.js';
import type { CollectReport } from '../../queue/collect.js';
import { UsageError } from '../errors.js';
import { logLine } from '../progress.js';
import { writeResults } from './reproduce.js';

interface CollectValues {
  queue: string;
  grid?: string;
  wait: boolean;
  report: boolean;
}

/** Time between two looks at the queue with --wait, in ms. */
const waitIntervalMs = 2000;

/** Registers `isbe collect`. */
export function registerCollect(program: Command): void {
  program
    .command('collect')
    .description(
      'gather the finished trainings of a queued grid into its grid folder and, once all ' +
        'are finished, write the tables as `isbe reproduce` does',
    )
    .argument(
      '<grid-dir>',
      'grid folder: the one `isbe reproduce --queue` made, or a new one with --grid',
    )
    .requiredOption('--queue <url>', 'Redis server of the queue, as redis://HOST:PORT[/DB]')
    .option(
      '--grid <id>',
      'grid id that `isbe reproduce --queue` printed; needed when <grid-dir> has no grid.json',
    )
    .option('--wait', 'wait until every training is finished or failed', false)
    .option('--no-report', 'skip the report (HTML page, SVG and PNG charts) in <grid-dir>/report/')
    .action(async (dir: string, values: CollectValues) => {
      const { parseQueueUrl } = await import('../../queue/connection.js');
      const { withQueue } = await import('../../queue/client.js');
      const url = parseQueueUrl(values.queue);
      await withQueue(url, (client) => collectInto(dir, values, client));
    });
}

async function collectInto(dir: string, values: CollectValues, client: QueueClient): Promise<void> {
  const { collectGrid } = await import('../../queue/collect.js');
  const grid = await gridOf(dir, values.grid, client);
  let report: CollectReport;
  for (;;) {
    report = await collectGrid(dir, grid, client.store, client.queue);
    const failed = report.missing.filter((missing) => missing.state === 'failed');
    if (!values.wait || report.missing.length === 0 || failed.length > 0) break;
    const total = report.collected.length + report.missing.length;
    logLine(`${report.collected.length} of ${total} trainings finished; waiting`);
    await sleep(waitIntervalMs);
  }
  if (report.missing.length > 0) {
    explainMissing(dir, report);
    process.exitCode = 1;
    return;
  }
  if (report.withoutModel.length > 0) {
    logLine(
      `model.safetensors of ${report.withoutModel.length} trainings stayed on their workers; ` +
        'run workers with --checkpoint-dir on a folder this machine can read to collect them',
    );
  }
  const { readGrid } = await import('../../experiments/grid.js');
  await writeResults(dir, grid, readGrid(dir), values.report);
}

// The grid's settings: grid.json of the folder, or the queue's copy for a new folder.
async function gridOf(
  dir: string,
  id: string | undefined,
  client: QueueClient,
): Promise<GridConfig> {
  const { gridFile, readGridConfig, writeGridConfig } = await import('../../experiments/grid.js');
  const { gridId } = await import('../../queue/jobs.js');
  if (existsSync(join(dir, gridFile))) {
    const grid = readGridConfig(dir);
    if (id !== undefined && gridId(grid) !== id) {
      throw new UsageError(
        `${dir} contains grid ${gridId(grid)}, not ${id}; drop --grid or choose another folder`,
      );
    }
    return grid;
  }
  if (id === undefined) {
    throw new UsageError(
      `${dir} has no ${gridFile}; give the grid id with --grid to collect into a new folder`,
    );
  }
  const grid = await client.store.readGrid(id);
  if (grid === null)
    throw new UsageError(`the queue has no grid ${id}; check the id with \`isbe status\``);
  writeGridConfig(dir, grid);
  return grid;
}

function explainMissing(dir: string, report: CollectReport): void {
  const total = report.collected.length + report.missing.length;
  logLine(`${report.missing.length} of ${total} trainings are not finished; no tables written:`);
  for (const missing of report.missing) {
    const error = missing.error === null ? '' : `: ${missing.error}`;
    logLine(`  ${missing.name} (job ${missing.jobId}) is ${missing.state}${error}`);
  }
  const failed = report.missing.some((missing) => missing.state === 'failed');
  const retry = failed ? 'enqueue the grid again to retry failed jobs, then ' : '';
  logLine(`${retry}run \`isbe collect\` on ${dir} again, or add --wait`);
}

/**
 * Enqueues the trainings of the grid folder `dir` on the queue at `queueUrl` (for
 * `isbe reproduce --queue`) and prints what to run next.
 */
export async function enqueueGridFolder(dir: string, queueUrl: string): Promise<void> {
  const { parseQueueUrl, redactUrl } = await import('../../queue/connection.js');
  const { withQueue } = await import('../../queue/client.js');
  const { enqueueGrid } = await import('../../queue/jobs.js');
  const { readGridConfig } = await import('../../experiments/grid.js');
  const url = parseQueueUrl(queueUrl);
  const grid = readGridConfig(dir);
  const report = await withQueue(url, ({ queue, store }) => enqueueGrid(queue, store, grid));
  const total = report.added.length + report.present.length + report.retried.length;
  logLine(
    `grid ${report.grid}: ${total} ${total === 1 ? 'training' : 'trainings'} on the queue ` +
      `at ${redactUrl(url)}: ` +
      `${report.added.length} added, ${report.present.length} already there, ` +
      `${report.retried.length} failed ones retried`,
  );
  logLine(`run workers with: isbe worker --queue ${redactUrl(url)}`);
  logLine(`follow with:      isbe status --queue ${redactUrl(url)} --grid ${report.grid}`);
  logLine(`gather with:      isbe collect --queue ${redactUrl(url)} ${dir}`);
  console.log(dir);
}
