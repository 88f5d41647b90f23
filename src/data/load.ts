import type { DatasetName } from '../train/config.js';
import type { DataSplits } from './dataset.js';
import { loadFashionMnist } from './fashion.js';
import { loadIdxData } from './mnist.js';

export interface LoadOptions {
  dataset: DatasetName;
  /** Folder of IDX files that replaces the bundled data set. */
  dataDir?: string;
  validationSize: number;
  limit?: number;
  testLimit?: number;
}

/** Loads a data set by name, or the IDX files of `dataDir`, split for training. */
export function loadData(options: LoadOptions): DataSplits {
  if (options.dataDir === undefined && options.dataset === 'fashion-mnist') {
    const { validationSize, limit } = options;
    return limitTest(loadFashionMnist({ validationSize, limit }), options.testLimit);
  }
  const splits = loadIdxData({
    dir: options.dataDir,
    validationSize: options.validationSize,
    limit: options.limit,
    name: options.dataDir === undefined ? options.dataset : 'idx',
  });
  return limitTest(splits, options.testLimit);
}

function limitTest(splits: DataSplits, testLimit: number | undefined): DataSplits {
  const count = splits.test.labels.shape[0] as number;
  if (testLimit === undefined || testLimit >= count) return splits;
  const images = splits.test.images.narrow(0, 0, testLimit).keep();
  const labels = splits.test.labels.narrow(0, 0, testLimit).keep();
  splits.test.images.dispose();
  splits.test.labels.dispose();
  return { ...splits, test: { images, labels } };
}
