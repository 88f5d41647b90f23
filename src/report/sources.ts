/**
 * The folders a report draws from: grid folders (grid.json and trainings/) written by
 * `isbe reproduce`, or single training run folders written by `isbe train`.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';

import type { AgreementReport } from '../experiments/agreement.js';
import {
  type GridConfig,
  gridFile,
  readGridConfig,
  trainingsDir,
} from '../experiments/grid-folder.js';
import { readRun, type RunRecord, runFiles } from '../train/run-folder.js';

/** One folder's trainings, read back. */
export interface ReportSource {
  dir: string;
  /** Name of the source in legends; see labelSources(). */
  label: string;
  kind: 'grid' | 'training';
  /** grid.json of a grid folder; null for a training run folder. */
  grid: GridConfig | null;
  /** Every training that finished at least one epoch, finished or not. */
  records: RunRecord[];
  /** Trainings that finished all their epochs. */
  finished: RunRecord[];
  nets: string[];
  heads: string[];
  /** The grid's agreement files; null for a training run folder or a grid without them. */
  agreement: GridAgreement | null;
}

/** The agreement files of a grid, as `isbe reproduce` and `isbe collect` write them. */
export interface GridAgreement {
  report: AgreementReport;
  /** The bytes of hardest-images.png; null when the test images could not be loaded. */
  hardestImagesPng: Buffer | null;
}

/**
 * Paths of the agreement files in a grid folder, as experiments/write.ts names them. They
 * are repeated here because write.ts loads libtorch, which the report does without.
 */
export const agreementPaths = {
  json: join('tables', 'agreement.json'),
  hardestImages: join('tables', 'hardest-images.png'),
} as const;

const agreementFields = ['nets', 'heads', 'seeds', 'errors', 'pairs', 'hardest'] as const;

/** Reads a grid's agreement.json and hardest-images.png; null when it has no agreement.json. */
export function readGridAgreement(dir: string): GridAgreement | null {
  const path = join(dir, agreementPaths.json);
  if (!existsSync(path)) return null;
  const rewrite = `write it again with isbe reproduce --resume ${dir}`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`${path} is not valid JSON (${reason}); ${rewrite}, or delete it`);
  }
  const fields = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<
    string,
    unknown
  >;
  const missing = agreementFields.filter((key) => !Array.isArray(fields[key])).map(String);
  if (typeof fields.images !== 'number') missing.unshift('images');
  if (missing.length > 0) {
    throw new Error(
      `${path} is not an agreement report: it lacks ${missing.join(', ')}; ${rewrite}, ` +
        'or delete it to leave the agreement out of the report',
    );
  }
  const imagesPath = join(dir, agreementPaths.hardestImages);
  const hardestImagesPng = existsSync(imagesPath) ? readFileSync(imagesPath) : null;
  return { report: parsed as AgreementReport, hardestImagesPng };
}

function readGridTrainings(dir: string): RunRecord[] {
  const root = join(dir, trainingsDir);
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .sort()
    .map((name) => join(root, name))
    .filter((path) => existsSync(join(path, runFiles.config)))
    .map((path) => readRun(path));
}

function readFolder(dir: string): Omit<ReportSource, 'label' | 'finished' | 'records'> & {
  all: RunRecord[];
} {
  if (existsSync(join(dir, gridFile))) {
    const grid = readGridConfig(dir);
    return {
      dir,
      kind: 'grid',
      grid,
      all: readGridTrainings(dir),
      nets: grid.nets,
      heads: grid.heads,
      agreement: readGridAgreement(dir),
    };
  }
  if (existsSync(join(dir, runFiles.config))) {
    const record = readRun(dir);
    const { net, head } = record.config;
    return {
      dir,
      kind: 'training',
      grid: null,
      all: [record],
      nets: [net],
      heads: [head],
      agreement: null,
    };
  }
  throw new Error(
    `${dir} is neither a grid folder (it has no ${gridFile}) nor a training run folder (it ` +
      `has no ${runFiles.config}); pass a folder that isbe reproduce or isbe train printed`,
  );
}

/** Reads a grid folder or a training run folder; throws when it has no finished epoch. */
export function readSource(path: string): ReportSource {
  const dir = resolve(path);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new Error(`${path} is not a folder; pass a grid folder or a training run folder`);
  }
  const { all, ...folder } = readFolder(dir);
  const records = all.filter((record) => record.epochs.length > 0);
  if (records.length === 0) {
    throw new Error(
      `${path} has no training with a finished epoch yet, so there is nothing to draw`,
    );
  }
  const finished = records.filter((record) => record.summary !== null);
  return { ...folder, label: basename(dir), records, finished };
}

/** Flattens the settings of a source that sources may differ in to one level. */
function settingsOf(source: ReportSource): Record<string, unknown> {
  if (source.grid !== null) {
    const { nets, heads, seeds, base } = source.grid;
    return { nets, heads, seeds, ...base };
  }
  const { net, head, seed, ...rest } = source.records[0]!.config;
  return { nets: [net], heads: [head], seeds: [seed], ...rest };
}

function describeSetting(key: string, value: unknown): string {
  const text = Array.isArray(value) ? value.join(',') : String(value);
  return `${key} ${text}`;
}

function shorten(label: string, max = 48): string {
  return label.length <= max ? label : `${label.slice(0, max - 1)}…`;
}

/**
 * Names the sources for legends: by the settings in which they differ (for example
 * "precision bf16"), leaving out networks and heads, which the charts show anyway. Sources
 * that differ in nothing else keep their folder names, numbered when those repeat.
 */
export function labelSources(sources: readonly ReportSource[]): ReportSource[] {
  if (sources.length < 2) return [...sources];
  const settings = sources.map(settingsOf);
  const keys = [...new Set(settings.flatMap((s) => Object.keys(s)))].filter(
    (key) =>
      !['nets', 'heads'].includes(key) &&
      new Set(settings.map((s) => JSON.stringify(s[key]))).size > 1,
  );
  let labels = settings.map((s) =>
    shorten(keys.map((key) => describeSetting(key, s[key])).join(', ')),
  );
  if (keys.length === 0 || new Set(labels).size < labels.length) {
    labels = sources.map((source) => basename(source.dir));
  }
  if (new Set(labels).size < labels.length) {
    labels = labels.map((label, i) => `${i + 1}: ${label}`);
  }
  return sources.map((source, i) => ({ ...source, label: labels[i]! }));
}
