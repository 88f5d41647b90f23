/**
 * One fixed colour per head, used by every figure, so a head looks the same in all charts
 * and in every report. Cross-entropy heads are blues, ISBE heads warm or green hues.
 */
const fixedColors: Record<string, string> = {
  'ce-mean': '#1f77b4',
  'ce-none': '#17becf',
  'ce-sum': '#393b79',
  'isbe-softmax': '#d62728',
  'isbe-sigmoid': '#2ca02c',
  'isbe-hardsigmoid': '#6b8e23',
  'isbe-tanh': '#ff7f0e',
  'isbe-hardtanh': '#9467bd',
  'isbe-scaled-hardtanh': '#e377c2',
  'isbe-normalize': '#7f7f7f',
};

// Heads of soft functions registered by users get one of these, chosen by name.
const extraColors = ['#8c564b', '#bcbd22', '#637939', '#843c39', '#7b4173', '#3182bd'];

function nameHash(name: string): number {
  let hash = 0;
  for (const char of name) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return hash;
}

/** Returns the colour of a head as a CSS hex string, the same on every call. */
export function headColor(head: string): string {
  return fixedColors[head] ?? (extraColors[nameHash(head) % extraColors.length] as string);
}
