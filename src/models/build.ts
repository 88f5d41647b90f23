import { totalmem } from 'node:os';

import { Conv2d, Dropout, Flatten, Linear, MaxPool2d, ReLU, Sequential } from '../nn/layers.js';
import type { ConvAlgorithm } from '../nn/functional.js';
import type { Module } from '../nn/module.js';
import type { Generator } from '../tensor/random.js';
import { valueText } from '../util/type-name.js';
import { formatNetwork, type NetworkSpec, SpecError } from './spec.js';

export interface BuildOptions {
  /** Shape of one input image, [C, H, W]. */
  inputShape: readonly [number, number, number];
  numClasses: number;
  /** Generator for the dropout masks; libtorch's default generator when omitted. */
  dropoutGenerator?: Generator;
  /** Algorithm of the convolutions; 'auto' by default. */
  convAlgorithm?: ConvAlgorithm;
}

function checkBuildOptions(options: BuildOptions): void {
  const shape: unknown = (options as Partial<BuildOptions> | null)?.inputShape;
  const positive = (value: unknown) => Number.isInteger(value) && (value as number) > 0;
  if (!Array.isArray(shape) || shape.length !== 3 || !shape.every(positive)) {
    throw new TypeError(
      `buildNetwork needs options.inputShape, the [C, H, W] of one image such as [1, 28, 28], ` +
        `got ${valueText(shape)}`,
    );
  }
  if (!positive(options.numClasses)) {
    throw new TypeError(
      `buildNetwork needs options.numClasses, a positive integer, got ${valueText(options.numClasses)}`,
    );
  }
}

/**
 * Builds a network as a Sequential whose layer indices match the equivalent PyTorch
 * nn.Sequential, so checkpoint names such as "6.weight" line up. Checks that each layer
 * fits the feature map it receives and that the last layer has one output per class.
 */
export function buildNetwork(spec: NetworkSpec, options: BuildOptions): Sequential {
  checkBuildOptions(options);
  let [channels, height, width] = options.inputShape;
  let features: number | undefined;
  const modules: Module[] = [];
  let parameterCount = 0;
  // Checks, before a layer allocates its weights, that the network fits in memory.
  const reserve = (index: number, count: number) => {
    parameterCount += count;
    const bytes = parameterCount * 4;
    if (bytes > totalmem()) {
      throw new SpecError(
        `${describe(index)}: the network would have ${parameterCount.toExponential(2)} ` +
          `parameters (${(bytes / 2 ** 30).toFixed(0)} GiB), more than this machine's memory ` +
          `(${(totalmem() / 2 ** 30).toFixed(0)} GiB); use fewer or narrower layers`,
      );
    }
  };
  const describe = (index: number) =>
    `${spec.name} layer ${index + 1} (${formatNetwork({ name: '', layers: [spec.layers[index]!] })})`;
  spec.layers.forEach((layer, index) => {
    const last = index === spec.layers.length - 1;
    switch (layer.kind) {
      case 'conv': {
        if (features !== undefined) {
          throw new SpecError(`${describe(index)}: a convolution cannot follow a linear layer`);
        }
        const size = (n: number) =>
          Math.floor((n + 2 * layer.padding - layer.kernel) / layer.stride) + 1;
        if (size(height) < 1 || size(width) < 1) {
          throw new SpecError(
            `${describe(index)}: its ${layer.kernel}×${layer.kernel} kernel does not fit the ` +
              `${height}×${width} feature map; the images (${options.inputShape.join('×')}) are ` +
              'too small for this network: use larger images, or a network with fewer or ' +
              'smaller layers (padded convolutions, written pC…, keep the resolution)',
          );
        }
        reserve(index, layer.channels * (channels * layer.kernel * layer.kernel + 1));
        modules.push(
          new Conv2d({
            inChannels: channels,
            outChannels: layer.channels,
            kernelSize: layer.kernel,
            stride: layer.stride,
            padding: layer.padding,
            algorithm: options.convAlgorithm,
          }),
          new ReLU(true),
        );
        [channels, height, width] = [layer.channels, size(height), size(width)];
        break;
      }
      case 'maxpool': {
        if (features !== undefined || height < layer.size || width < layer.size) {
          throw new SpecError(`${describe(index)}: no ${height}×${width} feature map to pool`);
        }
        modules.push(new MaxPool2d(layer.size));
        [height, width] = [Math.floor(height / layer.size), Math.floor(width / layer.size)];
        break;
      }
      case 'dropout':
        modules.push(new Dropout(layer.p, options.dropoutGenerator));
        break;
      case 'linear': {
        if (features === undefined) {
          modules.push(new Flatten());
          features = channels * height * width;
        }
        reserve(index, (features + 1) * layer.features);
        modules.push(
          new Linear({ inFeatures: features, outFeatures: layer.features, bias: layer.bias }),
        );
        if (!last) modules.push(new ReLU(true));
        features = layer.features;
        break;
      }
    }
  });
  if (features !== options.numClasses) {
    throw new SpecError(
      `${spec.name} ends with ${features ?? 0} outputs but the data have ${options.numClasses} ` +
        `classes; make the last layer F${options.numClasses}`,
    );
  }
  return new Sequential(modules);
}
