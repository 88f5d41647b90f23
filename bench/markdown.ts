/** Renders benchmark results as the Markdown page docs/benchmarks.md. */
import type { Spread } from './statistics.js';

type Results = Record<string, unknown>;
type Interval = { mean: number; low: number; high: number; n: number };

function ratio(s: Spread | undefined): string {
  if (s === undefined) return '–';
  return `${s.median.toFixed(2)}x (${s.min.toFixed(2)}–${s.max.toFixed(2)})`;
}

function count(s: Spread | undefined, scale = 1, digits = 0): string {
  if (s === undefined) return '–';
  return `${(s.median / scale).toFixed(digits)} (${(s.min / scale).toFixed(digits)}–${(s.max / scale).toFixed(digits)})`;
}

function interval(i: Interval): string {
  return `${i.mean.toFixed(2)} [${i.low.toFixed(2)}, ${i.high.toFixed(2)}]`;
}

function verdict(met: boolean): string {
  return met ? 'met' : 'not met';
}

function throughputLines(title: string, section: Results, bf16: boolean): string[] {
  const lines = [`## ${title}`, ''];
  lines.push(
    '| net | step ratio vs default | step ratio vs channels-last | epoch ratio vs default | epoch ratio vs channels-last | peak memory ratio vs default |',
    '| --- | --- | --- | --- | --- | --- |',
  );
  for (const [net, value] of Object.entries(section)) {
    const v = value as Record<string, Spread>;
    lines.push(
      `| ${net} | ${ratio(v.stepRatioVsDefault)} | ${bf16 ? '–' : ratio(v.stepRatioVsChannelsLast)} | ` +
        `${ratio(v.epochRatioVsDefault)} | ${bf16 ? '–' : ratio(v.epochRatioVsChannelsLast)} | ${ratio(v.memoryRatioVsDefault)} |`,
    );
  }
  lines.push('', 'Absolute figures, median (min–max):', '');
  lines.push(
    '| net | program | step img/s | whole-epoch img/s | peak memory MiB | τ % | test accuracy % |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const [net, value] of Object.entries(section)) {
    const variants = (value as { variants: Record<string, Record<string, Spread>> }).variants;
    for (const [name, v] of Object.entries(variants)) {
      lines.push(
        `| ${net} | ${name} | ${count(v.stepImagesPerSecond)} | ${count(v.epochImagesPerSecond)} | ` +
          `${count(v.peakResidentBytes, 2 ** 20)} | ${count(v.tau, 1, 2)} | ${count(v.testAccuracy, 1, 2)} |`,
      );
    }
  }
  lines.push('', 'Where the product’s time goes in its last epoch (median % of the epoch):', '');
  for (const [net, value] of Object.entries(section)) {
    const phases = (value as { phases: Record<string, number> }).phases;
    const parts = Object.entries(phases).map(([name, share]) => `${name} ${share.toFixed(1)} %`);
    lines.push(`- ${net}: ${parts.join(', ')}`);
  }
  lines.push('');
  return lines;
}

function targetLines(results: Results): string[] {
  const lines = ['## Targets', ''];
  const throughput = results.throughput as Record<string, Record<string, Spread>> | undefined;
  if (throughput) {
    for (const net of Object.keys(throughput)) {
      const step = throughput[net]?.stepRatioVsChannelsLast;
      const epoch = throughput[net]?.epochRatioVsDefault;
      if (step)
        lines.push(
          `- fp32 step throughput ${net} ≥ 1.2x the reference’s channels-last: ${ratio(step)}, ${verdict(step.median >= 1.2)}`,
        );
      if (epoch)
        lines.push(
          `- whole-epoch throughput ${net} ≥ 1.3x the reference: ${ratio(epoch)}, ${verdict(epoch.median >= 1.3)}`,
        );
    }
  }
  const bf16 = results.bf16 as Record<string, Record<string, Spread>> | undefined;
  if (bf16) {
    for (const net of Object.keys(bf16)) {
      const step = bf16[net]?.stepRatioVsDefault;
      if (step)
        lines.push(
          `- bf16 step throughput ${net} ≥ 2x the reference’s default fp32: ${ratio(step)}, ${verdict(step.median >= 2)}`,
        );
    }
  }
  const accuracy = results.accuracy as AccuracySection | undefined;
  if (accuracy) {
    const met = Math.abs(accuracy.difference) <= 0.1;
    lines.push(
      `- bf16 test accuracy within 0.1 point of fp32 after 3 epochs of N1 (seed 0): ` +
        `fp32 ${accuracy.fp32.toFixed(2)} %, bf16 ${accuracy.bf16.toFixed(2)} % ` +
        `(bf16 ${accuracy.difference >= 0 ? 'higher' : 'lower'} by ` +
        `${Math.abs(accuracy.difference).toFixed(2)} points), ${verdict(met)}`,
    );
  }
  const memory = results.memory as
    { afterEpoch2: number; afterEpoch10: number; change: number } | undefined;
  if (memory) {
    lines.push(
      `- resident memory after epoch 10 within 5 % of epoch 2: ${(memory.afterEpoch2 / 2 ** 20).toFixed(0)} → ` +
        `${(memory.afterEpoch10 / 2 ** 20).toFixed(0)} MiB (${(100 * memory.change).toFixed(1)} %), ${verdict(Math.abs(memory.change) <= 0.05)}`,
    );
  }
  const tau = results.tau as { product: { isbeMinusCe: Interval } } | undefined;
  if (tau) {
    const d = tau.product.isbeMinusCe;
    lines.push(
      `- τ of the ISBE heads below the CE heads’ (95 % interval of the mean difference): ${interval(d)} points, ${verdict(d.high < 0)}`,
    );
  }
  lines.push('');
  return lines;
}

