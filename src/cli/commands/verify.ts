import { type Command, Option } from 'commander';

import { datasetNames, type DatasetName } from '../../train/config.js';
import type { Check } from '../../theory/check.js';
import { integerAtLeast, integerIn, maxSeed } from '../options.js';

interface VerifyValues {
  batchSize: number;
  seed: number;
  points: number;
  dataset: DatasetName;
  json: boolean;
}

/** Registers `isbe verify`. */
export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description(
      'check numerically that ISBE errors are loss gradients and that only softmax(d ⊙ x − c) ' +
        'turns −y°/y into y − y° through its Jacobian (Theorems 1 and 2 of Skarbek, arXiv ' +
        '2311.16357); exits with status 1 when a check does not give its expected outcome',
    )
    .option('--batch-size <n>', 'test images run through the network', integerAtLeast(2), 128)
    .option('--seed <n>', 'seed of the initial weights of N0', integerIn(0, maxSeed), 0)
    .option(
      '--points <n>',
      'random points for Theorems 1 and 2 (at most 10000)',
      integerIn(1, 10_000),
      20,
    )
    .addOption(
      new Option('--dataset <name>', 'data set of the images')
        .choices(datasetNames)
        .default('mnist'),
    )
    .option('--json', 'print one JSON object per check instead of the table', false)
    .action(async (values: VerifyValues) => {
      const checks = await runChecks(values);
      if (values.json) {
        for (const check of checks) console.log(JSON.stringify(check));
      } else {
        console.log(formatChecks(checks, values));
      }
      if (checks.some((check) => !check.passed)) process.exitCode = 1;
    });
}

async function runChecks(values: VerifyValues): Promise<Check[]> {
  const { loadData } = await import('../../data/load.js');
  const { disposeSplits } = await import('../../data/dataset.js');
  const { allChecks } = await import('../../theory/index.js');
  const data = loadData({
    dataset: values.dataset,
    validationSize: 1,
    limit: 1,
    testLimit: values.batchSize,
  });
  try {
    return allChecks(
      { batch: data.test, numClasses: data.numClasses, net: 'N0', seed: values.seed },
      { points: values.points },
    );
  } finally {
    disposeSplits(data);
  }
}

function scientific(value: number): string {
  return Number.isFinite(value) ? value.toExponential(1) : String(value);
}

/** Formats the checks as a table grouped by what they check, with a closing count. */
export function formatChecks(checks: readonly Check[], values: VerifyValues): string {
  const lines = [
    `${checks.length} checks; the real batch is ${values.batchSize} ${values.dataset} test ` +
      `images through N0 initialised with seed ${values.seed}, in float64`,
  ];
  const width = Math.max(...checks.map((check) => check.statement.length));
  let group = '';
  for (const check of checks) {
    if (check.group !== group) {
      group = check.group;
      lines.push('', group);
    }
    const status = check.passed ? 'ok  ' : 'FAIL';
    const outcome = `${check.holds ? 'holds' : 'fails'}${check.passed ? ' as expected' : `, expected to ${check.expected === 'holds' ? 'hold' : 'fail'}`}`;
    lines.push(
      `  ${status}  ${check.statement.padEnd(width)}  deviation ${scientific(check.deviation).padStart(8)}` +
        `  tolerance ${scientific(check.tolerance)}  ${outcome}`,
    );
  }
  const passed = checks.filter((check) => check.passed).length;
  lines.push('', `${passed} of ${checks.length} checks gave the expected outcome`);
  return lines.join('\n');
}
