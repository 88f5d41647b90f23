/**
 * Figures published in W. Skarbek, "Cross Entropy in Deep Learning of Classifiers Is
 * Unnecessary — ISBE Error is All You Need", arXiv 2311.16357 (2023): τ (Table 1) and test
 * accuracy α (Table 3) of each network and head, in %. Tables 2 and 4 of the paper are
 * differences of these values.
 */
import type { TrainConfig } from '../train/config.js';

/** The paper's eight heads, in its column order, by this project's head names. */
export const paperHeads = [
  'ce-mean',
  'ce-none',
  'ce-sum',
  'isbe-hardsigmoid',
  'isbe-hardtanh',
  'isbe-sigmoid',
  'isbe-softmax',
  'isbe-tanh',
] as const;

/** The column titles the paper uses for those heads. */
export const paperHeadTitles: Record<string, string> = {
  'ce-mean': 'CE mean',
  'ce-none': 'CE none',
  'ce-sum': 'CE sum',
  'isbe-hardsigmoid': 'hsigmoid',
  'isbe-hardtanh': 'htanh',
  'isbe-sigmoid': 'sigmoid',
  'isbe-softmax': 'softmax',
  'isbe-tanh': 'tanh',
};

export const paperNets = ['N0', 'N1', 'N1r'] as const;

type Table = Record<string, readonly number[]>;

const tau: Table = {
  N0: [60.61, 59.56, 59.98, 58.31, 58.21, 57.38, 57.45, 59.07],
  N1: [54.89, 53.92, 53.98, 52.68, 52.33, 51.75, 51.95, 52.11],
  N1r: [54.45, 53.92, 54.0, 52.78, 52.3, 51.67, 51.73, 52.11],
};

const accuracy: Table = {
  N0: [99.45, 99.41, 99.47, 99.5, 99.5, 99.56, 99.41, 99.45],
  N1: [99.61, 99.58, 99.59, 99.64, 99.66, 99.64, 99.62, 99.63],
  N1r: [99.55, 99.64, 99.64, 99.61, 99.66, 99.69, 99.63, 99.57],
};

function lookup(table: Table, net: string, head: string): number | null {
  const index = (paperHeads as readonly string[]).indexOf(head);
  const value = table[net]?.[index];
  return value ?? null;
}

/** The paper's τ in % for a network and head, or null where it published none. */
export function paperTau(net: string, head: string): number | null {
  return lookup(tau, net, head);
}

/** The paper's test accuracy α in % for a network and head, or null. */
export function paperAccuracy(net: string, head: string): number | null {
  return lookup(accuracy, net, head);
}

/**
 * Returns whether a training ran on the data of the paper's figures, the bundled MNIST; the paper
 * has nothing to compare for another data set.
 */
export function onPaperData(config: Pick<TrainConfig, 'dataset' | 'dataDir'>): boolean {
  return config.dataset === 'mnist' && config.dataDir === undefined;
}
