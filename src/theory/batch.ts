/**
 * The ISBE error against loss gradients on a real batch: images through a freshly
 * initialised network, whose raw scores feed both the ISBE head and the loss that head
 * claims to match. Everything runs in float64 except the check marked float32.
 */
import type { ImageSet } from '../data/dataset.js';
import { IsbeHead, type IsbeHeadOptions } from '../heads/heads.js';
import { getSoftFunction, softFunctionNames } from '../heads/soft.js';
import { buildNetwork } from '../models/build.js';
import { resolveNetwork } from '../models/networks.js';
import { binaryCrossEntropyWithLogits, crossEntropy } from '../nn/functional.js';
import type { Sequential } from '../nn/layers.js';
import { enableGrad, noGrad } from '../tensor/autograd.js';
import { manualSeed } from '../tensor/runtime.js';
import { tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { type Check, makeCheck } from './check.js';

/** A batch and the network to run it through. */
export interface BatchInput {
  /** Images [N, C, H, W] and labels [N]. */
  batch: ImageSet;
  numClasses: number;
  /** Network name or notation. Default N0. */
  net?: string;
  /** Seed of the initial weights. Default 0. */
  seed?: number;
}

// Float64 sums over a batch of 128 rows round at about 1e−15 relative; float32 at 1e−6.
const float64Tolerance = 1e-12;
const float32Tolerance = 1e-6;

const group = 'ISBE error = loss gradient (real batch)';

/** Runs every real-batch check: scores, parameters and matching losses. */
export function batchChecks(input: BatchInput): Check[] {
  const model = buildModel(input, 'float64');
  const model32 = buildModel(input, 'float32');
  try {
    const images = tidy(() => input.batch.images.to('float64'));
    const labels = input.batch.labels;
    const scores = noGrad(() => model.forward(images));
    const scores32 = noGrad(() => model32.forward(input.batch.images));
    try {
      return [
        ...scoreChecks(scores, scores32, labels),
        parameterCheck(model, images, labels),
        ...matchingLossChecks(scores, labels),
      ];
    } finally {
      for (const t of [images, scores, scores32]) t.dispose();
    }
  } finally {
    model.dispose();
    model32.dispose();
  }
}

function buildModel(input: BatchInput, dtype: 'float32' | 'float64'): Sequential {
  const { batch, numClasses, net = 'N0', seed = 0 } = input;
  manualSeed(seed);
  const [, channels, height, width] = batch.images.shape as [number, number, number, number];
  const model = buildNetwork(resolveNetwork(net), {
    inputShape: [channels, height, width],
    numClasses,
  });
  if (dtype === 'float64') {
    for (const parameter of model.parameters()) {
      const converted = parameter.to('float64');
      parameter.setData_(converted);
      converted.dispose();
    }
  }
  return model.eval();
}

// Autograd gradient of loss(scores) with respect to the scores, as a flat array.
function gradientAt(scores: Tensor, loss: (leaf: Tensor) => Tensor): number[] {
  return tidy(() =>
    enableGrad(() => {
      const leaf = scores.detach().requiresGrad_(true);
      loss(leaf).backward();
      return leaf.grad?.toArray() ?? [];
    }),
  );
}

function isbeErrorOf(head: IsbeHead, scores: Tensor, labels: Tensor): number[] {
  const { soft, error } = head.error(scores, labels);
  const values = error.toArray();
  soft.dispose();
  error.dispose();
  return values;
}

function maxDeviation(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) {
    throw new RangeError(`cannot compare ${a.length} with ${b.length} values`);
  }
  return a.reduce((worst, value, i) => Math.max(worst, Math.abs(value - (b[i] as number))), 0);
}

