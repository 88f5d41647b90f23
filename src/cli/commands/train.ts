import { type Command, Option } from 'commander';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import type { DataSplits } from '../../data/dataset.js';
import { resolveNetwork } from '../../models/networks.js';
import { type TrainConfig, validateConfig } from '../../train/config.js';
import type { TrainCallbacks } from '../../train/trainer.js';
import { abortOnSignals } from '../signals.js';
import {
  knownHeads,
  addTrainingOptions,
  baseConfig,
  integerAtLeast,
  folderName,
  integerIn,
  maxSeed,
  rejectOptionsWithResume,
  type TrainingOptionValues,
} from '../options.js';
import { logLine, printConfiguration, TrainingDisplay } from '../progress.js';
import { createRunFolderOrExplain, UsageError } from '../errors.js';

interface TrainValues extends TrainingOptionValues {
  net: string;
  head: string;
  epochs: number;
  seed: number;
  name?: string;
  resume?: string;
  json: boolean;
  seeds: number;
}

/** Registers `isbe train`. */
export function registerTrain(program: Command): void {
  const command = program
    .command('train')
    .description('train one network with one head and write a run folder')
    .option(
      '--net <net>',
      'N0, N1, N1r, or a description such as "C32k3s2 C64k3s2 D20 F512 F10"',
      'N0',
    )
    .addOption(
      new Option('--head <head>', 'training head').choices(knownHeads()).default('isbe-softmax'),
    )
    .option('--epochs <n>', 'epochs to train', integerAtLeast(1), 1)
    .option(
      '--seed <n>',
      'seed of initial weights, data order, augmentation and dropout',
      integerIn(0, maxSeed),
      0,
    )
    .option(
      '--name <name>',
      'name of the run folder after its time stamp (default: <net>-<head>)',
      folderName,
    )
    .option('--resume <run-dir>', 'continue a stopped run in its folder, with its own settings')
    .option(
      '--seeds <n>',
      'train n times with seeds seed .. seed+n-1 into sub-folders, then summarise α and τ',
      integerAtLeast(1),
      1,
    )
    .option('--json', "print each epoch's metrics as a JSON line on stdout", false);
  addTrainingOptions(command).action(async (values: TrainValues, cmd: Command) => {
    if (values.resume !== undefined) {
      rejectOptionsWithResume(cmd, 'run');
      await resumeTraining(values.resume, values.json);
      return;
    }
    const config: TrainConfig = {
      ...baseConfig(values, values.epochs),
      net: values.net,
      head: values.head,
      seed: values.seed,
    };
    if (values.seeds > 1) {
      const { trainSeeds } = await import('./train-seeds.js');
      await trainSeeds(config, { ...values, seeds: values.seeds });
      return;
    }
    await startTraining(config, values);
  });
}

// Checks the settings and loads the data before the run folder exists, so bad input
// leaves no folder behind; a failure before config.json is written removes the folder.
async function startTraining(config: TrainConfig, values: TrainValues): Promise<void> {
  validateConfig(config);
  const spec = resolveNetwork(config.net);
  const { loadData } = await import('../../data/load.js');
  const { buildNetwork } = await import('../../models/build.js');
  const data = loadData(config);
  buildNetwork(spec, { inputShape: data.imageShape, numClasses: data.numClasses }).dispose();
  const dir = createRunFolderOrExplain(
    values.runsDir,
    values.name ?? `${values.net}-${values.head}`,
  );
  try {
    await trainInto(dir, config, { resume: false, json: values.json, data });
  } catch (error) {
    const { removeUnstartedRun } = await import('../../train/run-folder.js');
    removeUnstartedRun(dir);
    throw error;
  }
}

async function resumeTraining(dir: string, json: boolean): Promise<void> {
  if (existsSync(join(dir, 'grid.json'))) {
    const { trainSeedsInto } = await import('./train-seeds.js');
    await trainSeedsInto(dir, json);
    return;
  }
  const { readRun } = await import('../../train/run-folder.js');
  const { resumeFile } = await import('../../train/checkpoint.js');
  const record = readRun(dir);
  if (record.summary !== null) throw new UsageError(`${dir} has already finished all its epochs`);
  if (!existsSync(join(dir, resumeFile))) {
    logLine(`${dir} has no ${resumeFile} yet: the run starts again from its first batch`);
  }
  await trainInto(dir, record.config, { resume: true, json });
}

async function trainInto(
  dir: string,
  config: TrainConfig,
  options: { resume: boolean; json: boolean; data?: DataSplits },
): Promise<void> {
  const { resume, json } = options;
  printConfiguration(resume ? `resuming ${dir}` : 'configuration', { ...config, runDir: dir });
  const { loadData } = await import('../../data/load.js');
  const { runTraining } = await import('../../train/run.js');
  const data = options.data ?? loadData(config);
  const display = new TrainingDisplay(`${config.net} ${config.head}`);
  const shown = display.callbacks();
  const callbacks: TrainCallbacks = {
    ...shown,
    onEpoch: (metrics, trainer) => {
      shown.onEpoch?.(metrics, trainer);
      if (json) console.log(JSON.stringify(metrics));
    },
  };
  const signals = abortOnSignals();
  try {
    const result = await runTraining(config, {
      dir,
      data,
      callbacks,
      signal: signals.signal,
      resume,
    });
    display.close();
    if (result.stopped) {
      logLine(`stopped; continue with: isbe train --resume ${dir}`);
      process.exitCode = signals.exitCode();
    } else if (result.summary !== null) {
      const { testAccuracy, tau } = result.summary;
      logLine(`finished: test accuracy ${testAccuracy.toFixed(2)} %, τ ${tau.toFixed(2)} %`);
    }
    if (!json) console.log(dir);
  } finally {
    display.close();
    signals.dispose();
  }
}
