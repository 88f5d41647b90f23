/**
 * Which test images the heads get wrong. For each pair of heads of one network and seed,
 * it counts the images both miss and the images only one misses, and runs McNemar's exact
 * test on the latter. It also lists the images that most runs miss. The input is each
 * run's predictions.json.
 */
import binomialCdf from '@stdlib/stats-base-dists-binomial-cdf';

import type { Predictions, RunRecord } from '../train/run-folder.js';
import { paperHeadTitles } from './paper.js';

/** Counts of one pair of heads over the same test images. */
export interface PairCounts {
  /** Images both heads get wrong. */
  bothWrong: number;
  /** Images only the first head gets wrong. */
  onlyFirst: number;
  /** Images only the second head gets wrong. */
  onlySecond: number;
  bothRight: number;
  /** McNemar's exact two-sided p-value on onlyFirst against onlySecond. */
  pValue: number;
}

/** One pair of heads of one network: per seed and combined over seeds. */
export interface PairAgreement {
  net: string;
  first: string;
  second: string;
  perSeed: (PairCounts & { seed: number })[];
  /** Counts summed over the seeds, and the exact test on the summed discordant counts. */
  combined: PairCounts;
}

/** A test image that many runs get wrong. */
export interface HardImage {
  /** Position in the test set. */
  index: number;
  label: number;
  /** Runs that get it wrong, out of `runs`. */
  missed: number;
  runs: number;
  /** The wrong class predicted most often (the smallest class on a tie). */
  commonWrong: number;
  /** How often each wrong class was predicted, by class. */
  wrongClasses: Record<string, number>;
}

/** Everything agreement.json holds. */
export interface AgreementReport {
  test: string;
  combination: string;
  images: number;
  nets: string[];
  heads: string[];
  seeds: number[];
  /** Wrong test images of each run. */
  errors: { net: string; head: string; seed: number; wrong: number }[];
  pairs: PairAgreement[];
  hardest: HardImage[];
}

export const mcnemarDescription =
  "McNemar's exact test: under the null hypothesis that both heads are equally likely to " +
  'be the one wrong on an image only one of them gets wrong, onlyFirst ~ Binomial(onlyFirst ' +
  '+ onlySecond, 1/2); p = min(1, 2 P(X ≤ min(onlyFirst, onlySecond))), and 1 when no ' +
  'image is discordant.';

export const combinationDescription =
  'Seeds are combined by summing the counts of the pairs of runs with the same seed and ' +
  'applying the same exact test to the summed discordant counts. Seeds are independent ' +
  'trainings, so this is McNemar’s test stratified by seed; it is conditional on this test ' +
  'set, so it says whether the heads differ on these images, not on new ones.';

/** McNemar's exact two-sided p-value for b and c discordant pairs. */
export function mcnemarExact(b: number, c: number): number {
  for (const [name, value] of [
    ['b', b],
    ['c', c],
  ] as const) {
    if (!Number.isInteger(value) || value < 0) {
      throw new RangeError(`mcnemarExact: ${name} must be a count, got ${value}`);
    }
  }
  const n = b + c;
  if (n === 0) return 1;
  return Math.min(1, 2 * binomialCdf(Math.min(b, c), n, 0.5));
}

/** Counts and McNemar's p-value for two runs' predictions of the same test images. */
export function pairCounts(first: Predictions, second: Predictions): PairCounts {
  checkSameImages(first, second);
  const counts = { bothWrong: 0, onlyFirst: 0, onlySecond: 0, bothRight: 0 };
  first.labels.forEach((label, i) => {
    const firstWrong = first.predicted[i] !== label;
    const secondWrong = second.predicted[i] !== label;
    if (firstWrong && secondWrong) counts.bothWrong += 1;
    else if (firstWrong) counts.onlyFirst += 1;
    else if (secondWrong) counts.onlySecond += 1;
    else counts.bothRight += 1;
  });
  return { ...counts, pValue: mcnemarExact(counts.onlyFirst, counts.onlySecond) };
}

function checkSameImages(first: Predictions, second: Predictions): void {
  const sameLength =
    first.labels.length === second.labels.length &&
    first.predicted.length === first.labels.length &&
    second.predicted.length === second.labels.length;
  if (!sameLength || first.labels.some((label, i) => label !== second.labels[i])) {
    throw new RangeError(
      'predictions cover different test images (labels differ); compare runs of one grid, ' +
        'which share --dataset and --test-limit',
    );
  }
}

