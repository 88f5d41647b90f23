/** Markdown and CSV renderings of the tables. */
import type { Stats } from './stats.js';
import type { SeedSummary, Table, TableCell } from './tables.js';

function number(value: number, digits = 2): string {
  return value.toFixed(digits);
}

/** "57.12 ± 0.30 [56.37, 57.87] (paper 57.45)", shortened when there is one seed or no paper value. */
export function formatCell(cell: TableCell | null): string {
  if (cell === null) return '–';
  const { ours } = cell;
  let text = number(ours.mean);
  if (ours.sd !== null && ours.ci !== null) {
    text += ` ± ${number(ours.sd)} [${number(ours.ci[0])}, ${number(ours.ci[1])}]`;
  }
  if (cell.differsFromZero) text += ' *';
  if (cell.paper !== null) text += ` (paper ${number(cell.paper)})`;
  return text;
}

/** A Markdown table with its title as a heading and a legend. */
export function tableToMarkdown(table: Table): string {
  const header = `| ${table.rowHeader} | ${table.columns.join(' | ')} |`;
  const rule = `|${' --- |'.repeat(table.columns.length + 1)}`;
  const rows = table.rows.map(
    (row, i) => `| ${row} | ${(table.cells[i] ?? []).map(formatCell).join(' | ')} |`,
  );
  return [`### ${table.title}`, '', header, rule, ...rows, '', tableLegend(table), ''].join('\n');
}

/** Builds the sentence under a table that explains its cells. */
export function tableLegend(table: Table): string {
  const cells = table.cells.flat();
  const counts = new Set(cells.flatMap((cell) => (cell === null ? [] : [cell.ours.n])));
  const seeds = Math.max(0, ...counts);
  const over = counts.size > 1 ? `over up to ${seeds} seeds` : `over ${seeds} seeds`;
  if (cells.every((cell) => cell === null)) {
    return table.id === 'table2-delta-tau' || table.id === 'table4-delta-accuracy'
      ? 'No cells: each Δ needs runs of an ISBE head and a cross-entropy head with the same ' +
          'network and seed.'
      : 'No cells: no finished runs.';
  }
  const paper = cells.some((cell) => cell !== null && cell.paper !== null)
    ? 'the paper’s value in brackets.'
    : table.offPaperData
      ? 'no paper values, because the paper reports MNIST only.'
      : 'no paper values for these networks and heads.';
  return seeds > 1
    ? `Mean ± standard deviation [95 % confidence interval] ${over}; ` +
        `* marks a difference whose interval excludes zero; ${paper}`
    : `One seed per cell; ${paper}`;
}

function csvField(value: string | number | boolean | null): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export const csvColumns = [
  'row',
  'column',
  'n',
  'mean',
  'sd',
  'ci_low',
  'ci_high',
  'differs_from_zero',
  'paper',
] as const;

/** The table in long CSV form, one line per cell. */
export function tableToCsv(table: Table): string {
  const lines = [csvColumns.join(',')];
  table.rows.forEach((row, i) => {
    table.columns.forEach((column, j) => {
      const cell = table.cells[i]?.[j];
      if (!cell) return;
      const { ours } = cell;
      const fields = [
        row,
        column,
        ours.n,
        ours.mean,
        ours.sd,
        ours.ci?.[0] ?? null,
        ours.ci?.[1] ?? null,
        cell.differsFromZero ?? null,
        cell.paper,
      ];
      lines.push(fields.map(csvField).join(','));
    });
  });
  return `${lines.join('\n')}\n`;
}

function formatStats(stats: Stats): string {
  return formatCell({ ours: stats, paper: null });
}

/** Formats a seed summary as a Markdown table: one row per seed, then the statistics. */
export function seedSummaryToMarkdown(summary: SeedSummary): string {
  const lines = [
    `### ${summary.net} ${summary.head} over ${summary.seeds.length} seeds`,
    '',
    '| seed | α, test accuracy (%) | τ (%) |',
    '| --- | --- | --- |',
    ...summary.runs.map(
      (run) => `| ${run.seed} | ${number(run.testAccuracy)} | ${number(run.tau)} |`,
    ),
    `| mean ± sd [95 % CI] | ${formatStats(summary.testAccuracy)} | ${formatStats(summary.tau)} |`,
    '',
    'Mean ± sample standard deviation [95 % confidence interval of the mean, Student’s t].',
    '',
  ];
  return lines.join('\n');
}