function scoreChecks(scores: Tensor, scores32: Tensor, labels: Tensor): Check[] {
  const softmaxSum = new IsbeHead('softmax', { blur: 0 });
  const blurred = new IsbeHead('softmax');
  const softmaxMean = new IsbeHead('softmax', { blur: 0, reduction: 'mean' });
  const sigmoid = new IsbeHead('sigmoid');
  const blurredRows = noGrad(() => blurred.targetRows(scores, labels));
  const sigmoidRows = noGrad(() => sigmoid.targetRows(scores, labels));
  try {
    const ceSum = (leaf: Tensor) => crossEntropy(leaf, labels, { reduction: 'sum' });
    const cases: [string, number[], number[], number][] = [
      [
        'isbe-softmax (μ = 0) = ∇ CE, reduction sum',
        isbeErrorOf(softmaxSum, scores, labels),
        gradientAt(scores, ceSum),
        float64Tolerance,
      ],
      [
        'isbe-softmax (μ = 1e−6) = ∇ CE on its blurred targets, sum',
        isbeErrorOf(blurred, scores, labels),
        gradientAt(scores, (leaf) => crossEntropy(leaf, blurredRows, { reduction: 'sum' })),
        float64Tolerance,
      ],
      [
        'isbe-softmax, reduction mean = ∇ CE, reduction mean',
        isbeErrorOf(softmaxMean, scores, labels),
        gradientAt(scores, (leaf) => crossEntropy(leaf, labels, { reduction: 'mean' })),
        float64Tolerance,
      ],
      [
        'isbe-sigmoid = ∇ BCE with logits, reduction sum',
        isbeErrorOf(sigmoid, scores, labels),
        gradientAt(scores, (leaf) =>
          binaryCrossEntropyWithLogits(leaf, sigmoidRows, { reduction: 'sum' }),
        ),
        float64Tolerance,
      ],
      [
        'float32: isbe-softmax (μ = 0) = ∇ CE, reduction sum',
        isbeErrorOf(softmaxSum, scores32, labels),
        gradientAt(scores32, (leaf) => crossEntropy(leaf, labels, { reduction: 'sum' })),
        float32Tolerance,
      ],
    ];
    return cases.map(([statement, error, gradient, tolerance]) =>
      makeCheck(group, statement, 'holds', maxDeviation(error, gradient), tolerance),
    );
  } finally {
    blurredRows.dispose();
    sigmoidRows.dispose();
  }
}

// Backpropagating the ISBE-softmax error through the network gives the parameter
// gradients of CE with sum reduction. The deviation is relative to the largest gradient.
function parameterCheck(model: Sequential, images: Tensor, labels: Tensor): Check {
  const gradients = (backward: (scores: Tensor) => void): number[] => {
    for (const parameter of model.parameters()) parameter.grad = undefined;
    tidy(() => enableGrad(() => backward(model.forward(images))));
    return tidy(() => model.parameters().flatMap((parameter) => parameter.grad?.toArray() ?? []));
  };
  const fromLoss = gradients((scores) =>
    crossEntropy(scores, labels, { reduction: 'sum' }).backward(),
  );
  const head = new IsbeHead('softmax', { blur: 0 });
  const fromError = gradients((scores) => head.forward(scores, labels).backward());
  for (const parameter of model.parameters()) parameter.grad = undefined;
  const largest = fromLoss.reduce((worst, value) => Math.max(worst, Math.abs(value)), 0);
  const deviation = maxDeviation(fromError, fromLoss) / largest;
  return makeCheck(
    group,
    'N0 parameter gradients: ISBE-softmax error = CE sum (relative)',
    'holds',
    deviation,
    float64Tolerance,
  );
}

// The autograd gradient of each head's matching loss is the error it sends back.
function matchingLossChecks(scores: Tensor, labels: Tensor): Check[] {
  const optionSets: [string, IsbeHeadOptions][] = [
    ['', {}],
    [', label smoothing 0.1, mean', { labelSmoothing: 0.1, reduction: 'mean' }],
  ];
  const names = softFunctionNames().filter((name) => getSoftFunction(name).matchingLoss);
  return names.flatMap((name) =>
    optionSets.map(([suffix, options]) => {
      const head = new IsbeHead(name, options);
      const gradient = gradientAt(scores, (leaf) => {
        const loss = head.matchingLoss(leaf, labels);
        if (loss === null) throw new Error(`${head.name} has no matching loss`);
        return loss;
      });
      const statement = `${head.name}${suffix}: ∇ matching loss = f(X) − Y°`;
      const deviation = maxDeviation(gradient, isbeErrorOf(head, scores, labels));
      return makeCheck(
        'Matching loss (real batch)',
        statement,
        'holds',
        deviation,
        float64Tolerance,
      );
    }),
  );
}
