import type { Command } from 'commander';

import type { ReportResult } from '../../report/report.js';
import { logLine } from '../progress.js';

/** Prints where a report went, after any warning vega-lite or vega gave while drawing it. */
export function printReport(result: ReportResult): void {
  for (const warning of result.warnings) logLine(`warning: chart ${warning}`);
  console.log(`report: ${result.htmlPath} (${result.figures.length} charts)`);
}

/** Registers `isbe report`. */
export function registerReport(program: Command): void {
  program
    .command('report')
    .description(
      'draw learning curves, τ and accuracy beside the paper, and Tables 1-4 of a run into ' +
        '<run-dir>/report/ (report.html, and an SVG and a PNG file per chart)',
    )
    .argument(
      '<run-dir>',
      'grid folder written by isbe reproduce, or run folder written by isbe train',
    )
    .action(async (runDir: string) => {
      const { writeRunReport } = await import('../../report/report.js');
      printReport(await writeRunReport(runDir));
    });
}

/**
 * Writes the report of a run folder whose results are already saved. A failure is printed
 * with the command that retries it and sets exit code 1, because the training itself
 * succeeded and its results stay where they are.
 */
export async function writeRunReportOrExplain(dir: string): Promise<void> {
  try {
    const { writeRunReport } = await import('../../report/report.js');
    printReport(await writeRunReport(dir));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    logLine(`isbe: error: writing the report failed: ${reason}; retry with: isbe report ${dir}`);
    process.exitCode = 1;
  }
}
