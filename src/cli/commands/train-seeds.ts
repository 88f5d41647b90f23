/**
 * `isbe train --seeds n`: n trainings of one configuration with seeds seed .. seed + n − 1,
 * kept as a one-network, one-head grid (grid.json and trainings/<net>-<head>-s<seed>/), then
 * seeds.json and seeds.md with the mean, standard deviation and 95 % interval of α and τ.
 */
import type { GridConfig } from '../../experiments/grid.js';
import { resolveNetwork } from '../../models/networks.js';
import { type TrainConfig, validateConfig } from '../../train/config.js';
import type { TrainCallbacks } from '../../train/trainer.js';
import { createRunFolderOrExplain, UsageError } from '../errors.js';
import { logLine, printConfiguration, TrainingDisplay } from '../progress.js';
import { abortOnSignals } from '../signals.js';

/** Options of a multi-seed training: the number of seeds and where its folder goes. */
export interface SeedTrainingOptions {
  /** Number of seeds, from config.seed on. */
  seeds: number;
  runsDir: string;
  /** Name of the folder after its time stamp. */
  name?: string;
  /** Print each epoch's metrics as a JSON line on stdout. */
  json: boolean;
}

/** Creates the folder of a multi-seed training and trains every seed into it. */
export async function trainSeeds(config: TrainConfig, options: SeedTrainingOptions): Promise<void> {
  validateConfig(config);
  resolveNetwork(config.net);
  const { seed, net, head, ...base } = config;
  const grid: GridConfig = {
    nets: [net],
    heads: [head],
    seeds: Array.from({ length: options.seeds }, (_, i) => seed + i),
    base,
  };
  const { writeGridConfig } = await import('../../experiments/grid.js');
  const name = options.name ?? `${net}-${head}-seeds`;
  const dir = createRunFolderOrExplain(options.runsDir, name.replace(/[^\w.-]+/g, '_'));
  writeGridConfig(dir, grid);
  await trainSeedsInto(dir, options.json);
}

/** Trains the seeds of a multi-seed folder that have not finished, then writes the summary. */
export async function trainSeedsInto(dir: string, json: boolean): Promise<void> {
  const { readGridConfig, runGrid } = await import('../../experiments/grid.js');
  const { loadData } = await import('../../data/load.js');
  const grid = readGridConfig(dir);
  if (grid.nets.length !== 1 || grid.heads.length !== 1) {
    throw new UsageError(
      `${dir} is a grid from isbe reproduce (networks ${grid.nets.join(', ')}; heads ` +
        `${grid.heads.join(', ')}); continue it with: isbe reproduce --resume ${dir}`,
    );
  }
  printConfiguration('configuration', {
    net: grid.nets.join(', '),
    head: grid.heads.join(', '),
    seeds: grid.seeds,
    ...grid.base,
    runDir: dir,
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
          display = new TrainingDisplay(`[${index + 1}/${count}] seed ${config.seed}`);
          return withJsonLines(display.callbacks(), json);
        },
      },
      signals.signal,
    );
    (display as TrainingDisplay | null)?.close();
    if (outcome.stopped) {
      logLine(`stopped; continue with: isbe train --resume ${dir}`);
      process.exitCode = signals.exitCode();
      return;
    }
    const { writeSeedSummary } = await import('../../experiments/write.js');
    const { markdown } = writeSeedSummary(dir, outcome.records);
    if (json) logLine(markdown);
    else console.log(markdown);
    logLine(`run folder: ${dir}`);
  } finally {
    (display as TrainingDisplay | null)?.close();
    signals.dispose();
  }
}

function withJsonLines(shown: TrainCallbacks, json: boolean): TrainCallbacks {
  if (!json) return shown;
  return {
    ...shown,
    onEpoch: (metrics, trainer) => {
      shown.onEpoch?.(metrics, trainer);
      console.log(JSON.stringify({ seed: trainer.config.seed, ...metrics }));
    },
  };
}
