import { type Command, Option } from 'commander';

import type { TrainConfig } from '../../train/config.js';
import { abortOnSignals } from '../signals.js';
import { knownHeads, addTrainingOptions, baseConfig, integerAtLeast, type TrainingOptionValues } from '../options.js';
import { logLine, printConfiguration, TrainingDisplay } from '../progress.js';
import { createRunFolderOrExplain, UsageError } from '../errors.js';

interface TrainValues extends TrainingOptionValues {
  net: string;
  head: string;
  epochs: number;
  seed: number;
  name?: string;
  resume?: string;
}

/** Registers `isbe train`. */
export function registerTrain(program: Command): void {
  const command = program
    .command('train')
    .description('train one network with one head and write a run folder')
    .option('--net <net>', 'N0, N1, N1r, or a description such as "C32k3s2 C64k3s2 D20 F512 F10"', 'N0')
    .addOption(new Option('--head <head>', 'training head').choices(knownHeads()).default('isbe-softmax'))
    .option('--epochs <n>', 'epochs to train', integerAtLeast(1), 1)
    .option('--seed <n>', 'seed of initial weights, data order, augmentation and dropout', integerAtLeast(0), 0)
    .option('--name <name>', 'name of the run folder after its time stamp (default: <net>-<head>)')
    .option('--resume <run-dir>', 'continue a stopped run in its folder, with its own settings');
  addTrainingOptions(command).action(async (values: TrainValues, cmd: Command) => {
    if (values.resume !== undefined) {
      rejectOptionsWithResume(cmd);
      await resumeTraining(values.resume);
      return;
    }
    const config: TrainConfig = {
      ...baseConfig(values, values.epochs),
      net: values.net,
      head: values.head,
      seed: values.seed,
    };
    const dir = createRunFolderOrExplain(values.runsDir, values.name ?? `${values.net}-${values.head}`);
    await trainInto(dir, config, false);
  });
}

function rejectOptionsWithResume(cmd: Command): void {
  const given = cmd.options
    .map((option) => option.attributeName())
    .filter((name) => name !== 'resume' && cmd.getOptionValueSource(name) === 'cli');
  if (given.length > 0) {
    throw new UsageError(
      `--resume continues a run with the settings it started with; drop ${given
        .map((name) => `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`)
        .join(', ')}`,
    );
  }
}

async function resumeTraining(dir: string): Promise<void> {
  const { readRun } = await import('../../train/run-folder.js');
  const record = readRun(dir);
  if (record.summary !== null) throw new UsageError(`${dir} has already finished all its epochs`);
  await trainInto(dir, record.config, true);
}

async function trainInto(dir: string, config: TrainConfig, resume: boolean): Promise<void> {
  printConfiguration(resume ? `resuming ${dir}` : 'configuration', { ...config, runDir: dir });
  const { loadData } = await import('../../data/load.js');
  const { runTraining } = await import('../../train/run.js');
  const data = loadData(config);
  const display = new TrainingDisplay(`${config.net} ${config.head}`);
  const signals = abortOnSignals();
  try {
    const result = await runTraining(config, {
      dir,
      data,
      callbacks: display.callbacks(),
      signal: signals.signal,
      resume,
    });
    display.close();
    if (result.stopped) {
      logLine(`stopped; continue with: isbe train --resume ${dir}`);
      process.exitCode = 130;
    } else if (result.summary !== null) {
      const { testAccuracy, tau } = result.summary;
      logLine(`finished: test accuracy ${testAccuracy.toFixed(2)} %, τ ${tau.toFixed(2)} %`);
    }
    console.log(dir);
  } finally {
    display.close();
    signals.dispose();
  }
}
