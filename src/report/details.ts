/** The report's detail sections: Tables 1–4, the trainings, their settings and machine. */
import { formatCell, tableLegend } from '../experiments/format.js';
import type { Table } from '../experiments/tables.js';
import type { RunRecord } from '../train/run-folder.js';
import { headTitle } from './groups.js';
import { escapeHtml, simpleTable } from './markup.js';
import type { ReportSource } from './sources.js';

function tableHtml(table: Table): string {
  const header = [table.rowHeader, ...table.columns].map((c) => `<th>${escapeHtml(c)}</th>`);
  const rows = table.rows.map((row, i) => {
    const cells = (table.cells[i] ?? []).map((cell) => `<td>${escapeHtml(formatCell(cell))}</td>`);
    return `<tr><th>${escapeHtml(row)}</th>${cells.join('')}</tr>`;
  });
  const legend = tableLegend(table);
  return [
    `<h4>${escapeHtml(table.title)}</h4>`,
    `<table><thead><tr>${header.join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`,
    `<p class="note">${escapeHtml(legend)}</p>`,
  ].join('\n');
}

function trainingRow(record: RunRecord): string[] {
  const { net, head, seed, epochs } = record.config;
  const summary = record.summary;
  const status = summary ? 'finished' : `stopped after ${record.epochs.length} of ${epochs} epochs`;
  const last = record.epochs.at(-1);
  return [
    net,
    headTitle(head),
    String(seed),
    status,
    (summary?.testAccuracy ?? last?.testAccuracy)?.toFixed(2) ?? '–',
    summary ? summary.tau.toFixed(2) : '–',
    summary ? summary.trainSeconds.toFixed(1) : '–',
  ];
}

// The values of each environment key over the trainings; start times as a range.
function environmentRows(records: readonly RunRecord[]): string[][] {
  const values = new Map<string, string[]>();
  for (const record of records) {
    for (const [key, value] of Object.entries(record.environment)) {
      const list = values.get(key) ?? [];
      if (!list.includes(String(value))) list.push(String(value));
      values.set(key, list);
    }
  }
  return [...values].map(([key, list]) => {
    const sorted = key === 'started' ? [...list].sort() : list;
    const text =
      sorted.length > 2 && key === 'started'
        ? `${sorted[0]} … ${sorted.at(-1)}`
        : sorted.join(', ');
    return [key, text];
  });
}

function settingText(value: unknown): string {
  if (Array.isArray(value)) return value.join(', ');
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
}

// grid.json, or a training's config.json, as key and value rows; unset settings are left out.
function settingRows(source: ReportSource): string[][] {
  const settings: Record<string, unknown> = source.grid
    ? {
        nets: source.grid.nets,
        heads: source.grid.heads,
        seeds: source.grid.seeds,
        ...source.grid.base,
      }
    : { ...source.records[0]!.config };
  return Object.entries(settings)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => [key, settingText(value)]);
}

/** Renders a source's tables, trainings, settings and environment as HTML. */
export function sourceDetails(source: ReportSource, tables: Table[]): string {
  const trainings = simpleTable(
    ['net', 'head', 'seed', 'status', 'test accuracy (%)', 'τ (%)', 'training time (s)'],
    source.records.map(trainingRow),
  );
  return [
    `<h3>${escapeHtml(source.label)}</h3>`,
    ...tables.map(tableHtml),
    '<h4>Trainings</h4>',
    trainings,
    `<h4>Configuration (${source.grid ? 'grid.json' : 'config.json'})</h4>`,
    simpleTable(['setting', 'value'], settingRows(source)),
    '<h4>Environment</h4>',
    simpleTable(['key', 'value'], environmentRows(source.records)),
  ].join('\n');
}
