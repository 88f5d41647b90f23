import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { writeFileAtomic } from '../io/files.js';
import type { RunRecord } from '../train/run-folder.js';
import { tableToCsv, tableToMarkdown } from './format.js';
import { paperTables, type Table } from './tables.js';

export const tablesDir = 'tables';

/**
 * Writes Tables 1–4 of a grid as <id>.md and <id>.csv, and all four in tables.md, under
 * <dir>/tables/. Returns the tables.
 */
export function writeTables(
  dir: string,
  records: readonly RunRecord[],
  nets: readonly string[],
  heads: readonly string[],
): Table[] {
  const tables = paperTables(records, nets, heads);
  const folder = join(dir, tablesDir);
  mkdirSync(folder, { recursive: true });
  for (const table of tables) {
    writeFileAtomic(join(folder, `${table.id}.md`), tableToMarkdown(table));
    writeFileAtomic(join(folder, `${table.id}.csv`), tableToCsv(table));
  }
  writeFileAtomic(join(folder, 'tables.md'), tables.map(tableToMarkdown).join('\n'));
  return tables;
}
