/** Numerical checks of the identities behind ISBE: loss gradients, Theorems 1 and 2. */
import { type BatchInput, batchChecks } from './batch.js';
import type { Check } from './check.js';
import { type PointOptions, theorem1Checks, theorem2Checks } from './theorems.js';

export type { Check } from './check.js';
export type { BatchInput } from './batch.js';
export type { PointOptions } from './theorems.js';
export { batchChecks } from './batch.js';
export { theorem1Checks, theorem2Checks } from './theorems.js';

/** Runs every check: the real batch first, then Theorems 1 and 2 at random points. */
export function allChecks(batch: BatchInput, points: PointOptions = {}): Check[] {
  return [...batchChecks(batch), ...theorem1Checks(points), ...theorem2Checks(points)];
}
