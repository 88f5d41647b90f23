/**
 * Checkpoints in the safetensors format. model.safetensors holds only the weights, under
 * the names of the equivalent PyTorch nn.Sequential ("0.weight", ...), so
 * `model.load_state_dict(safetensors.torch.load_file(path))` loads it in PyTorch.
 * resume.safetensors adds what an exact resume needs: the optimiser state, the generator
 * states and the loop's position and running sums.
 */
import { join } from 'node:path';

import { loadSafetensors, saveSafetensors } from '../io/safetensors.js';
import { fromStorage } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Trainer, TrainProgress } from './trainer.js';

export const modelFile = 'model.safetensors';
export const resumeFile = 'resume.safetensors';
const resumeFormat = 'isbe-resume-1';

/** Writes model.safetensors, with the run's configuration as metadata. */
export function saveModel(dir: string, trainer: Trainer): void {
  const metadata = { format: 'pt', config: JSON.stringify(trainer.config) };
  saveSafetensors(join(dir, modelFile), trainer.model.stateDict(), metadata);
}

function bytesTensor(bytes: Uint8Array): Tensor {
  return fromStorage(bytes, [bytes.length], 'uint8');
}

/** Writes resume.safetensors with everything needed to continue the run exactly. */
export function saveResumeState(dir: string, trainer: Trainer): void {
  const optimizer = trainer.optimizer.stateDict();
  const owned = [
    bytesTensor(trainer.dataGenerator.getState()),
    bytesTensor(trainer.dropoutGenerator.getState()),
  ];
  const tensors = new Map<string, Tensor>([
    ...[...trainer.model.stateDict()].map(([n, t]): [string, Tensor] => [`model.${n}`, t]),
    ...[...optimizer.tensors].map(([n, t]): [string, Tensor] => [`optimizer.${n}`, t]),
    ['generator.data', owned[0] as Tensor],
    ['generator.dropout', owned[1] as Tensor],
  ]);
  const { epochStartState, ...position } = trainer.progress;
  if (epochStartState !== null) {
    const start = bytesTensor(epochStartState);
    owned.push(start);
    tensors.set('generator.epochStart', start);
  }
  const metadata = {
    format: resumeFormat,
    progress: JSON.stringify(position),
    optimizer: JSON.stringify(optimizer.scalars),
  };
  try {
    saveSafetensors(join(dir, resumeFile), tensors, metadata);
  } finally {
    for (const tensor of owned) tensor.dispose();
  }
}

function take(tensors: Map<string, Tensor>, prefix: string): Map<string, Tensor> {
  const selected = new Map<string, Tensor>();
  for (const [name, tensor] of tensors) {
    if (name.startsWith(prefix)) selected.set(name.slice(prefix.length), tensor);
  }
  return selected;
}

function bytesOf(tensors: Map<string, Tensor>, name: string): Uint8Array {
  const tensor = tensors.get(name);
  if (tensor === undefined) throw new Error(`${resumeFile} has no ${name}`);
  return tensor.toStorage() as Uint8Array;
}

/** Restores a trainer, built with the run's configuration, from resume.safetensors. */
export function loadResumeState(dir: string, trainer: Trainer): void {
  const path = join(dir, resumeFile);
  const { tensors, metadata } = loadSafetensors(path);
  try {
    if (metadata.format !== resumeFormat) {
      throw new Error(
        `${path} is not an isbe resume state (format ${metadata.format ?? 'missing'})`,
      );
    }
    trainer.model.loadStateDict(take(tensors, 'model.'));
    trainer.optimizer.loadStateDict({
      scalars: JSON.parse(metadata.optimizer ?? '{}') as Record<string, number>,
      tensors: take(tensors, 'optimizer.'),
    });
    trainer.dataGenerator.setState(bytesOf(tensors, 'generator.data'));
    trainer.dropoutGenerator.setState(bytesOf(tensors, 'generator.dropout'));
    const position = JSON.parse(metadata.progress ?? '{}') as Omit<
      TrainProgress,
      'epochStartState'
    >;
    const epochStartState = tensors.has('generator.epochStart')
      ? bytesOf(tensors, 'generator.epochStart')
      : null;
    trainer.progress = { ...position, epochStartState };
  } finally {
    for (const tensor of tensors.values()) tensor.dispose();
  }
}
