/** Returns the JavaScript type of a value for error messages, with null as 'null'. */
export function typeName(value: unknown): string {
  return value === null ? 'null' : typeof value;
}

/**
 * Returns a value as error messages show it: numbers as JavaScript prints them (NaN,
 * Infinity), strings quoted, so that '0.1' and 0.1 look different, and other values by
 * JSON, or by type when JSON has no text for them.
 */
export function valueText(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') {
    return typeName(value);
  }
  try {
    return JSON.stringify(value) ?? typeName(value);
  } catch {
    return typeName(value);
  }
}
