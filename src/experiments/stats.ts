/** Summary statistics over seeds: mean, standard deviation and a 95 % t-interval. */
import tQuantile from '@stdlib/stats-base-dists-t-quantile';

/** Mean of n values with their spread; sd and ci are null for a single value. */
export interface Stats {
  n: number;
  mean: number;
  /** Sample standard deviation (n − 1 in the denominator). */
  sd: number | null;
  /** 95 % confidence interval of the mean from Student's t distribution. */
  ci: [number, number] | null;
}

/** Mean, standard deviation and 95 % confidence interval of `values` (at least one). */
export function describe(values: readonly number[]): Stats {
  const n = values.length;
  if (n === 0) throw new RangeError('describe() needs at least one value');
  const mean = values.reduce((sum, v) => sum + v, 0) / n;
  if (n === 1) return { n, mean, sd: null, ci: null };
  const variance = values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / (n - 1);
  const sd = Math.sqrt(variance);
  const half = tQuantile(0.975, n - 1) * (sd / Math.sqrt(n));
  return { n, mean, sd, ci: [mean - half, mean + half] };
}

/** Whether a 95 % interval excludes zero; null without an interval. */
export function differsFromZero(stats: Stats): boolean | null {
  if (stats.ci === null) return null;
  return stats.ci[0] > 0 || stats.ci[1] < 0;
}
