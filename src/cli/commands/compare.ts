import type { Command } from 'commander';
import { existsSync, rmSync, statSync } from 'node:fs';
import { resolve } from 'node:path';

import { createRunFolderOrExplain, UsageError } from '../errors.js';
import { printReport } from './report.js';

interface CompareValues {
  out?: string;
  title?: string;
}

function rejectRepeats(dirs: readonly string[]): void {
  const seen = new Set<string>();
  for (const dir of dirs) {
    const path = resolve(dir);
    if (seen.has(path)) throw new UsageError(`${dir} is given twice; pass each run folder once`);
    seen.add(path);
  }
}

/** Registers `isbe compare`. */
export function registerCompare(program: Command): void {
  program
    .command('compare')
    .description(
      'put several runs (for example two seeds, or fp32 and bf16) on the same charts, one ' +
        'colour per head and one dash pattern per run, and write a report',
    )
    .argument('<run-dirs...>', 'two or more grid folders or training run folders')
    .option(
      '--out <dir>',
      'folder that receives the report (default: a new folder runs/<time>-compare)',
    )
    .option('--title <text>', 'title of the report page (default: the runs compared)')
    .action(async (dirs: string[], values: CompareValues) => {
      if (dirs.length < 2) {
        throw new UsageError(
          'compare needs at least two run folders; for one, use isbe report <run-dir>',
        );
      }
      rejectRepeats(dirs);
      const { writeReport } = await import('../../report/report.js');
      if (
        values.out !== undefined &&
        existsSync(values.out) &&
        !statSync(values.out).isDirectory()
      ) {
        throw new UsageError(`--out ${values.out} is a file; give a folder for the report`);
      }
      const outDir = values.out ?? createRunFolderOrExplain('runs', 'compare');
      try {
        printReport(await writeReport({ dirs, outDir, title: values.title }));
      } catch (error) {
        // The folder made for this report contains nothing else, so a failed report removes it.
        if (values.out === undefined) rmSync(outDir, { recursive: true, force: true });
        throw error;
      }
    });
}
