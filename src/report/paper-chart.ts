/**
 * The dot chart of a per-run figure (τ or test accuracy α) for every network and head:
 * our mean over seeds, with a rule from the lowest to the highest seed, beside the value
 * the ISBE paper published.
 */
import type { TopLevelSpec } from 'vega-lite';

import { onPaperData, paperAccuracy, paperTau } from '../experiments/paper.js';
import { asSpec, chartConfig, colorEncoding, type SpecPart } from './charts.js';
import { headTitle, sortHeads } from './groups.js';
import type { Line } from './series.js';

export type RunMetric = 'tau' | 'accuracy';

/** One dot: a source's mean (with its seed range) or the published value. */
interface DotRow {
  net: string;
  head: string;
  headTitle: string;
  source: string;
  value: number;
  low: number;
  high: number;
  seeds: number;
}

export const paperSource = 'paper (published)';

const axisTitles: Record<RunMetric, string> = {
  tau: 'τ, share of backpropagation time (%)',
  accuracy: 'α, test accuracy (%)',
};

const markerShapes = ['circle', 'square', 'triangle-up', 'cross', 'triangle-down', 'stroke'];

function runValue(metric: RunMetric, line: Line): number[] {
  return line.records.flatMap((record) => {
    const summary = record.summary;
    if (summary === null) return [];
    return [metric === 'tau' ? summary.tau : summary.testAccuracy];
  });
}

function publishedValue(metric: RunMetric, net: string, head: string): number | null {
  return metric === 'tau' ? paperTau(net, head) : paperAccuracy(net, head);
}

/**
 * Builds one dot per line with a finished training, and one dot with the published value
 * for each network and head among them.
 */
export function dotRows(metric: RunMetric, lines: readonly Line[]): DotRow[] {
  const rows: DotRow[] = [];
  const cells = new Set<string>();
  for (const line of lines) {
    const values = runValue(metric, line);
    if (values.length === 0) continue;
    const mean = values.reduce((sum, v) => sum + v, 0) / values.length;
    const base = { net: line.net, head: line.head, headTitle: headTitle(line.head) };
    const low = Math.min(...values);
    const high = Math.max(...values);
    rows.push({ ...base, source: line.run, value: mean, low, high, seeds: values.length });
    const cell = `${line.net}|${line.head}`;
    const onPaper = line.records.every((record) => onPaperData(record.config));
    const published = onPaper ? publishedValue(metric, line.net, line.head) : null;
    if (published === null || cells.has(cell)) continue;
    cells.add(cell);
    const paperRow = { value: published, low: published, high: published, seeds: 1 };
    rows.push({ ...base, source: paperSource, ...paperRow });
  }
  return rows;
}

// Sources in legend order, the published values last, with the marker shape of each.
function sourceShapes(rows: readonly DotRow[]): { sources: string[]; shapes: string[] } {
  const sources = [...new Set(rows.map((row) => row.source))].sort(
    (a, b) => Number(a === paperSource) - Number(b === paperSource),
  );
  const shapesOfSources = sources.map((source, i) =>
    source === paperSource ? 'diamond' : (markerShapes[i % markerShapes.length] as string),
  );
  return { sources, shapes: shapesOfSources };
}

function dotLayers(metric: RunMetric, rows: readonly DotRow[]): SpecPart[] {
  const heads = sortHeads(rows.map((row) => row.head));
  const { sources, shapes } = sourceShapes(rows);
  const x = {
    field: 'headTitle',
    type: 'nominal',
    sort: heads.map(headTitle),
    title: 'head',
    axis: { labelAngle: -35 },
  };
  const xOffset = { field: 'source', type: 'nominal', sort: sources };
  const y = {
    type: 'quantitative',
    title: axisTitles[metric],
    scale: { zero: false, padding: 12 },
  };
  const color = { ...colorEncoding(heads), legend: null };
  const shape = {
    field: 'source',
    type: 'nominal',
    title: 'source',
    sort: sources,
    scale: { domain: sources, range: shapes },
  };

  const dots = {
    mark: { type: 'point', filled: true, size: 90, opacity: 0.95 },
    encoding: { x, xOffset, y: { ...y, field: 'value' }, color, shape },
  };
  if (!rows.some((row) => row.seeds > 1)) return [dots];
  const range = {
    transform: [{ filter: 'datum.seeds > 1' }],
    mark: { type: 'rule', strokeWidth: 2 },
    encoding: { x, xOffset, y: { ...y, field: 'low' }, y2: { field: 'high' }, color },
  };
  return [range, dots];
}

/** Builds the dot chart of `metric`, one panel per network. */
export function paperChart(
  metric: RunMetric,
  rows: readonly DotRow[],
  options: { title: string; subtitle: string[] },
): TopLevelSpec {
  const nets = [...new Set(rows.map((row) => row.net))];
  return asSpec({
    title: { text: options.title, subtitle: options.subtitle },
    data: { values: rows },
    facet: { column: { field: 'net', type: 'nominal', sort: nets, title: null } },
    spec: { width: { step: 44 }, height: 260, layer: dotLayers(metric, rows) },
    config: chartConfig,
  });
}
