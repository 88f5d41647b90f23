/**
 * Reader and writer of the safetensors format (huggingface/safetensors): an 8-byte
 * little-endian header length, a JSON header mapping each name to its dtype, shape and
 * byte offsets, then the raw little-endian data. PyTorch opens these files with
 * safetensors.torch.load_file().
 */
import { readFileSync } from 'node:fs';

import type { StorageArray } from '../native/addon.js';
import { fromStorage } from '../tensor/creation.js';
import type { Dtype } from '../tensor/dtype.js';
import { dtypeByteSize } from '../tensor/dtype.js';
import type { Tensor } from '../tensor/tensor.js';
import { writeFileAtomic } from './files.js';

const codes: Record<Dtype, string> = {
  float64: 'F64',
  float32: 'F32',
  float16: 'F16',
  bfloat16: 'BF16',
  int64: 'I64',
  int32: 'I32',
  int8: 'I8',
  uint8: 'U8',
  bool: 'BOOL',
};

const dtypes = Object.fromEntries(Object.entries(codes).map(([d, c]) => [c, d])) as Record<
  string,
  Dtype
>;

/** A file that is not valid safetensors data. */
export class SafetensorsError extends Error {
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'SafetensorsError';
  }
}

interface Entry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/**
 * Serialises named tensors and string metadata into safetensors bytes: the header, then
 * each tensor's data, as separate chunks. Writing them separately saves one copy of the data.
 */
export function encodeSafetensors(
  tensors: Map<string, Tensor>,
  metadata: Record<string, string> = {},
): Uint8Array[] {
  const header: Record<string, unknown> = { __metadata__: metadata };
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, tensor] of tensors) {
    const storage = tensor.toStorage();
    const bytes = new Uint8Array(storage.buffer, storage.byteOffset, storage.byteLength);
    header[name] = {
      dtype: codes[tensor.dtype],
      shape: tensor.shape,
      data_offsets: [offset, offset + bytes.length],
    };
    chunks.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const prefix = new Uint8Array(8 + headerBytes.length);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  prefix.set(headerBytes, 8);
  return [prefix, ...chunks];
}

/** Writes named tensors to a safetensors file, atomically. */
export function saveSafetensors(
  path: string,
  tensors: Map<string, Tensor>,
  metadata: Record<string, string> = {},
): void {
  writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}

function storageFor(dtype: Dtype, bytes: Uint8Array): StorageArray {
  // A copy through the Uint8Array constructor: Buffer's slice() shares memory, so its
  // .buffer would be the whole file (or Node's pool) rather than this tensor's bytes.
  const copy = new Uint8Array(bytes).buffer;
  switch (dtype) {
    case 'float64':
      return new Float64Array(copy);
    case 'float32':
      return new Float32Array(copy);
    case 'int64':
      return new BigInt64Array(copy);
    case 'int32':
      return new Int32Array(copy);
    case 'int8':
      return new Int8Array(copy);
    case 'bfloat16':
    case 'float16':
      return new Uint16Array(copy);
    default:
      return new Uint8Array(copy);
  }
}

/** Named tensors and metadata read from a safetensors file. */
export interface SafetensorsContent {
  tensors: Map<string, Tensor>;
  metadata: Record<string, string>;
}

/** Reads a safetensors file; the tensors are new and owned by the caller. */
export function loadSafetensors(path: string): SafetensorsContent {
  const bytes = readFileSync(path);
  if (bytes.length < 8) throw new SafetensorsError(path, 'is too short to be safetensors');
  const headerLength = Number(bytes.readBigUInt64LE(0));
  if (8 + headerLength > bytes.length) {
    throw new SafetensorsError(path, 'is truncated: its header runs past the end of the file');
  }
  let header: Record<string, Entry | Record<string, string>>;
  try {
    header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8'));
  } catch {
    throw new SafetensorsError(path, 'has a header that is not valid JSON');
  }
  const data = bytes.subarray(8 + headerLength);
  const tensors = new Map<string, Tensor>();
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = value as Record<string, string>;
      continue;
    }
    const entry = value as Entry;
    const dtype = dtypes[entry.dtype];
    if (dtype === undefined)
      throw new SafetensorsError(path, `${name} has unsupported dtype ${entry.dtype}`);
    const [begin, end] = entry.data_offsets;
    const numel = entry.shape.reduce((product, size) => product * size, 1);
    if (end > data.length || end - begin !== numel * dtypeByteSize(dtype)) {
      throw new SafetensorsError(path, `${name} has byte offsets that do not fit its shape`);
    }
    tensors.set(
      name,
      fromStorage(storageFor(dtype, data.subarray(begin, end)), entry.shape, dtype),
    );
  }
  return { tensors, metadata };
}
