import type { Command } from 'commander';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import { paperHeads } from '../../experiments/paper.js';
import { resolveNetwork } from '../../models/networks.js';
import type { GridConfig } from '../../experiments/grid.js';
import { createRunFolderOrExplain, UsageError } from '../errors.js';
import {
  addTrainingOptions,
  baseConfig,
  integerAtLeast,
  knownHeads,
  list,
  rejectOptionsWithResume,
  type TrainingOptionValues,
} from '../options.js';
import { logLine, printConfiguration, TrainingDisplay } from '../progress.js';
import { abortOnSignals } from '../signals.js';

/** Networks and epochs of the quick run and of the paper-scale run. */
export const quickGrid = { nets: ['N0', 'N1'], epochs: 1 };
export const fullGrid = { nets: ['N0', 'N1', 'N1r'], epochs: 50 };

interface ReproduceValues extends TrainingOptionValues {
  nets?: string[];
  heads?: string[];
  epochs?: number;
  seeds: number;
  full: boolean;
  resume?: string;
  report: boolean;
  queue?: string;
  workers: number;
}

/** Registers `isbe reproduce`. */
export function registerReproduce(program: Command): void {
  const command = program
    .command('reproduce')
    .description(
      "train the grid of networks × heads × seeds and write the paper's Tables 1-4 beside " +
        'its published values',
    )
    .option(
      '--nets <list>',
      `comma-separated networks (default: ${quickGrid.nets.join(',')}, with --full ${fullGrid.nets.join(',')})`,
      list,
    )
    .option(
      '--heads <list>',
      `comma-separated heads, from: ${knownHeads().join(', ')} ` +
        `(default: ${paperHeads.join(',')})`,
      list,
    )
    .option(
      '--epochs <n>',
      `epochs per training (default: ${quickGrid.epochs}, with --full ${fullGrid.epochs})`,
      integerAtLeast(1),
    )
    .option('--seeds <n>', 'number of seeds per cell (seeds 0 .. n-1)', integerAtLeast(1), 1)
    .option('--full', 'the paper-scale run: N0, N1 and N1r for 50 epochs', false)
    .option('--resume <grid-dir>', 'finish a stopped grid in its folder, with its own settings')
    .option('--no-report', 'skip the report (HTML page, SVG and PNG charts) in <grid-dir>/report/')
    .option(
      '--queue <url>',
      'enqueue the trainings on the Redis queue at redis://HOST:PORT[/DB] for `isbe worker` ' +
        'instead of training here; `isbe collect` gathers them',
    )
    .option(
      '--workers <n>',
      'train in n local processes, each with max(1, floor(threads / n)) libtorch threads',
      integerAtLeast(1),
      1,
    );
  addTrainingOptions(command).action(async (values: ReproduceValues, cmd: Command) => {
    if (values.queue !== undefined && values.workers > 1) {
      throw new UsageError(
        '--queue and --workers exclude each other: queue workers are started with `isbe worker`',
      );
    }
    if (values.resume !== undefined) {
      rejectOptionsWithResume(cmd, 'grid', ['queue', 'workers', 'report']);
      await reproduceOrEnqueue(values.resume, values);
      return;
    }
    const grid = gridFromOptions(values);
    const dir = createRunFolderOrExplain(
      values.runsDir,
      values.full ? 'reproduce-full' : 'reproduce',
    );
    try {
      const { writeGridConfig } = await import('../../experiments/grid.js');
      writeGridConfig(dir, grid);
      await reproduceOrEnqueue(dir, values);
    } catch (error) {
      removeUnstartedGrid(dir);
      throw error;
    }
  });
}

// Deletes a new grid folder when it failed (for example on unreadable data) before any
// training wrote its config.json; a grid with a started training is kept for --resume.
function removeUnstartedGrid(dir: string): void {
  const trainings = join(dir, 'trainings');
  const started =
    existsSync(trainings) &&
    readdirSync(trainings).some((name) => existsSync(join(trainings, name, 'config.json')));
  if (!started) rmSync(dir, { recursive: true, force: true });
}

