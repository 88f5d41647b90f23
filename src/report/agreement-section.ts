/**
 * The report section on which test images the heads get wrong, drawn from each grid's
 * agreement.json and hardest-images.png as `isbe reproduce` and `isbe collect` wrote them.
 * It shows the counts and p-values of the file and computes none of its own.
 */
import {
  type AgreementReport,
  combinationDescription,
  mcnemarDescription,
  type PairCounts,
} from '../experiments/agreement.js';
import { headColor } from './colors.js';
import { headTitle } from './groups.js';
import { escapeHtml, simpleTable } from './markup.js';
import type { GridAgreement, ReportSource } from './sources.js';

/** Heading of the section; the page has no such heading when no source has agreement.json. */
export const agreementSectionTitle = 'Which test images the heads get wrong';

function formatP(p: number): string {
  return p >= 0.001 ? p.toFixed(3) : p.toExponential(1);
}

function countsText(counts: PairCounts): string {
  return `${counts.bothWrong} / ${counts.onlyFirst} / ${counts.onlySecond}`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function headHeader(head: string): string {
  const swatch = `<span class="swatch" style="background: ${escapeHtml(headColor(head))}"></span>`;
  return `<th>${swatch}${escapeHtml(headTitle(head))}</th>`;
}

// Heads with at least one run of the network, in the grid's order.
function netHeads(report: AgreementReport, net: string): string[] {
  return report.heads.filter((head) => report.errors.some((e) => e.net === net && e.head === head));
}

function wrongImages(report: AgreementReport, net: string, head: string, seed?: number): number {
  return report.errors
    .filter((e) => e.net === net && e.head === head && (seed === undefined || e.seed === seed))
    .reduce((sum, e) => sum + e.wrong, 0);
}

function findPair(report: AgreementReport, net: string, first: string, second: string) {
  return report.pairs.find((p) => p.net === net && p.first === first && p.second === second);
}

function matrixCell(report: AgreementReport, net: string, row: string, column: string): string {
  const pair = findPair(report, net, row, column);
  if (pair === undefined) return '<td>–</td>';
  const { combined } = pair;
  return `<td>${countsText(combined)}<br><span class="p">p ${formatP(combined.pValue)}</span></td>`;
}

/** Renders one network's matrix: wrong images on the diagonal, pairs above it. */
function matrixHtml(report: AgreementReport, net: string, heads: readonly string[]): string {
  const header = `<tr><th></th>${heads.map(headHeader).join('')}</tr>`;
  const rows = heads.map((row, i) => {
    const cells = heads.map((column, j) => {
      if (j < i) return '<td class="empty"></td>';
      if (j === i) return `<td class="diagonal">${wrongImages(report, net, row)}</td>`;
      return matrixCell(report, net, row, column);
    });
    return `<tr>${headHeader(row)}${cells.join('')}</tr>`;
  });
  return `<table class="matrix"><thead>${header}</thead><tbody>${rows.join('')}</tbody></table>`;
}

/** Renders one network's counts per seed: wrong images per head, then each pair. */
function perSeedHtml(report: AgreementReport, net: string, heads: readonly string[]): string {
  const seedHeader = report.seeds.map((seed) => `seed ${seed}`);
  const headRows = heads.map((head) => [
    `${headTitle(head)}: wrong`,
    ...report.seeds.map((seed) =>
      report.errors.some((e) => e.net === net && e.head === head && e.seed === seed)
        ? String(wrongImages(report, net, head, seed))
        : '–',
    ),
  ]);
  const pairRows = report.pairs
    .filter((pair) => pair.net === net)
    .map((pair) => [
      `${headTitle(pair.first)} vs ${headTitle(pair.second)}`,
      ...report.seeds.map((seed) => {
        const counts = pair.perSeed.find((c) => c.seed === seed);
        return counts === undefined ? '–' : `${countsText(counts)}, p ${formatP(counts.pValue)}`;
      }),
    ]);
  return [
    `<p class="note">${escapeHtml(net)} per seed: the wrong images of each head, and for each ` +
      'pair both / only the first / only the second wrong, with McNemar’s p.</p>',
    simpleTable(['', ...seedHeader], [...headRows, ...pairRows]),
  ].join('\n');
}

function netHtml(report: AgreementReport, net: string): string {
  const heads = netHeads(report, net);
  if (heads.length === 0) return '';
  const seeds = plural(report.seeds.length, 'seed');
  return [
    `<h4>${escapeHtml(net)}: ${plural(report.images, 'test image')}, ${seeds}</h4>`,
    matrixHtml(report, net, heads),
    report.seeds.length > 1 ? perSeedHtml(report, net, heads) : '',
  ].join('\n');
}

function legendHtml(report: AgreementReport): string {
  const summed = report.seeds.length > 1 ? ', summed over the seeds' : '';
  const text = [
    `Diagonal: the test images each head gets wrong${summed}.`,
    'Above the diagonal: images both heads get wrong / only the row head gets wrong / only',
    'the column head gets wrong, and p of McNemar’s exact test, in which onlyFirst is the',
    `row head’s count and onlySecond the column head’s. ${mcnemarDescription}`,
    report.seeds.length > 1 ? combinationDescription : '',
  ];
  return `<p class="note">${escapeHtml(text.join(' ').trim())}</p>`;
}

function hardestHtml(agreement: GridAgreement): string {
  const { hardest } = agreement.report;
  if (hardest.length === 0) {
    return '<h4>Test images most runs get wrong</h4>\n<p class="note">No run got a test image wrong.</p>';
  }
  const runs = hardest[0]!.runs;
  const caption =
    `The ${plural(hardest.length, 'test image')} that the most runs get wrong, out of the ` +
    `grid’s ${runs} runs (every network, head and seed), ties broken by position in the test set. ` +
    'Under each image: #index: label, → the most common wrong class, missed m/n.';
  const picture =
    agreement.hardestImagesPng === null
      ? '<p class="note">hardest-images.png is missing, because the test images could not be ' +
        'loaded when the agreement was written, so only the table shows these images.</p>'
      : [
          '<figure class="images">',
          `<img src="data:image/png;base64,${agreement.hardestImagesPng.toString('base64')}" ` +
            `alt="${escapeHtml(`The ${hardest.length} test images most runs get wrong`)}">`,
          `<figcaption>${escapeHtml(caption)}</figcaption>`,
          '</figure>',
        ].join('\n');
  const rows = hardest.map((image) => [
    String(image.index),
    String(image.label),
    String(image.commonWrong),
    `${image.missed}/${image.runs}`,
  ]);
  return [
    '<h4>Test images most runs get wrong</h4>',
    picture,
    simpleTable(['index', 'label', 'most common wrong class', 'missed'], rows),
    '<p class="note">Index: position in the test set. Labels and classes are class indices.</p>',
  ].join('\n');
}

function sourceHtml(source: ReportSource, agreement: GridAgreement): string {
  const { report } = agreement;
  return [
    `<h3>${escapeHtml(source.label)}</h3>`,
    ...report.nets.map((net) => netHtml(report, net)),
    legendHtml(report),
    hardestHtml(agreement),
  ]
    .filter((part) => part !== '')
    .join('\n');
}

/**
 * Renders the section for every source with an agreement.json, or an empty string when none
 * has one (training run folders, and grids written before the agreement was).
 */
export function agreementSection(sources: readonly ReportSource[]): string {
  const parts = sources.flatMap((source) =>
    source.agreement === null ? [] : [sourceHtml(source, source.agreement)],
  );
  if (parts.length === 0) return '';
  return [`<h2 id="agreement">${escapeHtml(agreementSectionTitle)}</h2>`, ...parts].join('\n');
}
