/**
 * The report page: one HTML file with inline CSS, inline SVG charts and PNG images as data:
 * URIs, which needs no network, no script and no other file to display.
 */
import type { Table } from '../experiments/tables.js';
import { agreementSection } from './agreement-section.js';
import { sourceDetails } from './details.js';
import { escapeHtml } from './markup.js';
import type { Figure } from './figures.js';
import type { ReportSource } from './sources.js';

/** A figure with its SVG and the names of its SVG and PNG files. */
export interface RenderedFigure extends Figure {
  svg: string;
  svgFile: string;
  pngFile: string;
}

/** Everything the page shows. */
export interface ReportPage {
  title: string;
  generated: Date;
  sources: readonly ReportSource[];
  figures: readonly RenderedFigure[];
  /** Tables 1–4 of each source. */
  tables: readonly { source: ReportSource; tables: Table[] }[];
}

const style = `
body { font-family: 'DejaVu Sans', 'Liberation Sans', Arial, sans-serif; margin: 2rem auto;
  max-width: 1400px; padding: 0 1.5rem; color: #1a1a1a; line-height: 1.45; }
h1 { font-size: 1.6rem; } h2 { margin-top: 2.5rem; border-bottom: 1px solid #ccc; }
figure.chart { margin: 1.5rem 0 2.5rem; }
figure.chart svg { max-width: 100%; height: auto; }
figcaption { color: #444; font-size: 0.9rem; max-width: 60rem; }
figcaption a { color: #1f4e8c; margin-left: 0.5rem; }
table { border-collapse: collapse; margin: 0.8rem 0; font-size: 0.88rem; }
th, td { border: 1px solid #ccc; padding: 0.3rem 0.55rem; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
.note { color: #444; font-size: 0.9rem; max-width: 60rem; }
table.matrix td { white-space: nowrap; }
td.diagonal { background: #f2f2f2; font-weight: bold; }
td.empty { background: #fafafa; }
.p { color: #555; }
.swatch { display: inline-block; width: 0.75rem; height: 0.75rem; margin-right: 0.4rem;
  border-radius: 2px; vertical-align: -0.05rem; }
figure.images { margin: 1rem 0; }
figure.images img { max-width: 100%; height: auto; }
`;

/** Makes a standalone SVG fit inside a page: no namespace URLs, ids unique to the chart. */
export function inlineSvg(svg: string, prefix: string): string {
  return svg
    .replace(/\s+xmlns(:xlink)?="[^"]*"/g, '')
    .replace(/\bid="([^"]+)"/g, `id="${prefix}-$1"`)
    .replace(/url\(#([^)]+)\)/g, `url(#${prefix}-$1)`)
    .replace(/href="#([^"]+)"/g, `href="#${prefix}-$1"`);
}

function figureHtml(figure: RenderedFigure): string {
  const links =
    `<a href="${escapeHtml(figure.svgFile)}">SVG</a>` +
    `<a href="${escapeHtml(figure.pngFile)}">PNG</a>`;
  return [
    `<figure class="chart" id="figure-${escapeHtml(figure.id)}" data-chart="${escapeHtml(figure.id)}">`,
    inlineSvg(figure.svg, figure.id).replace(
      '<svg',
      `<svg role="img" aria-label="${escapeHtml(figure.title)}"`,
    ),
    `<figcaption>${escapeHtml(figure.caption)}${links}</figcaption>`,
    '</figure>',
  ].join('\n');
}

function sourceSummary(source: ReportSource): string {
  const unfinished = source.records.length - source.finished.length;
  const kind = source.kind === 'grid' ? 'grid folder' : 'training run folder';
  const count = source.records.length;
  let text = `${source.label}: ${kind} ${source.dir}, ${count} training${count === 1 ? '' : 's'}`;
  if (unfinished > 0) text += `, ${unfinished} not finished (curves show their finished epochs)`;
  return `<li>${escapeHtml(text)}</li>`;
}

/** Renders the whole page as an HTML document. */
export function renderHtml(page: ReportPage): string {
  const curves = page.figures.filter((figure) => figure.section === 'curves');
  const published = page.figures.filter((figure) => figure.section === 'published');
  const count = page.figures.length;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(page.title)}</title>
<style>${style}</style>
</head>
<body>
<h1>${escapeHtml(page.title)}</h1>
<p class="note">Written ${escapeHtml(page.generated.toISOString())} from:</p>
<ul>${page.sources.map(sourceSummary).join('\n')}</ul>
<p id="chart-count" data-charts="${count}">This report contains ${count} charts.</p>
<h2>Learning curves</h2>
${curves.map(figureHtml).join('\n')}
<h2>Against the published values</h2>
${published.length > 0 ? published.map(figureHtml).join('\n') : '<p class="note">No training has finished yet.</p>'}
${agreementSection(page.sources)}
<h2>Tables, trainings and configuration</h2>
${page.tables.map(({ source, tables }) => sourceDetails(source, tables)).join('\n')}
</body>
</html>
`;
}
