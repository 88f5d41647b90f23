import { join } from 'node:path';

import { type DataSplits, disposeSplits } from '../data/dataset.js';
import { fashionClassNames } from '../data/fashion.js';
import { loadData } from '../data/load.js';
import { makeFolders, writeFileAtomic, writeJsonAtomic } from '../io/files.js';
import { tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import type { RunRecord } from '../train/run-folder.js';
import {
  agreementMatricesToMarkdown,
  type AgreementReport,
  agreementReport,
  agreementToMarkdown,
} from './agreement.js';
import type { GridConfig } from './grid.js';
import { seedSummaryToMarkdown, tableToCsv, tableToMarkdown } from './format.js';
import { renderImageGrid } from './image-grid.js';
import { paperTables, type SeedSummary, seedSummary, type Table } from './tables.js';

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
  makeFolders(folder);
  for (const table of tables) {
    writeFileAtomic(join(folder, `${table.id}.md`), tableToMarkdown(table));
    writeFileAtomic(join(folder, `${table.id}.csv`), tableToCsv(table));
  }
  writeFileAtomic(join(folder, 'tables.md'), tables.map(tableToMarkdown).join('\n'));
  return tables;
}

/** File names of the agreement results under <grid>/tables/. */
export const agreementFiles = {
  json: 'agreement.json',
  markdown: 'agreement.md',
  /** PNG of the test images most runs get wrong, captioned with label and wrong classes. */
  hardestImages: 'hardest-images.png',
} as const;

/** Inputs of writeAgreement() besides the runs. */
export interface AgreementInput {
  /** Test images [N, 1, H, W] in [0, 1], in the order of predictions.json; no PNG without. */
  testImages?: Tensor;
  /** Class names by label, for captions; labels are printed alone without. */
  classNames?: readonly string[];
}

/**
 * Writes agreement.json, agreement.md and, given the test images, hardest-images.png
 * under <dir>/tables/. Returns the report and the Markdown of its matrices alone.
 */
export async function writeAgreement(
  dir: string,
  records: readonly RunRecord[],
  nets: readonly string[],
  heads: readonly string[],
  input: AgreementInput = {},
): Promise<{ report: AgreementReport; markdown: string }> {
  const report = agreementReport(records, nets, heads);
  const folder = join(dir, tablesDir);
  makeFolders(folder);
  writeJsonAtomic(join(folder, agreementFiles.json), report);
  const markdown = agreementToMarkdown(report, input.classNames);
  writeFileAtomic(join(folder, agreementFiles.markdown), markdown);
  if (input.testImages !== undefined && report.hardest.length > 0) {
    const png = await hardestImagesPng(report, input.testImages, input.classNames);
    writeFileAtomic(join(folder, agreementFiles.hardestImages), png);
  }
  return { report, markdown: agreementMatricesToMarkdown(report) };
}

/**
 * Writes the agreement files of a grid, loading its test images for the PNG. When they
 * cannot be loaded (a moved --data folder, for example), the PNG is skipped and
 * `imagesError` gives the reason. The JSON and Markdown are written either way.
 */
export async function writeGridAgreement(
  dir: string,
  grid: GridConfig,
  records: readonly RunRecord[],
): Promise<{ report: AgreementReport; markdown: string; imagesError?: string }> {
  const { base } = grid;
  const classNames =
    base.dataDir === undefined && base.dataset === 'fashion-mnist' ? fashionClassNames : undefined;
  let data: DataSplits;
  try {
    data = loadData({ ...base, limit: 1 });
  } catch (error) {
    const imagesError = error instanceof Error ? error.message : String(error);
    const written = await writeAgreement(dir, records, grid.nets, grid.heads, { classNames });
    return { ...written, imagesError };
  }
  try {
    return await writeAgreement(dir, records, grid.nets, grid.heads, {
      testImages: data.test.images,
      classNames,
    });
  } finally {
    disposeSplits(data);
  }
}

// Caption: "#index: label", then "→ most common wrong class", then "missed m/n".
function hardestImagesPng(
  report: AgreementReport,
  testImages: Tensor,
  classNames: readonly string[] | undefined,
): Promise<Buffer> {
  const [, , height, width] = testImages.shape as [number, number, number, number];
  const name = (label: number) => classNames?.[label] ?? String(label);
  const images = report.hardest.map((image) => {
    const values = tidy(() => testImages.select(0, image.index).flatten().toArray());
    return {
      pixels: Uint8Array.from(values, (v) => Math.round(Math.min(1, Math.max(0, v)) * 255)),
      width,
      height,
      caption: [
        `#${image.index}: ${name(image.label)}`,
        `→ ${name(image.commonWrong)}`,
        `missed ${image.missed}/${image.runs}`,
      ],
    };
  });
  return renderImageGrid(images);
}

/** File names of a multi-seed training's summary, in its folder. */
export const seedSummaryFiles = { json: 'seeds.json', markdown: 'seeds.md' } as const;

/** Writes seeds.json and seeds.md into `dir` for the finished runs of one config. */
export function writeSeedSummary(
  dir: string,
  records: readonly RunRecord[],
): { summary: SeedSummary; markdown: string } {
  const summary = seedSummary(records);
  const markdown = seedSummaryToMarkdown(summary);
  writeJsonAtomic(join(dir, seedSummaryFiles.json), summary);
  writeFileAtomic(join(dir, seedSummaryFiles.markdown), markdown);
  return { summary, markdown };
}
