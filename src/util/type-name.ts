/** Returns the JavaScript type of a value for error messages, with null as 'null'. */
export function typeName(value: unknown): string {
  return value === null ? 'null' : typeof value;
}
