/**
 * Writes a report on one or more run folders: report.html (self-contained), one SVG and
 * one PNG file per figure, and report.json listing them.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import { paperTables } from '../experiments/tables.js';
import { makeFolders, writeFileAtomic, writeJsonAtomic } from '../io/files.js';
import { buildFigures, type Figure } from './figures.js';
import { renderHtml, type RenderedFigure } from './html.js';
import { renderSvg, svgToPng } from './render.js';
import { collectLines } from './series.js';
import { labelSources, readSource } from './sources.js';

/** Folder of a run's own report, inside the run folder. */
export const reportDir = 'report';
export const reportFile = 'report.html';
export const manifestFile = 'report.json';

/** Folders to report on and the folder to write to. */
export interface ReportOptions {
  /** Grid folders or training run folders. */
  dirs: readonly string[];
  /** Folder that receives the report; created when missing. */
  outDir: string;
  /** Page title; by default it names the sources. */
  title?: string;
}

/** Paths of what a report wrote, and what vega-lite and vega warned about. */
export interface ReportResult {
  htmlPath: string;
  figures: { id: string; title: string; svgPath: string; pngPath: string }[];
  warnings: string[];
}

interface Manifest {
  files: string[];
}

async function renderFigure(figure: Figure, outDir: string, warnings: string[]) {
  const rendered = await renderSvg(figure.spec);
  warnings.push(...rendered.warnings.map((warning) => `${figure.id}: ${warning}`));
  const svgFile = `${figure.id}.svg`;
  const pngFile = `${figure.id}.png`;
  writeFileAtomic(join(outDir, svgFile), rendered.svg);
  writeFileAtomic(join(outDir, pngFile), await svgToPng(rendered.svg));
  return { ...figure, svg: rendered.svg, svgFile, pngFile } satisfies RenderedFigure;
}

// Figures of an earlier report that this one no longer draws would otherwise linger.
function removeStaleFiles(outDir: string, current: readonly string[]): void {
  const path = join(outDir, manifestFile);
  if (!existsSync(path)) return;
  const previous = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
  for (const file of previous.files ?? []) {
    if (!current.includes(file) && /^[\w.-]+\.(svg|png)$/.test(file)) {
      rmSync(join(outDir, file), { force: true });
    }
  }
}

/** Reads the folders, draws every figure and writes the report into options.outDir. */
export async function writeReport(options: ReportOptions): Promise<ReportResult> {
  if (options.dirs.length === 0) throw new Error('a report needs at least one run folder');
  const sources = labelSources(options.dirs.map(readSource));
  const lines = collectLines(sources);
  const figures = buildFigures(sources, lines);
  makeFolders(options.outDir);

  const warnings: string[] = [];
  const rendered: RenderedFigure[] = [];
  for (const figure of figures) rendered.push(await renderFigure(figure, options.outDir, warnings));

  const labels = sources.map((source) => source.label);
  const title =
    options.title ??
    (sources.length === 1
      ? `ISBE report: ${labels[0]}`
      : `ISBE comparison: ${labels.join(' vs ')}`);
  const tables = sources.map((source) => ({
    source,
    tables: paperTables(source.finished, source.nets, source.heads),
  }));
  const htmlPath = join(options.outDir, reportFile);
  writeFileAtomic(
    htmlPath,
    renderHtml({ title, generated: new Date(), sources, figures: rendered, tables }),
  );

  const files = rendered.flatMap((figure) => [figure.svgFile, figure.pngFile]);
  removeStaleFiles(options.outDir, files);
  writeJsonAtomic(join(options.outDir, manifestFile), {
    title,
    sources: sources.map((source) => ({ label: source.label, dir: source.dir })),
    figures: rendered.map(({ id, title: figureTitle, svgFile, pngFile }) => ({
      id,
      title: figureTitle,
      svgFile,
      pngFile,
    })),
    files,
  });
  return {
    htmlPath,
    figures: rendered.map((figure) => ({
      id: figure.id,
      title: figure.title,
      svgPath: join(options.outDir, figure.svgFile),
      pngPath: join(options.outDir, figure.pngFile),
    })),
    warnings,
  };
}

/** Writes the report of one grid or training run folder into its report/ subfolder. */
export function writeRunReport(runDir: string): Promise<ReportResult> {
  return writeReport({ dirs: [runDir], outDir: join(runDir, reportDir) });
}
