/**
 * The MNIST networks of Skarbek's ISBE paper (arXiv 2311.16357). N1's last linear layer
 * has no bias; N1r is N1 with that bias, the trainable relocation of the soft function.
 */
import { parseNetwork, type NetworkSpec } from './spec.js';

export const paperNetworks: Record<string, string> = {
  N0: 'C32k3s2 C64k3s2 D20 F512 F10',
  N1: 'C32k3 C32k3 pC32k5s2 D40 C64k3 C64k3 pC64k5s2 D40 C128k4 F10nb',
  N1r: 'C32k3 C32k3 pC32k5s2 D40 C64k3 C64k3 pC64k5s2 D40 C128k4 F10',
};

/** Resolves a network by name (N0, N1, N1r) or from the compact notation. */
export function resolveNetwork(nameOrNotation: string): NetworkSpec {
  const notation = paperNetworks[nameOrNotation];
  if (notation !== undefined) return parseNetwork(notation, nameOrNotation);
  if (/^[A-Za-z0-9]+$/.test(nameOrNotation) && !/\d+k\d+|^[DFM]\d+/.test(nameOrNotation)) {
    throw new RangeError(
      `unknown network '${nameOrNotation}'; use ${Object.keys(paperNetworks).join(', ')} ` +
        "or a description such as 'C32k3s2 C64k3s2 D20 F512 F10'",
    );
  }
  return parseNetwork(nameOrNotation);
}
