/**
 * The figures of a report. For every network, the loss and accuracy curves of each head
 * grouping in groups.ts. Then the networks side by side, and τ and α beside the values
 * published in the ISBE paper.
 */
import type { TopLevelSpec } from 'vega-lite';

import { accuracyChart, type ChartRow, type CurveChartOptions, lossChart } from './charts.js';
import { headTitle, netComparisonHeads, selectGroups, sortHeads } from './groups.js';
import { dotRows, paperChart, type RunMetric } from './paper-chart.js';
import {
  accuracyPanels,
  curveRows,
  describeSeeds,
  finalAccuracyRows,
  type Line,
  lossPanels,
} from './series.js';
import type { ReportSource } from './sources.js';

/** One figure: its file name stem, section of the report, titles and Vega-Lite spec. */
export interface Figure {
  id: string;
  section: 'curves' | 'published';
  title: string;
  caption: string;
  spec: TopLevelSpec;
}

/** The pattern that distinguishes lines of one figure beyond their head's colour. */
interface Variants {
  title: string | null;
  name(line: Line): string;
}

function fileStem(text: string): string {
  return text.replace(/[^\w.-]+/g, '_');
}

function seedsNote(lines: readonly Line[], unit: 'line' | 'dot', spreadMark: string): string {
  const seeds = describeSeeds(lines);
  if (seeds === '1 seed') return `One seed per ${unit}.`;
  return `Mean of ${seeds} per ${unit}; ${spreadMark} runs from the lowest to the highest seed.`;
}

function rowsOf(lines: readonly Line[], variants: Variants, kind: 'loss' | 'accuracy'): ChartRow[] {
  return lines.flatMap((line) => {
    const rows =
      kind === 'loss'
        ? curveRows(line, lossPanels)
        : [...curveRows(line, accuracyPanels), ...finalAccuracyRows(line, accuracyPanels)];
    return rows.map((row) => ({ ...row, variant: variants.name(line) }));
  });
}

const lossNote =
  'Train loss: a fixed sample of training images after the epoch; progressive loss: mean ' +
  'over the epoch’s batches during training. CE heads report cross-entropy, ISBE heads the ' +
  'squared error of soft scores: each kind has its own row and y scale.';

const accuracyNote = 'Dotted rules: each line’s final test accuracy.';

function curveFigures(id: string, title: string, lines: Line[], variants: Variants): Figure[] {
  const heads = sortHeads(lines.map((line) => line.head));
  const variantNote =
    variants.title === null ? [] : [`Dash and marker pattern: ${variants.title}.`];
  const options = (suffix: string, notes: string[]): CurveChartOptions => ({
    title: `${title}: ${suffix}`,
    subtitle: [seedsNote(lines, 'line', 'the shaded band'), ...variantNote, ...notes],
    heads,
    variantTitle: variants.title,
    variants: [...new Set(lines.map(variants.name))],
  });
  const loss = options('loss', []);
  const accuracy = options('accuracy', [accuracyNote]);
  return [
    {
      id: fileStem(`${id}-loss`),
      section: 'curves',
      title: loss.title,
      caption: `${loss.subtitle.join(' ')} ${lossNote}`,
      spec: lossChart(rowsOf(lines, variants, 'loss'), loss),
    },
    {
      id: fileStem(`${id}-accuracy`),
      section: 'curves',
      title: accuracy.title,
      caption: accuracy.subtitle.join(' '),
      spec: accuracyChart(rowsOf(lines, variants, 'accuracy'), accuracy),
    },
  ];
}

function groupFigures(lines: readonly Line[], nets: readonly string[], variants: Variants) {
  return nets.flatMap((net) => {
    const netLines = lines.filter((line) => line.net === net);
    const groups = selectGroups(sortHeads(netLines.map((line) => line.head)));
    return groups.flatMap((group) => {
      const groupLines = netLines.filter((line) => group.heads.includes(line.head));
      return curveFigures(`${net}-${group.id}`, `${net}, ${group.title}`, groupLines, variants);
    });
  });
}

function netFigures(lines: readonly Line[], nets: readonly string[], manyRuns: boolean) {
  if (nets.length < 2) return [];
  const heads = netComparisonHeads(sortHeads(lines.map((line) => line.head)));
  const selected = lines.filter((line) => heads.includes(line.head));
  const variants: Variants = manyRuns
    ? { title: 'run · network', name: (line) => `${line.run} · ${line.net}` }
    : { title: 'network', name: (line) => line.net };
  const title = `${nets.join(' vs ')}, ${heads.map(headTitle).join(', ')}`;
  return curveFigures('nets', title, selected, variants);
}

const metricTitles: Record<RunMetric, string> = {
  tau: 'τ, the share of backpropagation in training time, beside the paper',
  accuracy: 'α, test accuracy after the last epoch, beside the paper',
};

function publishedFigures(lines: readonly Line[]): Figure[] {
  const metrics: RunMetric[] = ['tau', 'accuracy'];
  return metrics.flatMap((metric) => {
    const rows = dotRows(metric, lines);
    if (rows.length === 0) return [];
    const finished = lines.filter((line) => line.records.some((r) => r.summary !== null));
    const subtitle = [
      seedsNote(finished, 'dot', 'a vertical rule'),
      'Diamonds: the values published in the paper, for the same network and head.',
    ];
    const title = metricTitles[metric];
    return [
      {
        id: metric === 'tau' ? 'tau-vs-paper' : 'accuracy-vs-paper',
        section: 'published' as const,
        title,
        caption: subtitle.join(' '),
        spec: paperChart(metric, rows, { title, subtitle }),
      },
    ];
  });
}

/** Builds every figure of a report on the sources, in the order the report shows them. */
export function buildFigures(sources: readonly ReportSource[], lines: readonly Line[]): Figure[] {
  const nets = [...new Set(sources.flatMap((source) => source.nets))].filter((net) =>
    lines.some((line) => line.net === net),
  );
  const manyRuns = sources.length > 1;
  const variants: Variants = manyRuns
    ? { title: 'run', name: (line) => line.run }
    : { title: null, name: () => '' };
  return [
    ...groupFigures(lines, nets, variants),
    ...netFigures(lines, nets, manyRuns),
    ...publishedFigures(lines),
  ];
}
