/**
 * The paper's Tables 1–4 from a grid's runs: τ, Δτ = τ_ISBE − τ_CE, α and Δα = α_ISBE −
 * α_CE, in %. Each cell holds our statistics over seeds beside the paper's value. Δ cells
 * pair the two heads' runs by seed, which share initial weights and data order.
 */
import type { RunRecord } from '../train/run-folder.js';
import { onPaperData, paperAccuracy, paperHeadTitles, paperTau } from './paper.js';
import { describe, differsFromZero, type Stats } from './stats.js';

export type Metric = 'tau' | 'accuracy';

/** One cell: our statistics and the paper's figure. */
export interface TableCell {
  ours: Stats;
  paper: number | null;
  /** For Δ cells: whether the 95 % interval of the paired differences excludes zero. */
  differsFromZero?: boolean | null;
}

/** A table with labelled rows and columns; a null cell had no runs. */
export interface Table {
  id: 'table1-tau' | 'table2-delta-tau' | 'table3-accuracy' | 'table4-delta-accuracy';
  title: string;
  rowHeader: string;
  rows: string[];
  columns: string[];
  cells: (TableCell | null)[][];
  /** Whether the runs trained on other data than the paper's MNIST. */
  offPaperData: boolean;
}

type Index = Map<string, Map<number, number>>;

function metricOf(record: RunRecord, metric: Metric): number {
  const summary = record.summary;
  if (summary === null) throw new Error(`${record.dir} has no summary`);
  return metric === 'tau' ? summary.tau : summary.testAccuracy;
}

// value of `metric` by "net|head", then by seed
function indexRuns(records: readonly RunRecord[], metric: Metric): Index {
  const index: Index = new Map();
  for (const record of records) {
    const key = `${record.config.net}|${record.config.head}`;
    const bySeed = index.get(key) ?? new Map<number, number>();
    bySeed.set(record.config.seed, metricOf(record, metric));
    index.set(key, bySeed);
  }
  return index;
}

function offPaperData(records: readonly RunRecord[]): boolean {
  return !records.every((record) => onPaperData(record.config));
}

function paperValue(
  metric: Metric,
  net: string,
  head: string,
  records: readonly RunRecord[],
): number | null {
  if (offPaperData(records)) return null;
  return metric === 'tau' ? paperTau(net, head) : paperAccuracy(net, head);
}

function title(head: string): string {
  return paperHeadTitles[head] ?? head;
}

/** Table 1 (τ) or Table 3 (α): networks × heads. */
export function valueTable(
  records: readonly RunRecord[],
  metric: Metric,
  nets: readonly string[],
  heads: readonly string[],
): Table {
  const index = indexRuns(records, metric);
  const cells = nets.map((net) =>
    heads.map((head): TableCell | null => {
      const values = [...(index.get(`${net}|${head}`)?.values() ?? [])];
      if (values.length === 0) return null;
      return { ours: describe(values), paper: paperValue(metric, net, head, records) };
    }),
  );
  const tau = metric === 'tau';
  return {
    id: tau ? 'table1-tau' : 'table3-accuracy',
    title: tau ? 'Table 1: τ, share of backpropagation time (%)' : 'Table 3: α, test accuracy (%)',
    rowHeader: 'net',
    rows: [...nets],
    columns: heads.map(title),
    cells,
    offPaperData: offPaperData(records),
  };
}

/** Table 2 (Δτ) or Table 4 (Δα): (network, CE reduction) × ISBE heads. */
export function deltaTable(
  records: readonly RunRecord[],
  metric: Metric,
  nets: readonly string[],
  heads: readonly string[],
): Table {
  const index = indexRuns(records, metric);
  const ceHeads = heads.filter((h) => h.startsWith('ce-'));
  const isbeHeads = heads.filter((h) => !h.startsWith('ce-'));
  const rows: string[] = [];
  const cells: (TableCell | null)[][] = [];
  for (const net of nets) {
    for (const ce of ceHeads) {
      rows.push(`${net} vs ${title(ce)}`);
      cells.push(isbeHeads.map((isbe) => deltaCell(records, index, metric, net, ce, isbe)));
    }
  }
  const tau = metric === 'tau';
  return {
    id: tau ? 'table2-delta-tau' : 'table4-delta-accuracy',
    title: tau
      ? 'Table 2: Δτ = τ_ISBE − τ_CE (percentage points)'
      : 'Table 4: Δα = α_ISBE − α_CE (percentage points)',
    rowHeader: 'net vs CE',
    rows,
    columns: isbeHeads.map(title),
    cells,
    offPaperData: offPaperData(records),
  };
}

function deltaCell(
  records: readonly RunRecord[],
  index: Index,
  metric: Metric,
  net: string,
  ce: string,
  isbe: string,
) {
  const ceRuns = index.get(`${net}|${ce}`);
  const isbeRuns = index.get(`${net}|${isbe}`);
  if (!ceRuns || !isbeRuns) return null;
  const differences = [...isbeRuns]
    .filter(([seed]) => ceRuns.has(seed))
    .map(([seed, value]) => value - (ceRuns.get(seed) as number));
  if (differences.length === 0) return null;
  const ceValue = paperValue(metric, net, ce, records);
  const isbeValue = paperValue(metric, net, isbe, records);
  const paper = ceValue !== null && isbeValue !== null ? isbeValue - ceValue : null;
  const ours = describe(differences);
  return { ours, paper, differsFromZero: differsFromZero(ours) };
}

/** Tables 1–4 for the networks and heads of a grid, in the paper's order. */
export function paperTables(
  records: readonly RunRecord[],
  nets: readonly string[],
  heads: readonly string[],
): Table[] {
  return [
    valueTable(records, 'tau', nets, heads),
    deltaTable(records, 'tau', nets, heads),
    valueTable(records, 'accuracy', nets, heads),
    deltaTable(records, 'accuracy', nets, heads),
  ];
}

/** α and τ of one network and head trained with several seeds. */
export interface SeedSummary {
  net: string;
  head: string;
  seeds: number[];
  /** Test accuracy α in %, over the seeds. */
  testAccuracy: Stats;
  /** τ in %, over the seeds. */
  tau: Stats;
  runs: { seed: number; testAccuracy: number; tau: number; dir: string }[];
}

/** Mean, standard deviation and 95 % interval of α and τ over finished runs of one config. */
export function seedSummary(records: readonly RunRecord[]): SeedSummary {
  const first = records[0];
  if (first === undefined) throw new RangeError('seedSummary needs at least one finished run');
  const runs = [...records]
    .sort((a, b) => a.config.seed - b.config.seed)
    .map((record) => ({
      seed: record.config.seed,
      testAccuracy: metricOf(record, 'accuracy'),
      tau: metricOf(record, 'tau'),
      dir: record.dir,
    }));
  return {
    net: first.config.net,
    head: first.config.head,
    seeds: runs.map((run) => run.seed),
    testAccuracy: describe(runs.map((run) => run.testAccuracy)),
    tau: describe(runs.map((run) => run.tau)),
    runs,
  };
}
