import tQuantile from '@stdlib/stats-base-dists-t-quantile';

/** Minimum, median and maximum of a sample. */
export interface Spread {
  min: number;
  median: number;
  max: number;
  n: number;
}

export function spread(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) throw new RangeError('spread() needs at least one value');
  const middle = Math.floor(n / 2);
  const median =
    n % 2 === 1
      ? (sorted[middle] as number)
      : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
  return { min: sorted[0] as number, median, max: sorted[n - 1] as number, n };
}

/** Mean and 95 % t-interval of a sample of at least two values. */
export function meanInterval(values: readonly number[]): {
  mean: number;
  low: number;
  high: number;
  n: number;
} {
  const n = values.length;
  const mean = values.reduce((sum, v) => sum + v, 0) / n;
  if (n < 2) return { mean, low: Number.NaN, high: Number.NaN, n };
  const sd = Math.sqrt(values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / (n - 1));
  const half = tQuantile(0.975, n - 1) * (sd / Math.sqrt(n));
  return { mean, low: mean - half, high: mean + half, n };
}
