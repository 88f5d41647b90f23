/**
 * The figures of a report. For every network, the loss and accuracy curves of each head
 * grouping in groups.ts, and the matching losses of its heads. Then the networks side by
 * side, and τ and α beside the values published in the ISBE paper.
 */
import type { TopLevelSpec } from 'vega-lite';

import {
  accuracyChart,
  type ChartRow,
  type CurveChartOptions,
  type HeadRow,
  lossChart,
  matchingLossChart,
} from './charts.js';
import { headTitle, netComparisonHeads, selectGroups, sortHeads } from './groups.js';
import { dotRows, paperChart, paperSource, type RunMetric } from './paper-chart.js';
import {
  accuracyPanels,
  curveRows,
  describeSeeds,
  finalAccuracyRows,
  type Line,
  lossPanels,
  matchingLossPanels,
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

function groupFigures(netLines: readonly Line[], net: string, variants: Variants) {
  const groups = selectGroups(sortHeads(netLines.map((line) => line.head)));
  return groups.flatMap((group) => {
    const groupLines = netLines.filter((line) => group.heads.includes(line.head));
    return curveFigures(`${net}-${group.id}`, `${net}, ${group.title}`, groupLines, variants);
  });
}

/** Checks whether a head's matching loss is the cross-entropy, which puts it in the CE row. */
function matchesCrossEntropy(head: string): boolean {
  // ISBE softmax's matching loss logsumexp(x) − y·x is the cross-entropy −Σ y log softmax(x)
  // because its target rows, blurred or smoothed one-hot rows, sum to 1.
  return head.startsWith('ce-') || head === 'isbe-softmax';
}

// Row titles stay short: vega sizes the figure by an estimate of their width, which runs
// long, so a long title pushes the legend away from the panels.
function matchingLossRows(heads: readonly string[]): HeadRow[] {
  const crossEntropy = heads.filter(matchesCrossEntropy);
  const rows: HeadRow[] = [];
  if (crossEntropy.length > 0) {
    const names = [
      ...(crossEntropy.some((head) => head.startsWith('ce-')) ? ['CE heads'] : []),
      ...(crossEntropy.includes('isbe-softmax') ? [headTitle('isbe-softmax')] : []),
    ];
    const title = `Cross-entropy in nats, per image: ${names.join(' and ')}`;
    rows.push({ title, heads: crossEntropy });
  }
  for (const head of heads.filter((head) => !matchesCrossEntropy(head))) {
    rows.push({ title: `${headTitle(head)}: ISBE matching loss per image`, heads: [head] });
  }
  return rows;
}

// Subtitle lines, short for the same reason as the row titles.
const matchingLossNotes = [
  'CE heads: their cross-entropy. ISBE heads: the convex loss whose',
  'gradient is f(X) − Y°, given up to a term in the targets alone,',
  'so it can be negative: compare trends, not levels.',
  'Each row has its own y scale.',
];

/**
 * Builds the matching-loss figure of one network, or none when no training of it recorded
 * the matching loss (runs written before it was, and heads without one).
 */
function matchingLossFigures(netLines: readonly Line[], net: string, variants: Variants): Figure[] {
  const rows = netLines.flatMap((line) =>
    curveRows(line, matchingLossPanels).map((row) => ({ ...row, variant: variants.name(line) })),
  );
  if (rows.length === 0) return [];
  const heads = sortHeads(rows.map((row) => row.head));
  const drawn = netLines.filter((line) => heads.includes(line.head));
  const missing = sortHeads(netLines.map((line) => line.head)).filter((h) => !heads.includes(h));
  const variantNote =
    variants.title === null ? [] : [`Dash and marker pattern: ${variants.title}.`];
  const options: CurveChartOptions = {
    title: `${net}: matching loss`,
    subtitle: [seedsNote(drawn, 'line', 'the shaded band'), ...variantNote, ...matchingLossNotes],
    heads,
    variantTitle: variants.title,
    variants: [...new Set(drawn.map(variants.name))],
  };
  const missingNote =
    missing.length === 0
      ? []
      : [`No matching loss recorded, so not drawn: ${missing.map(headTitle).join(', ')}.`];
  const softmaxNote = heads.includes('isbe-softmax')
    ? ['For ISBE softmax it is the cross-entropy, so softmax shares the CE heads’ row.']
    : [];
  const caption = [
    ...options.subtitle,
    'The matching loss is the convex loss whose gradient with respect to the scores X is the',
    'error the head sends back.',
    ...softmaxNote,
    'Train: a fixed sample of training images after the epoch.',
    ...missingNote,
  ].join(' ');
  return [
    {
      id: fileStem(`${net}-matching-loss`),
      section: 'curves',
      title: options.title,
      caption,
      spec: matchingLossChart(rows, options, matchingLossRows(heads)),
    },
  ];
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
  tau: 'τ, the share of backpropagation in training time',
  accuracy: 'α, test accuracy after the last epoch',
};

function publishedFigures(lines: readonly Line[]): Figure[] {
  const metrics: RunMetric[] = ['tau', 'accuracy'];
  return metrics.flatMap((metric) => {
    const rows = dotRows(metric, lines);
    if (rows.length === 0) return [];
    const finished = lines.filter((line) => line.records.some((r) => r.summary !== null));
    // Only trainings on the bundled MNIST get the paper's values beside them.
    const published = rows.some((row) => row.source === paperSource);
    const subtitle = [seedsNote(finished, 'dot', 'a vertical rule')];
    if (published) {
      subtitle.push('Diamonds: the values published in the paper, for the same network and head.');
    }
    const title = published ? `${metricTitles[metric]}, beside the paper` : metricTitles[metric];
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
  const netCurves = nets.flatMap((net) => {
    const netLines = lines.filter((line) => line.net === net);
    return [
      ...groupFigures(netLines, net, variants),
      ...matchingLossFigures(netLines, net, variants),
    ];
  });
  return [...netCurves, ...netFigures(lines, nets, manyRuns), ...publishedFigures(lines)];
}
