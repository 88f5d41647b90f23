/**
 * Vega-Lite specs of the learning-curve figures: loss panels (train, validation,
 * progressive), matching-loss panels (train, validation) and accuracy panels (validation,
 * test) over epochs, one line per head. A band runs from the lowest to the highest seed.
 * Accuracy panels add a rule at each line's final test accuracy.
 */
import type { TopLevelSpec } from 'vega-lite';

import { headColor } from './colors.js';
import { headTitle } from './groups.js';
import type { CurveRow } from './series.js';

/** A JSON fragment of a Vega-Lite spec. */
export type SpecPart = Record<string, unknown>;

/**
 * Types a spec built from plain JSON parts. vega-lite checks the spec when it compiles it,
 * and renderSvg() returns what it warned about.
 */
export function asSpec(spec: SpecPart): TopLevelSpec {
  return spec as unknown as TopLevelSpec;
}

/** A chart row with the name of the variant (run, network or both) its line belongs to. */
export type ChartRow = CurveRow & { variant: string };

/** Titles, heads and variants of a learning-curve figure. */
export interface CurveChartOptions {
  title: string;
  subtitle: string[];
  /** Heads in legend order; sets the colour domain. */
  heads: readonly string[];
  /** Legend title of the dash pattern that distinguishes variants; null for a single one. */
  variantTitle: string | null;
  /** Variants in legend order. */
  variants: readonly string[];
}

const font = 'DejaVu Sans, Liberation Sans, Arial, sans-serif';

/** Fonts and sizes shared by every chart, chosen to stay readable in the PNG files. */
export const chartConfig: SpecPart = {
  font,
  background: 'white',
  padding: 10,
  title: { fontSize: 16, subtitleFontSize: 12, subtitleColor: '#333', anchor: 'start' },
  axis: { labelFontSize: 12, titleFontSize: 13, gridColor: '#e8e8e8' },
  legend: {
    labelFontSize: 12,
    titleFontSize: 13,
    labelLimit: 360,
    symbolOpacity: 1,
    symbolSize: 120,
    symbolStrokeWidth: 2.5,
  },
  header: { labelFontSize: 13, labelFontWeight: 'bold', titleFontSize: 13 },
  view: { stroke: '#bbb' },
};

/** Builds the colour encoding: one fixed colour per head, legend titled "head". */
export function colorEncoding(heads: readonly string[]): SpecPart {
  const titles = heads.map(headTitle);
  return {
    field: 'headTitle',
    type: 'nominal',
    title: 'head',
    sort: titles,
    scale: { domain: titles, range: heads.map(headColor) },
  };
}

function epochEncoding(rows: readonly ChartRow[]): SpecPart {
  const last = Math.max(1, ...rows.map((row) => row.epoch ?? 1));
  const margin = Math.max(0.25, (last - 1) * 0.02);
  const axis: SpecPart = { format: 'd', tickMinStep: 1 };
  if (last <= 12) axis.values = Array.from({ length: last }, (_, i) => i + 1);
  return {
    field: 'epoch',
    type: 'quantitative',
    title: 'epoch',
    scale: { domain: [1 - margin, last + margin], nice: false, zero: false },
    axis,
  };
}

function variantEncodings(options: CurveChartOptions): SpecPart {
  if (options.variantTitle === null) return {};
  const variant = {
    field: 'variant',
    type: 'nominal',
    title: options.variantTitle,
    sort: options.variants,
  };
  return { strokeDash: variant, shape: variant };
}

const bandFilter = "datum.kind === 'curve' && datum.seeds > 1";

function curveLayers(
  rows: readonly ChartRow[],
  options: CurveChartOptions,
  yTitle: string,
): SpecPart[] {
  const x = epochEncoding(rows);
  const color = colorEncoding(options.heads);
  const y = { type: 'quantitative', title: yTitle, scale: { zero: false } };
  const detail = { field: 'line', type: 'nominal' };
  const band = {
    transform: [{ filter: bandFilter }],
    mark: { type: 'area', opacity: 0.14 },
    encoding: { x, y: { ...y, field: 'low' }, y2: { field: 'high' }, color, detail },
  };
  const curve = {
    transform: [{ filter: "datum.kind === 'curve'" }],
    mark: { type: 'line', strokeWidth: 2, point: { filled: true, size: 45 } },
    encoding: { x, y: { ...y, field: 'value' }, color, detail, ...variantEncodings(options) },
  };
  // An empty layer makes vega warn about an infinite extent, so the band needs a seed range.
  const hasBand = rows.some((row) => row.kind === 'curve' && row.seeds > 1);
  return hasBand ? [band, curve] : [curve];
}