/** Sums per-seed counts and tests the summed discordant counts. */
export function combineSeeds(perSeed: readonly PairCounts[]): PairCounts {
  const sum = (key: keyof Omit<PairCounts, 'pValue'>) =>
    perSeed.reduce((total, counts) => total + counts[key], 0);
  const onlyFirst = sum('onlyFirst');
  const onlySecond = sum('onlySecond');
  return {
    bothWrong: sum('bothWrong'),
    onlyFirst,
    onlySecond,
    bothRight: sum('bothRight'),
    pValue: mcnemarExact(onlyFirst, onlySecond),
  };
}

type RunKey = string;

function runKey(net: string, head: string, seed: number): RunKey {
  return `${net}|${head}|${seed}`;
}

/** Options of agreementReport(). */
export interface AgreementOptions {
  /** How many of the most-missed images to list. Default 24. */
  hardest?: number;
}

/** Computes the agreement of every pair of heads, per network, from a grid's finished runs. */
export function agreementReport(
  records: readonly RunRecord[],
  nets: readonly string[],
  heads: readonly string[],
  options: AgreementOptions = {},
): AgreementReport {
  const runs = new Map<RunKey, Predictions>();
  for (const record of records) {
    if (record.predictions === null) continue;
    const { net, head, seed } = record.config;
    runs.set(runKey(net, head, seed), record.predictions);
  }
  const all = [...runs.values()];
  for (const predictions of all.slice(1)) checkSameImages(all[0] as Predictions, predictions);
  const seeds = [...new Set(records.map((record) => record.config.seed))].sort((a, b) => a - b);
  return {
    test: mcnemarDescription,
    combination: combinationDescription,
    images: all[0]?.labels.length ?? 0,
    nets: [...nets],
    heads: [...heads],
    seeds,
    errors: errorCounts(runs, nets, heads, seeds),
    pairs: nets.flatMap((net) => pairsOfNet(runs, net, heads, seeds)),
    hardest: hardestImages(all, options.hardest ?? 24),
  };
}

function errorCounts(
  runs: Map<RunKey, Predictions>,
  nets: readonly string[],
  heads: readonly string[],
  seeds: readonly number[],
): AgreementReport['errors'] {
  return nets.flatMap((net) =>
    heads.flatMap((head) =>
      seeds.flatMap((seed) => {
        const predictions = runs.get(runKey(net, head, seed));
        if (predictions === undefined) return [];
        const wrong = predictions.labels.filter((label, i) => predictions.predicted[i] !== label);
        return [{ net, head, seed, wrong: wrong.length }];
      }),
    ),
  );
}

function pairsOfNet(
  runs: Map<RunKey, Predictions>,
  net: string,
  heads: readonly string[],
  seeds: readonly number[],
): PairAgreement[] {
  const pairs: PairAgreement[] = [];
  heads.forEach((first, i) => {
    for (const second of heads.slice(i + 1)) {
      const perSeed = seeds.flatMap((seed) => {
        const a = runs.get(runKey(net, first, seed));
        const b = runs.get(runKey(net, second, seed));
        return a && b ? [{ seed, ...pairCounts(a, b) }] : [];
      });
      if (perSeed.length > 0)
        pairs.push({ net, first, second, perSeed, combined: combineSeeds(perSeed) });
    }
  });
  return pairs;
}

/** Finds the `count` test images missed by the most runs, ties broken by position. */
export function hardestImages(runs: readonly Predictions[], count: number): HardImage[] {
  const labels = runs[0]?.labels ?? [];
  const images: HardImage[] = [];
  labels.forEach((label, index) => {
    const wrongClasses: Record<string, number> = {};
    let missed = 0;
    for (const run of runs) {
      const predicted = run.predicted[index] as number;
      if (predicted === label) continue;
      missed += 1;
      wrongClasses[predicted] = (wrongClasses[predicted] ?? 0) + 1;
    }
    if (missed === 0) return;
    const commonWrong = Object.entries(wrongClasses)
      .map(([cls, n]) => [Number(cls), n] as const)
      .sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]?.[0] as number;
    images.push({ index, label, missed, runs: runs.length, commonWrong, wrongClasses });
  });
  return images.sort((a, b) => b.missed - a.missed || a.index - b.index).slice(0, count);
}

