/** The outcome of one numerical check of an identity. */

/** An identity checked numerically, with whether it is expected to hold. */
export interface Check {
  /** What the check belongs to, for example "Theorem 1". */
  group: string;
  /** The identity, for example "softmax: J = diag(y) − yyᵀ". */
  statement: string;
  expected: 'holds' | 'fails';
  /** Largest absolute difference between the two sides. */
  deviation: number;
  /** The identity holds when the deviation is at most this. */
  tolerance: number;
  /** Whether the deviation is within the tolerance. */
  holds: boolean;
  /** Whether the outcome is the expected one. */
  passed: boolean;
}

/** A Check from its measured deviation; NaN counts as not holding. */
export function makeCheck(
  group: string,
  statement: string,
  expected: 'holds' | 'fails',
  deviation: number,
  tolerance: number,
): Check {
  const holds = deviation <= tolerance;
  return {
    group,
    statement,
    expected,
    deviation,
    tolerance,
    holds,
    passed: holds === (expected === 'holds'),
  };
}
