/**
 * Network architectures as data, and a parser for the compact notation used to describe
 * them: space-separated layers, each one of
 *   C<channels>k<kernel>[s<stride>]  convolution, stride 1 unless given; a leading "p" pads
 *                                    by ⌊kernel / 2⌋ so that stride 1 keeps the resolution
 *   D<percent>                       dropout, for example D20 for p = 0.2
 *   M<size>                          max pooling with a size × size window and stride
 *   F<features>[nb]                  linear layer; "nb" leaves out its bias
 * ReLU follows every convolution and every linear layer except the last; the feature map
 * is flattened before the first linear layer.
 */

export type LayerSpec =
  | { kind: 'conv'; channels: number; kernel: number; stride: number; padding: number }
  | { kind: 'dropout'; p: number }
  | { kind: 'maxpool'; size: number }
  | { kind: 'linear'; features: number; bias: boolean };

/** A network: a name and its layers in order. */
export interface NetworkSpec {
  name: string;
  layers: LayerSpec[];
}

/** A network description that does not parse; the message points at the bad token. */
export class SpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SpecError';
  }
}

const conv = /^(p?)C(\d+)k(\d+)(?:s(\d+))?$/;
const dropout = /^D(\d+)$/;
const maxpool = /^M(\d+)$/;
const linear = /^F(\d+)(nb)?$/;

function positive(token: string, field: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    throw new SpecError(`layer '${token}': the ${field} must be a positive integer, got ${text}`);
  }
  return value;
}

/** Parses one layer token, for example "pC64k5s2". */
export function parseLayer(token: string): LayerSpec {
  let match = conv.exec(token);
  if (match) {
    const [, pad, channels = '', kernel = '', stride = '1'] = match;
    const k = positive(token, 'kernel size', kernel);
    return {
      kind: 'conv',
      channels: positive(token, 'channel count', channels),
      kernel: k,
      stride: positive(token, 'stride', stride),
      padding: pad ? Math.floor(k / 2) : 0,
    };
  }
  if ((match = dropout.exec(token))) {
    const percent = Number(match[1]);
    if (percent >= 100) throw new SpecError(`layer '${token}': dropout must be below 100 %`);
    return { kind: 'dropout', p: percent / 100 };
  }
  if ((match = maxpool.exec(token)))
    return { kind: 'maxpool', size: positive(token, 'pool size', match[1] ?? '') };
  if ((match = linear.exec(token))) {
    return {
      kind: 'linear',
      features: positive(token, 'feature count', match[1] ?? ''),
      bias: match[2] !== 'nb',
    };
  }
  throw new SpecError(
    `cannot parse layer '${token}'; expected C<channels>k<kernel>[s<stride>] (optionally ` +
      'prefixed with p), D<percent>, M<size> or F<features>[nb], for example C32k3s2 D20 F512',
  );
}

/** Parses a whole network, for example "C32k3s2 C64k3s2 D20 F512 F10". */
export function parseNetwork(notation: string, name = notation): NetworkSpec {
  const tokens = notation.trim().split(/\s+/).filter(Boolean);
  if (tokens.length === 0) throw new SpecError('the network description is empty');
  const layers = tokens.map(parseLayer);
  if (layers.at(-1)?.kind !== 'linear') {
    throw new SpecError(`the last layer of '${notation}' must be a linear layer F<classes>`);
  }
  return { name, layers };
}

/** Writes a spec back in the compact notation. */
export function formatNetwork(spec: NetworkSpec): string {
  return spec.layers
    .map((layer) => {
      switch (layer.kind) {
        case 'conv': {
          const pad = layer.padding > 0 ? 'p' : '';
          const stride = layer.stride > 1 ? `s${layer.stride}` : '';
          return `${pad}C${layer.channels}k${layer.kernel}${stride}`;
        }
        case 'dropout':
          return `D${Math.round(layer.p * 100)}`;
        case 'maxpool':
          return `M${layer.size}`;
        case 'linear':
          return `F${layer.features}${layer.bias ? '' : 'nb'}`;
      }
    })
    .join(' ');
}