function title(head: string): string {
  return paperHeadTitles[head] ?? head;
}

function formatP(p: number): string {
  if (p >= 0.001) return p.toFixed(3);
  return p.toExponential(1);
}

function className(label: number, classNames: readonly string[] | undefined): string {
  const name = classNames?.[label];
  return name === undefined ? String(label) : `${label} (${name})`;
}

/** Formats the agreement matrices, one per network with counts summed over seeds, as Markdown. */
export function agreementMatricesToMarkdown(report: AgreementReport): string {
  const lines = ['### Agreement: which test images the heads get wrong', ''];
  for (const net of report.nets) lines.push(...matrixLines(report, net), '');
  lines.push(
    'Diagonal: wrong test images of the head, summed over seeds. Above the diagonal: ' +
      'both wrong / only the row head wrong / only the column head wrong, and the p-value ' +
      `of McNemar's exact test. ${report.seeds.length > 1 ? combinationDescription : ''}`.trim(),
  );
  return `${lines.join('\n')}\n`;
}

/** Formats the matrices, the per-seed table and the list of the hardest images as Markdown. */
export function agreementToMarkdown(
  report: AgreementReport,
  classNames?: readonly string[],
): string {
  const lines = [agreementMatricesToMarkdown(report)];
  if (report.seeds.length > 1) lines.push(...perSeedLines(report), '');
  lines.push(...hardestLines(report, classNames));
  return `${lines.join('\n')}\n`;
}

function matrixLines(report: AgreementReport, net: string): string[] {
  const heads = report.heads.filter((head) =>
    report.errors.some((e) => e.net === net && e.head === head),
  );
  const seeds = report.seeds.length;
  const lines = [
    `#### ${net}, ${report.images} test images, ${seeds} seed${seeds === 1 ? '' : 's'}`,
    '',
    `| | ${heads.map(title).join(' | ')} |`,
    `|${' --- |'.repeat(heads.length + 1)}`,
  ];
  for (const [i, row] of heads.entries()) {
    const cells = heads.map((column, j) => {
      if (j < i) return '';
      if (j === i) {
        const wrong = report.errors
          .filter((e) => e.net === net && e.head === row)
          .reduce((sum, e) => sum + e.wrong, 0);
        return `**${wrong}**`;
      }
      const pair = report.pairs.find(
        (p) => p.net === net && p.first === row && p.second === column,
      );
      if (pair === undefined) return '–';
      const { bothWrong, onlyFirst, onlySecond, pValue } = pair.combined;
      return `${bothWrong} / ${onlyFirst} / ${onlySecond}, p ${formatP(pValue)}`;
    });
    lines.push(`| ${title(row)} | ${cells.join(' | ')} |`);
  }
  return lines;
}

function perSeedLines(report: AgreementReport): string[] {
  const lines = [
    '#### Per seed',
    '',
    '| net | first | second | seed | both wrong | only first | only second | p |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const pair of report.pairs) {
    for (const counts of pair.perSeed) {
      lines.push(
        `| ${pair.net} | ${title(pair.first)} | ${title(pair.second)} | ${counts.seed} | ` +
          `${counts.bothWrong} | ${counts.onlyFirst} | ${counts.onlySecond} | ${formatP(counts.pValue)} |`,
      );
    }
  }
  return lines;
}

function hardestLines(
  report: AgreementReport,
  classNames: readonly string[] | undefined,
): string[] {
  const runs = report.hardest[0]?.runs ?? 0;
  const lines = [
    `#### Test images most runs get wrong (out of ${runs} runs)`,
    '',
    '| index | label | missed | most common wrong class | wrong classes (count) |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const image of report.hardest) {
    const wrong = Object.entries(image.wrongClasses)
      .sort((a, b) => b[1] - a[1] || Number(a[0]) - Number(b[0]))
      .map(([cls, n]) => `${cls} ×${n}`)
      .join(', ');
    lines.push(
      `| ${image.index} | ${className(image.label, classNames)} | ${image.missed} / ${image.runs} | ` +
        `${className(image.commonWrong, classNames)} | ${wrong} |`,
    );
  }
  if (report.hardest.length === 0) lines.push('| – | – | – | – | – |');
  return lines;
}
