/**
 * The ISBE training loop written by hand with the library API: a small network, Adam, and
 * `scores.backward(error)` with no loss. Run it with `node dist/examples/custom-loop.js`.
 */
import {
  type DataSplits,
  evaluate,
  Generator,
  IsbeHead,
  loadIdxData,
  manualSeed,
  nn,
  optim,
  shuffledBatches,
  tidy,
} from '../src/index.js';

/** Trains for one epoch on `limit` MNIST images and returns the test accuracy in %. */
export function trainOneEpoch(limit = 6000, seed = 0): number {
  manualSeed(seed);
  const data: DataSplits = loadIdxData({ limit });
  const net = new nn.Sequential([
    new nn.Conv2d({ inChannels: 1, outChannels: 32, kernelSize: 3, stride: 2 }),
    new nn.ReLU(),
    new nn.Flatten(),
    new nn.Linear({ inFeatures: 32 * 13 * 13, outFeatures: 10 }),
  ]);
  const optimizer = new optim.Adam(net.parameters(), { lr: 1e-3 });
  const head = new IsbeHead('softmax');

  for (const { images, labels } of shuffledBatches(data.train, 128, new Generator(seed))) {
    tidy(() => {
      const scores = net.forward(images); // raw scores X, [N, 10]
      const { error } = head.error(scores, labels); // f(X) − Y°, without a graph
      optimizer.zeroGrad();
      scores.backward(error); // the ISBE unit: the error is the gradient
      optimizer.step();
      images.dispose();
      labels.dispose();
    });
  }

  const options = { batchSize: 1000, precision: 'fp32', channelsLast: false } as const;
  const { accuracy } = evaluate(net, head, data.test, options);
  net.dispose();
  optimizer.dispose();
  return accuracy;
}

if (process.argv[1]?.endsWith('custom-loop.js')) {
  console.log(`test accuracy after one epoch: ${trainOneEpoch().toFixed(2)} %`);
}
