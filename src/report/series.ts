/**
 * Chart data from runs: per-epoch curves averaged over seeds, with the lowest and highest
 * seed, and each line's final test accuracy. A line is one (source, network, head).
 */
import type { EpochMetrics } from '../train/metrics.js';
import type { RunRecord } from '../train/run-folder.js';
import { headTitle } from './groups.js';
import type { ReportSource } from './sources.js';

/** One row of a chart's data: a point of a curve, or a line's final test accuracy. */
export interface CurveRow {
  kind: 'curve' | 'final';
  /** Label of the source folder. */
  run: string;
  net: string;
  head: string;
  headTitle: string;
  /** Identifies the line, so lines that share colour and dash stay apart. */
  line: string;
  /** The panel the row belongs to, for example "validation loss". */
  panel: string;
  /** Kind of loss of the line (EpochMetrics.lossName); null for accuracies. */
  lossName: string | null;
  /** null for a final accuracy, which spans every epoch. */
  epoch: number | null;
  /** Mean over the seeds. */
  value: number;
  /** Lowest and highest seed. */
  low: number;
  high: number;
  seeds: number;
}

/** The trainings of one line: the seeds of one network and head in one source. */
export interface Line {
  run: string;
  net: string;
  head: string;
  records: RunRecord[];
}

/** A panel of a figure and the per-epoch figure it draws. */
export interface Panel {
  name: string;
  value(epoch: EpochMetrics): number | null;
}

export const lossPanels: readonly Panel[] = [
  { name: 'train loss', value: (epoch) => epoch.trainLoss },
  { name: 'validation loss', value: (epoch) => epoch.validationLoss },
  { name: 'progressive loss', value: (epoch) => epoch.progressiveLoss },
];

/** Matching-loss panels; runs written before it was recorded have no values here. */
export const matchingLossPanels: readonly Panel[] = [
  { name: 'train matching loss', value: (epoch) => epoch.trainMatchingLoss ?? null },
  { name: 'validation matching loss', value: (epoch) => epoch.validationMatchingLoss ?? null },
];

export const accuracyPanels: readonly Panel[] = [
  { name: 'validation accuracy', value: (epoch) => epoch.validationAccuracy },
  { name: 'test accuracy', value: (epoch) => epoch.testAccuracy },
];

/** Splits the trainings of the sources into lines, in the order they first appear. */
export function collectLines(sources: readonly ReportSource[]): Line[] {
  const lines = new Map<string, Line>();
  for (const source of sources) {
    for (const record of source.records) {
      const { net, head } = record.config;
      const key = JSON.stringify([source.label, net, head]);
      const line = lines.get(key) ?? { run: source.label, net, head, records: [] };
      line.records.push(record);
      lines.set(key, line);
    }
  }
  return [...lines.values()];
}

interface Spread {
  value: number;
  low: number;
  high: number;
  seeds: number;
}

function spread(values: readonly number[]): Spread {
  const mean = values.reduce((sum, v) => sum + v, 0) / values.length;
  return { value: mean, low: Math.min(...values), high: Math.max(...values), seeds: values.length };
}

function rowBase(line: Line) {
  return {
    run: line.run,
    net: line.net,
    head: line.head,
    headTitle: headTitle(line.head),
    line: JSON.stringify([line.run, line.net, line.head]),
  };
}

function epochNumbers(line: Line): number[] {
  const numbers = line.records.flatMap((record) => record.epochs.map((epoch) => epoch.epoch));
  return [...new Set(numbers)].sort((a, b) => a - b);
}

/** Averages each panel's values over the seeds that reached each epoch. */
export function curveRows(line: Line, panels: readonly Panel[]): CurveRow[] {
  const rows: CurveRow[] = [];
  for (const epochNumber of epochNumbers(line)) {
    const epochs = line.records
      .map((record) => record.epochs.find((epoch) => epoch.epoch === epochNumber))
      .filter((epoch): epoch is EpochMetrics => epoch !== undefined);
    const lossName = epochs[0]?.lossName ?? null;
    for (const panel of panels) {
      const values = epochs.map(panel.value).filter((v): v is number => Number.isFinite(v));
      if (values.length === 0) continue;
      const isLoss = panel.name.endsWith('loss');
      rows.push({
        kind: 'curve',
        ...rowBase(line),
        panel: panel.name,
        lossName: isLoss ? lossName : null,
        epoch: epochNumber,
        ...spread(values),
      });
    }
  }
  return rows;
}

/**
 * Averages the final test accuracy of the line's finished seeds, as one row per panel. Returns
 * no rows when no seed finished.
 */
export function finalAccuracyRows(line: Line, panels: readonly Panel[]): CurveRow[] {
  const values = line.records.flatMap((record) => record.summary?.testAccuracy ?? []);
  if (values.length === 0) return [];
  return panels.map((panel) => ({
    kind: 'final' as const,
    ...rowBase(line),
    panel: panel.name,
    lossName: null,
    epoch: null,
    ...spread(values),
  }));
}

/** Seeds per line, as "1 seed", "3 seeds" or "1 to 3 seeds". */
export function describeSeeds(lines: readonly Line[]): string {
  const counts = lines.map((line) => line.records.length);
  const low = Math.min(...counts);
  const high = Math.max(...counts);
  if (low === high) return high === 1 ? '1 seed' : `${high} seeds`;
  return `${low} to ${high} seeds`;
}