function finalRule(options: CurveChartOptions): SpecPart {
  return {
    transform: [{ filter: "datum.kind === 'final'" }],
    mark: { type: 'rule', strokeDash: [2, 3], strokeWidth: 1.5, opacity: 0.85 },
    encoding: {
      y: { field: 'value', type: 'quantitative' },
      color: colorEncoding(options.heads),
      detail: { field: 'line', type: 'nominal' },
    },
  };
}

function panelFacet(rows: readonly ChartRow[], panels: readonly string[], layer: SpecPart[]) {
  const present = panels.filter((panel) => rows.some((row) => row.panel === panel));
  return {
    data: { values: rows },
    facet: { column: { field: 'panel', type: 'nominal', sort: present, title: null } },
    spec: { width: 240, height: 190, layer },
  };
}

// Row titles of the loss kinds that CrossEntropyHead and IsbeHead report.
const lossTitles: Record<string, string> = {
  'cross-entropy': 'CE heads: cross-entropy in nats, per image',
  'squared error of soft scores':
    'ISBE heads: squared error ‖Y − Y°‖² of the soft scores, per image',
};

function lossKindTitle(lossName: string): string {
  return lossTitles[lossName] ?? `${lossName}, per image`;
}

// One titled row of panels in a figure whose rows each have their own y scale.
function titledRow(
  rowTitle: string,
  rows: readonly ChartRow[],
  panels: readonly string[],
  options: CurveChartOptions,
  yTitle: string,
): SpecPart {
  return {
    title: { text: rowTitle, fontSize: 13, fontWeight: 'normal' },
    ...panelFacet(rows, panels, curveLayers(rows, options, yTitle)),
  };
}

/**
 * Builds the loss figure: one row of train, validation and progressive panels per kind of loss,
 * each row with its own y scale, because cross-entropy and squared error share no scale.
 */
export function lossChart(rows: readonly ChartRow[], options: CurveChartOptions): TopLevelSpec {
  const panels = ['train loss', 'validation loss', 'progressive loss'];
  const kinds = [...new Set(rows.map((row) => row.lossName ?? 'loss'))];
  const vconcat = kinds.map((kind) => {
    const kindRows = rows.filter((row) => (row.lossName ?? 'loss') === kind);
    return titledRow(lossKindTitle(kind), kindRows, panels, options, 'loss per image');
  });
  const title = { text: options.title, subtitle: options.subtitle };
  return asSpec({ title, vconcat, config: chartConfig });
}

/** Heads whose matching losses share one row, and so one y scale, of the matching-loss figure. */
export interface HeadRow {
  title: string;
  heads: readonly string[];
}

/**
 * Builds the matching-loss figure: a row of train and validation panels per group of heads,
 * each row with its own y scale. Rows without data are left out.
 */
export function matchingLossChart(
  rows: readonly ChartRow[],
  options: CurveChartOptions,
  headRows: readonly HeadRow[],
): TopLevelSpec {
  const panels = ['train matching loss', 'validation matching loss'];
  const vconcat = headRows.flatMap((headRow) => {
    const rowData = rows.filter((row) => headRow.heads.includes(row.head));
    if (rowData.length === 0) return [];
    return [titledRow(headRow.title, rowData, panels, options, 'matching loss per image')];
  });
  const title = { text: options.title, subtitle: options.subtitle };
  return asSpec({ title, vconcat, config: chartConfig });
}

/** Builds the accuracy figure: validation and test panels, and each line's final test accuracy. */
export function accuracyChart(rows: readonly ChartRow[], options: CurveChartOptions): TopLevelSpec {
  const panels = ['validation accuracy', 'test accuracy'];
  const layers = curveLayers(rows, options, 'accuracy (%)');
  if (rows.some((row) => row.kind === 'final')) layers.push(finalRule(options));
  const title = { text: options.title, subtitle: options.subtitle };
  return asSpec({ title, ...panelFacet(rows, panels, layers), config: chartConfig });
}
