/**
 * `npm run bench`: the product against the PyTorch reference trainer on the same machine,
 * in one run, alternating the programs so that machine noise hits both alike. Writes
 * bench-results/bench-<time>.json and .md and, when every section ran, docs/benchmarks.md.
 */
import { Command, InvalidArgumentError } from 'commander';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { cpuModel, physicalCores } from '../src/util/system.js';
import { productCallMicroseconds, referenceCallMicroseconds } from './calls.js';
import { renderMarkdown } from './markdown.js';
import {
  type BenchRun,
  repoRoot,
  type RunFigures,
  runProduct,
  runReference,
  wholeEpochSeconds,
} from './processes.js';
import { meanInterval, spread } from './statistics.js';

interface Options {
  pairs: number;
  images: number;
  tauImages: number;
  tauRepeats: number;
  accuracySeeds: number;
  sections: string[];
  threads: number;
}

const allSections = ['calls', 'throughput', 'bf16', 'tau', 'memory', 'accuracy'];
const heads = [
  'ce-mean',
  'ce-none',
  'ce-sum',
  'isbe-softmax',
  'isbe-sigmoid',
  'isbe-tanh',
  'isbe-hardsigmoid',
  'isbe-hardtanh',
  'isbe-normalize',
];

function log(text: string): void {
  process.stderr.write(`bench: ${text}\n`);
}

type Variant = { name: string; run: (spec: BenchRun) => Promise<RunFigures> };

const variants: Record<string, Variant> = {
  product: { name: 'isbe fp32', run: (spec) => runProduct(spec) },
  productBf16: { name: 'isbe bf16', run: (spec) => runProduct(spec, ['--precision', 'bf16']) },
  reference: { name: 'PyTorch default', run: (spec) => runReference(spec) },
  referenceChannelsLast: {
    name: 'PyTorch --channels-last',
    run: (spec) => runReference(spec, ['--channels-last']),
  },
};

/** Runs the variants in turn, `pairs` times, rotating which goes first. */
async function interleave(spec: BenchRun, names: string[], pairs: number) {
  const results: Record<string, RunFigures[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let round = 0; round < pairs; round++) {
    const order = names.map((_, i) => names[(i + round) % names.length] as string);
    for (const name of order) {
      const variant = variants[name] as Variant;
      log(`${spec.net} ${spec.head} round ${round + 1}/${pairs}: ${variant.name}`);
      results[name]?.push(await variant.run(spec));
    }
  }
  return results;
}

function lastEpoch(figures: RunFigures) {
  const last = figures.epochs.at(-1);
  if (last === undefined) throw new Error('a run printed no epoch');
  return last;
}

// Ratios of round-matched runs: product figure over reference figure.
function ratios(a: RunFigures[], b: RunFigures[], figure: (f: RunFigures) => number) {
  return spread(a.map((run, i) => figure(run) / figure(b[i] as RunFigures)));
}

const stepThroughput = (f: RunFigures) => lastEpoch(f).stepImagesPerSecond;
const epochThroughput = (images: number) => (f: RunFigures) => images / wholeEpochSeconds(f);

