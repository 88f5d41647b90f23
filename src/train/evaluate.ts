import { orderedBatches } from '../data/batches.js';
import type { ImageSet } from '../data/dataset.js';
import type { Head } from '../heads/heads.js';
import type { Module } from '../nn/module.js';
import { autocast, inferenceMode } from '../tensor/autograd.js';
import { cat } from '../tensor/creation.js';
import { releaseFreeMemory } from '../tensor/runtime.js';
import { tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Precision } from './config.js';

export interface EvaluateOptions {
  batchSize: number;
  precision: Precision;
  channelsLast: boolean;
  /** Also return the predicted class of every image. */
  predictions?: boolean;
}

/** Loss, accuracy and optionally predictions of a model on one split. */
export interface Evaluation {
  /** Head's validation loss per image. */
  loss: number;
  /** Head's matching loss per image; null when the head has none. */
  matchingLoss: number | null;
  /** % of images whose largest raw score is the true class. */
  accuracy: number;
  /** Predicted class of each image, in order, when requested. */
  predicted?: number[];
}

// Evaluation batches are larger than training batches, and the heap fragments while they
// run; handing free pages back every few batches keeps resident memory near its floor.
const trimEvery = 8;

/** Runs the model in evaluation and inference mode over a split, in batches. */
export function evaluate(model: Module, head: Head, set: ImageSet, options: EvaluateOptions) {
  const wasTraining = model.training;
  model.eval();
  let lossSum = 0;
  let matchingLossSum: number | null = 0;
  let correct = 0;
  const predictedParts: Tensor[] = [];
  try {
    inferenceMode(() => {
      for (const batch of orderedBatches(set, options.batchSize)) {
        tidy(() => {
          const images = options.channelsLast
            ? batch.images.contiguous('channelsLast')
            : batch.images;
          const raw =
            options.precision === 'bf16'
              ? autocast(() => model.forward(images))
              : model.forward(images);
          const scores = raw.dtype === 'float32' ? raw : raw.to('float32');
          const predicted = scores.argmax(1);
          correct += predicted.eq(batch.labels).sum().item();
          lossSum += head.lossSum(scores, batch.labels);
          if (matchingLossSum !== null) {
            const batchSum = head.matchingLossSum(scores, batch.labels);
            matchingLossSum = batchSum === null ? null : matchingLossSum + batchSum;
          }
          if (options.predictions) predictedParts.push(predicted.keep());
          batch.images.dispose();
          batch.labels.dispose();
        });
        if (batch.index % trimEvery === trimEvery - 1) releaseFreeMemory();
      }
    });
    const count = set.labels.shape[0] as number;
    const result: Evaluation = {
      loss: lossSum / count,
      matchingLoss: matchingLossSum === null ? null : matchingLossSum / count,
      accuracy: (100 * correct) / count,
    };
    if (options.predictions) {
      const all = cat(predictedParts);
      result.predicted = all.toArray();
      all.dispose();
    }
    return result;
  } finally {
    for (const part of predictedParts) part.dispose();
    model.train(wasTraining);
    releaseFreeMemory();
  }
}