interface AccuracySection {
  fp32: number;
  bf16: number;
  difference: number;
  seeds?: { seed: number; fp32: number; bf16: number; difference: number }[];
  meanDifference?: Interval;
}

function accuracyLines(section: AccuracySection): string[] {
  if (!section.seeds || !section.meanDifference) return [];
  const lines = [
    '## bf16 against fp32 test accuracy (N1, 3 epochs, full training set)',
    '',
    '| seed | fp32 % | bf16 % | bf16 − fp32 (points) |',
    '| --- | --- | --- | --- |',
  ];
  for (const s of section.seeds) {
    lines.push(
      `| ${s.seed} | ${s.fp32.toFixed(2)} | ${s.bf16.toFixed(2)} | ${s.difference.toFixed(2)} |`,
    );
  }
  lines.push(
    '',
    `Mean difference over ${section.seeds.length} seeds: ${interval(section.meanDifference)} points.`,
    '',
  );
  return lines;
}

function tauLines(section: Results): string[] {
  const product = section.product as { perHead: Record<string, Interval>; isbeMinusCe: Interval };
  const reference = section.reference as typeof product;
  const lines = [
    `## τ per head (${section.net}, ${section.images} images, mean and 95 % interval over rounds)`,
    '',
    '| head | isbe τ % | PyTorch τ % |',
    '| --- | --- | --- |',
  ];
  for (const head of Object.keys(product.perHead)) {
    const ours = product.perHead[head] as Interval;
    const theirs = reference.perHead[head];
    lines.push(`| ${head} | ${interval(ours)} | ${theirs ? interval(theirs) : '–'} |`);
  }
  lines.push(
    '',
    `Mean τ of the five ISBE heads minus mean τ of the three CE heads, paired by round: isbe ` +
      `${interval(product.isbeMinusCe)}, PyTorch ${interval(reference.isbeMinusCe)} points.`,
    '',
  );
  return lines;
}

/** The whole page. */
export function renderMarkdown(results: Results): string {
  const machine = results.machine as Record<string, string | number>;
  const calls = results.calls as
    { productMicroseconds: number; referenceMicroseconds: number } | undefined;
  const lines = [
    '# Benchmarks',
    '',
    `Measured by \`npm run bench\` on ${machine.cpu}, ${machine.threads} threads, Node ${machine.node}, ` +
      `${results.started}. The product (\`isbe train\`) and the PyTorch reference trainer ` +
      '(`isbe_pytorch.py`, Debian python3-torch 1.13) train the same MNIST subset, network and head ' +
      'with batch 128 and the same threads, in alternating runs. Ratios are isbe over PyTorch, ' +
      'median (min–max) over rounds; above 1 means isbe is faster (or, for memory, larger). ' +
      'Step throughput counts forward and backward passes only; whole-epoch throughput adds ' +
      'batching, augmentation, the optimizer and evaluation. A throughput target is met when ' +
      'the median ratio reaches it.',
    '',
    ...targetLines(results),
  ];
  if (calls) {
    lines.push(
      '## Cost of one bound call',
      '',
      `100,000 additions of 4-element tensors: isbe ${calls.productMicroseconds.toFixed(2)} µs per call ` +
        `(with its tidy() scope), PyTorch from Python ${calls.referenceMicroseconds.toFixed(2)} µs.`,
      '',
    );
  }
  if (results.throughput)
    lines.push(
      ...throughputLines(
        'fp32 throughput (isbe-softmax, 2 epochs with augmentation; figures from the second)',
        results.throughput as Results,
        false,
      ),
    );
  if (results.bf16)
    lines.push(
      ...throughputLines(
        'bf16 throughput against the reference’s default fp32',
        results.bf16 as Results,
        true,
      ),
    );
  if (results.tau) lines.push(...tauLines(results.tau as Results));
  if (results.accuracy) lines.push(...accuracyLines(results.accuracy as AccuracySection));
  return `${lines.join('\n')}\n`;
}