async function throughputSection(options: Options, withBf16: boolean) {
  const out: Record<string, unknown> = {};
  for (const net of ['N0', 'N1']) {
    const spec: BenchRun = {
      net,
      head: 'isbe-softmax',
      epochs: 2,
      images: options.images,
      threads: options.threads,
      augment: true,
    };
    const names = withBf16
      ? ['productBf16', 'reference']
      : ['product', 'reference', 'referenceChannelsLast'];
    const runs = await interleave(spec, names, options.pairs);
    const ours = (withBf16 ? runs.productBf16 : runs.product) as RunFigures[];
    const reference = runs.reference as RunFigures[];
    const perVariant = Object.fromEntries(
      Object.entries(runs).map(([name, list]) => [
        name,
        {
          stepImagesPerSecond: spread(list.map(stepThroughput)),
          epochImagesPerSecond: spread(list.map(epochThroughput(options.images))),
          peakResidentBytes: spread(list.map((f) => f.peakResidentBytes)),
          tau: spread(list.map((f) => lastEpoch(f).tau)),
          testAccuracy: spread(list.map((f) => lastEpoch(f).testAccuracy)),
        },
      ]),
    );
    const entry: Record<string, unknown> = {
      variants: perVariant,
      stepRatioVsDefault: ratios(ours, reference, stepThroughput),
      epochRatioVsDefault: ratios(ours, reference, epochThroughput(options.images)),
      memoryRatioVsDefault: ratios(ours, reference, (f) => f.peakResidentBytes),
      phases: phaseShares(ours),
    };
    if (!withBf16) {
      const fastest = runs.referenceChannelsLast as RunFigures[];
      entry.stepRatioVsChannelsLast = ratios(ours, fastest, stepThroughput);
      entry.epochRatioVsChannelsLast = ratios(ours, fastest, epochThroughput(options.images));
    }
    out[net] = entry;
  }
  return out;
}

// Median share of each phase of the product's last epoch, in % of the whole epoch.
function phaseShares(runs: RunFigures[]) {
  const shares: Record<string, number[]> = {};
  for (const run of runs) {
    const phases = lastEpoch(run).phases ?? {};
    const total = Object.values(phases).reduce((sum, v) => sum + v, 0);
    for (const [name, seconds] of Object.entries(phases)) {
      (shares[name] ??= []).push((100 * seconds) / total);
    }
  }
  return Object.fromEntries(Object.entries(shares).map(([n, v]) => [n, spread(v).median]));
}

async function tauSection(options: Options) {
  const taus: Record<string, Record<string, number[]>> = { product: {}, reference: {} };
  for (let round = 0; round < options.tauRepeats; round++) {
    // Each round starts at another head, so that no head always runs first or last.
    const order = heads.map((_, i) => heads[(i + round) % heads.length] as string);
    for (const head of order) {
      const spec: BenchRun = {
        net: 'N0',
        head,
        epochs: 1,
        images: options.tauImages,
        threads: options.threads,
        augment: false,
      };
      log(`τ round ${round + 1}/${options.tauRepeats}: ${head}`);
      for (const program of round % 2 === 0 ? ['product', 'reference'] : ['reference', 'product']) {
        const run = program === 'product' ? await runProduct(spec) : await runReference(spec);
        ((taus[program] as Record<string, number[]>)[head] ??= []).push(lastEpoch(run).tau);
      }
    }
  }
  const summary = (program: string) => {
    const byHead = taus[program] as Record<string, number[]>;
    const perHead = Object.fromEntries(
      Object.entries(byHead).map(([h, v]) => [h, meanInterval(v)]),
    );
    // Paired by round: mean τ of the ISBE heads (without normalize) minus mean τ of CE heads.
    const isbe = heads.filter((h) => h.startsWith('isbe-') && h !== 'isbe-normalize');
    const ce = heads.filter((h) => h.startsWith('ce-'));
    const mean = (names: string[], round: number) =>
      names.reduce((sum, h) => sum + (byHead[h]?.[round] as number), 0) / names.length;
    const differences = Array.from(
      { length: options.tauRepeats },
      (_, r) => mean(isbe, r) - mean(ce, r),
    );
    return { perHead, isbeMinusCe: meanInterval(differences) };
  };
  return {
    net: 'N0',
    images: options.tauImages,
    product: summary('product'),
    reference: summary('reference'),
  };
}

async function memorySection(options: Options) {
  const spec: BenchRun = {
    net: 'N0',
    head: 'isbe-softmax',
    epochs: 10,
    images: options.tauImages,
    threads: options.threads,
    augment: true,
  };
  log('memory: 10 epochs of N0');
  const run = await runProduct(spec);
  const [second, tenth] = [run.residentBytes[1] as number, run.residentBytes[9] as number];
  return { afterEpoch2: second, afterEpoch10: tenth, change: (tenth - second) / second };
}

