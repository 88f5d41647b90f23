/**
 * Reader of the IDX format that MNIST ships in: a big-endian header (two zero bytes, a
 * type code, the number of dimensions, then each dimension as uint32) followed by the raw
 * elements. Only unsigned bytes (type 0x08) are supported. Files may be gzip-compressed
 * when their names end in .gz.
 */
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

/** Magic numbers of the two kinds of MNIST files. */
export const idxMagic = { images: 0x00000803, labels: 0x00000801 } as const;

export type IdxKind = keyof typeof idxMagic;

/** The dimensions and raw bytes of one IDX file. */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/** A file that is not valid IDX data of the expected kind; the message says how to fix it. */
export class IdxFormatError extends Error {
  constructor(
    readonly file: string,
    problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = 'IdxFormatError';
  }
}

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function hex(value: number): string {
  return `0x${value.toString(16).padStart(8, '0')}`;
}

/** Decompresses a .gz file and checks that compression and file name agree. */
function decode(file: string, bytes: Uint8Array): Uint8Array {
  const named = file.endsWith('.gz');
  const compressed = isGzip(bytes);
  if (compressed && !named) {
    throw new IdxFormatError(
      file,
      `contains gzip data but its name does not end in .gz; rename it to ${file}.gz, ` +
        'or decompress it with gunzip',
    );
  }
  if (named && !compressed) {
    throw new IdxFormatError(
      file,
      'its name ends in .gz but it is not gzip data; remove .gz from its name if it is raw IDX',
    );
  }
  if (!compressed) return bytes;
  try {
    return gunzipSync(bytes);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new IdxFormatError(file, `is damaged gzip data (${reason}); download it again`);
  }
}

/** Parses IDX bytes of the expected kind, checking the magic number and the exact size. */
export function parseIdx(file: string, raw: Uint8Array, kind: IdxKind): IdxArray {
  const bytes = decode(file, raw);
  if (bytes.length < 4) throw new IdxFormatError(file, `is ${bytes.length} bytes, too short for IDX`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  if (magic !== idxMagic[kind]) {
    const other = kind === 'images' ? 'labels' : 'images';
    const hint = magic === idxMagic[other] ? ` (that is the magic number of ${other})` : '';
    throw new IdxFormatError(
      file,
      `wrong magic number ${hex(magic)}${hint}; IDX ${kind} files start with ${hex(idxMagic[kind])}`,
    );
  }
  const ndim = magic & 0xff;
  const headerSize = 4 + 4 * ndim;
  if (bytes.length < headerSize) throw new IdxFormatError(file, 'is truncated inside its header');
  const dims = Array.from({ length: ndim }, (_, i) => view.getUint32(4 + 4 * i));
  const expected = headerSize + dims.reduce((product, size) => product * size, 1);
  if (bytes.length !== expected) {
    const shape = dims.join(' × ');
    const problem =
      bytes.length < expected
        ? `is truncated: the header promises ${shape} bytes of data (${expected} bytes in all) ` +
          `but the file has ${bytes.length}`
        : `has ${bytes.length - expected} bytes after the ${shape} elements its header declares`;
    throw new IdxFormatError(file, `${problem}; the file is damaged or not IDX`);
  }
  return { dims, data: bytes.subarray(headerSize) };
}

/** Reads and parses one IDX file. */
export function readIdx(file: string, kind: IdxKind): IdxArray {
  if (!existsSync(file)) throw new IdxFormatError(file, 'not found');
  return parseIdx(file, readFileSync(file), kind);
}