function gridFromOptions(values: ReproduceValues): GridConfig {
  const preset = values.full ? fullGrid : quickGrid;
  const heads = values.heads ?? [...paperHeads];
  if (heads.length === 0) throw new UsageError('--heads needs at least one head');
  const unknown = heads.filter((head) => !knownHeads().includes(head));
  if (unknown.length > 0) {
    throw new UsageError(
      `unknown heads: ${unknown.join(', ')}; known heads: ${knownHeads().join(', ')}`,
    );
  }
  const nets = values.nets ?? preset.nets;
  if (nets.length === 0) throw new UsageError('--nets needs at least one network');
  for (const net of nets) resolveNetwork(net);
  return {
    nets,
    heads,
    seeds: Array.from({ length: values.seeds }, (_, seed) => seed),
    base: baseConfig(values, values.epochs ?? preset.epochs),
  };
}

async function reproduceOrEnqueue(dir: string, values: ReproduceValues): Promise<void> {
  if (values.queue === undefined) {
    await reproduceInto(dir, values.report, values.workers);
    return;
  }
  const { enqueueGridFolder } = await import('./collect.js');
  await enqueueGridFolder(dir, values.queue);
}

async function reproduceInto(dir: string, report: boolean, workers: number): Promise<void> {
  const { readGridConfig, runGrid } = await import('../../experiments/grid.js');
  const { loadData } = await import('../../data/load.js');
  const grid = readGridConfig(dir);
  const trainings = grid.nets.length * grid.heads.length * grid.seeds.length;
  printConfiguration('configuration', {
    nets: grid.nets,
    heads: grid.heads,
    seeds: grid.seeds,
    trainings,
    ...grid.base,
    gridDir: dir,
    ...(workers > 1
      ? {
          processes: workers,
          threadsPerProcess: Math.max(1, Math.floor(grid.base.threads / workers)),
        }
      : {}),
  });
  const signals = abortOnSignals();
  let display: TrainingDisplay | null = null;
  try {
    const outcome =
      workers > 1
        ? await runInProcesses(dir, workers, signals.signal)
        : await runGrid(
            dir,
            loadData(grid.base),
            {
              onTrainingStart: (config, index, count) => {
                display = new TrainingDisplay(
                  `[${index + 1}/${count}] ${config.net} ${config.head} seed ${config.seed}`,
                );
                return display.callbacks();
              },
            },
            signals.signal,
          );
    if (outcome.stopped) {
      const processes = workers > 1 ? ` --workers ${workers}` : '';
      logLine(`stopped; continue with: isbe reproduce --resume ${dir}${processes}`);
      process.exitCode = signals.exitCode();
      return;
    }
    await writeResults(dir, grid, outcome.records, report);
  } finally {
    (display as TrainingDisplay | null)?.close();
    signals.dispose();
  }
}

async function runInProcesses(dir: string, workers: number, signal: AbortSignal) {
  const { runGridInProcesses } = await import('../../queue/local-pool.js');
  return runGridInProcesses(
    dir,
    workers,
    {
      onTrainingStart: (config, index, count, child) =>
        logLine(
          `[${index + 1}/${count}] ${config.net} ${config.head} seed ${config.seed}: process ${child}`,
        ),
    },
    signal,
  );
}

/** Writes the tables of a finished grid, prints them, and writes the report unless turned off. */
export async function writeResults(
  dir: string,
  grid: GridConfig,
  records: Parameters<typeof import('../../experiments/write.js').writeTables>[1],
  report: boolean,
): Promise<void> {
  const { writeTables } = await import('../../experiments/write.js');
  const { tableToMarkdown } = await import('../../experiments/format.js');
  const tables = writeTables(dir, records, grid.nets, grid.heads);
  console.log(tables.map(tableToMarkdown).join('\n'));
  const { writeGridAgreement } = await import('../../experiments/write.js');
  const agreement = await writeGridAgreement(dir, grid, records);
  console.log(agreement.markdown);
  logLine(`agreement per seed and the hardest test images: ${dir}/tables/agreement.md`);
  if (agreement.imagesError !== undefined) {
    logLine(`hardest-images.png skipped: ${agreement.imagesError}`);
  }
  console.log(`run folder: ${dir}`);
  if (!report) return;
  const { writeRunReportOrExplain } = await import('./report.js');
  await writeRunReportOrExplain(dir);
}