// The target compares fp32 and bf16 at seed 0. The other seeds show whether a gap is
// systematic or within the spread that rounding differences cause.
async function accuracySection(options: Options) {
  const seeds = [];
  for (let seed = 0; seed < options.accuracySeeds; seed++) {
    const spec: BenchRun = {
      net: 'N1',
      head: 'isbe-softmax',
      epochs: 3,
      images: 54000,
      threads: options.threads,
      augment: true,
      seed,
    };
    log(`accuracy: N1, 3 epochs, fp32 and bf16 with seed ${seed}`);
    const fp32 = lastEpoch(await runProduct(spec)).testAccuracy;
    const bf16 = lastEpoch(await runProduct(spec, ['--precision', 'bf16'])).testAccuracy;
    seeds.push({ seed, fp32, bf16, difference: bf16 - fp32 });
  }
  const first = seeds[0] as { fp32: number; bf16: number; difference: number };
  return { ...first, seeds, meanDifference: meanInterval(seeds.map((s) => s.difference)) };
}

function parseSections(value: string): string[] {
  const names = value.split(',').filter((name) => name !== '');
  const unknown = names.filter((name) => !allSections.includes(name));
  if (names.length === 0 || unknown.length > 0) {
    throw new InvalidArgumentError(
      `unknown section ${unknown.join(', ') || '(none given)'}; expected a comma-separated ` +
        `list of ${allSections.join(', ')}`,
    );
  }
  return names;
}

async function main(): Promise<void> {
  const program = new Command()
    .name('npm run bench --')
    .option('--pairs <n>', 'rounds of interleaved runs per comparison', Number, 5)
    .option('--images <n>', 'training images per throughput run', Number, 12000)
    .option('--tau-images <n>', 'training images per τ run and for the memory run', Number, 6000)
    .option('--tau-repeats <n>', 'rounds of τ runs per head', Number, 8)
    .option('--accuracy-seeds <n>', 'seeds of the fp32 and bf16 accuracy runs', Number, 3)
    .option('--threads <n>', 'threads for both programs', Number, physicalCores())
    .option(
      '--sections <list>',
      `sections to run: ${allSections.join(',')}; docs/benchmarks.md is rewritten only when ` +
        'all of them run',
      parseSections,
      allSections,
    );
  const options = program.parse().opts<Options>();
  const results: Record<string, unknown> = {
    machine: { cpu: cpuModel(), threads: options.threads, node: process.version },
    started: new Date().toISOString(),
    settings: options,
  };
  const sections = new Set(options.sections);
  if (sections.has('calls')) {
    log('calls: 100,000 small additions');
    results.calls = {
      productMicroseconds: productCallMicroseconds(100_000),
      referenceMicroseconds: referenceCallMicroseconds(100_000),
    };
  }
  if (sections.has('throughput')) results.throughput = await throughputSection(options, false);
  if (sections.has('bf16')) results.bf16 = await throughputSection(options, true);
  if (sections.has('tau')) results.tau = await tauSection(options);
  if (sections.has('memory')) results.memory = await memorySection(options);
  if (sections.has('accuracy')) results.accuracy = await accuracySection(options);
  results.finished = new Date().toISOString();
  const stamp = (results.started as string).slice(0, 19).replaceAll(':', '-');
  const folder = join(repoRoot, 'bench-results');
  mkdirSync(folder, { recursive: true });
  const markdown = renderMarkdown(results);
  writeFileSync(join(folder, `bench-${stamp}.json`), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(folder, `bench-${stamp}.md`), markdown);
  const complete = allSections.every((name) => sections.has(name));
  if (complete) writeFileSync(join(repoRoot, 'docs', 'benchmarks.md'), markdown);
  process.stdout.write(markdown);
  const docs = complete
    ? ' and docs/benchmarks.md'
    : ' (docs/benchmarks.md is kept: not all sections ran)';
  log(`results in ${folder}/bench-${stamp}.json${docs}`);
}

await main();
