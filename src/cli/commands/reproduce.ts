import type { Command } from 'commander';

import { paperHeads } from '../../experiments/paper.js';
import type { GridConfig } from '../../experiments/grid.js';
import { createRunFolderOrExplain, UsageError } from '../errors.js';
import {
  addTrainingOptions,
  baseConfig,
  integerAtLeast,
  knownHeads,
  list,
  type TrainingOptionValues,
} from '../options.js';
import { logLine, printConfiguration, TrainingDisplay } from '../progress.js';
import { abortOnSignals } from '../signals.js';

/** Networks and epochs of the quick run and of the paper-scale run. */
export const quickGrid = { nets: ['N0', 'N1'], epochs: 1 };
export const fullGrid = { nets: ['N0', 'N1', 'N1r'], epochs: 50 };

interface ReproduceValues extends TrainingOptionValues {
  nets?: string[];
  heads: string[];
  epochs?: number;
  seeds: number;
  full: boolean;
  resume?: string;
}

/** Registers `isbe reproduce`. */
export function registerReproduce(program: Command): void {
  const command = program
    .command('reproduce')
    .description(
      "train the grid of networks × heads × seeds and write the paper's Tables 1-4 beside " +
        'its published values',
    )
    .option('--nets <list>', `comma-separated networks (default: ${quickGrid.nets.join(',')}, with --full ${fullGrid.nets.join(',')})`, list)
    .option('--heads <list>', 'comma-separated heads', list, [...paperHeads])
    .option('--epochs <n>', `epochs per training (default: ${quickGrid.epochs}, with --full ${fullGrid.epochs})`, integerAtLeast(1))
    .option('--seeds <n>', 'number of seeds per cell (seeds 0 .. n-1)', integerAtLeast(1), 1)
    .option('--full', 'the paper-scale run: N0, N1 and N1r for 50 epochs', false)
    .option('--resume <grid-dir>', 'finish a stopped grid in its folder, with its own settings');
  addTrainingOptions(command).action(async (values: ReproduceValues) => {
    const dir = values.resume ?? createRunFolderOrExplain(values.runsDir, values.full ? 'reproduce-full' : 'reproduce');
    if (values.resume === undefined) {
      const grid = gridFromOptions(values);
      const { writeGridConfig } = await import('../../experiments/grid.js');
      writeGridConfig(dir, grid);
    }
    await reproduceInto(dir);
  });
}

function gridFromOptions(values: ReproduceValues): GridConfig {
  const preset = values.full ? fullGrid : quickGrid;
  const heads = values.heads;
  const unknown = heads.filter((head) => !knownHeads().includes(head));
  if (unknown.length > 0) {
    throw new UsageError(`unknown heads: ${unknown.join(', ')}; known heads: ${knownHeads().join(', ')}`);
  }
  const nets = values.nets ?? preset.nets;
  if (nets.length === 0) throw new UsageError('--nets needs at least one network');
  return {
    nets,
    heads,
    seeds: Array.from({ length: values.seeds }, (_, seed) => seed),
    base: baseConfig(values, values.epochs ?? preset.epochs),
  };
}

async function reproduceInto(dir: string): Promise<void> {
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
  });
  const data = loadData(grid.base);
  const signals = abortOnSignals();
  let display: TrainingDisplay | null = null;
  try {
    const outcome = await runGrid(
      dir,
      data,
      {
        onTrainingStart: (config, index, count) => {
          display = new TrainingDisplay(`[${index + 1}/${count}] ${config.net} ${config.head} seed ${config.seed}`);
          return display.callbacks();
        },
      },
      signals.signal,
    );
    if (outcome.stopped) {
      logLine(`stopped; continue with: isbe reproduce --resume ${dir}`);
      process.exitCode = 130;
      return;
    }
    await writeResults(dir, grid, outcome.records);
  } finally {
    (display as TrainingDisplay | null)?.close();
    signals.dispose();
  }
}

async function writeResults(
  dir: string,
  grid: GridConfig,
  records: Parameters<typeof import('../../experiments/write.js').writeTables>[1],
): Promise<void> {
  const { writeTables } = await import('../../experiments/write.js');
  const { tableToMarkdown } = await import('../../experiments/format.js');
  const tables = writeTables(dir, records, grid.nets, grid.heads);
  console.log(tables.map(tableToMarkdown).join('\n'));
  console.log(`run folder: ${dir}`);
}
