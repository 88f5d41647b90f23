/**
 * Reader of the IDX format that MNIST ships in: a big-endian header (two zero bytes, a
 * type code, the number of dimensions, then each dimension as uint32) followed by the raw
 * elements. Only unsigned bytes (type 0x08) are supported. Files may be gzip-compressed
 * when their names end in .gz.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
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

function hex(value: number, digits = 8): string {
  return `0x${value.toString(16).padStart(digits, '0')}`;
}

// Element types of the IDX format, by the type code in the third byte of the magic number.
const idxTypes: Record<number, string> = {
  0x08: 'unsigned byte',
  0x09: 'signed byte',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
};

const redownload = 'download or export it again';

// Explains what a wrong magic number belongs to, which points at the likely mistake.
function explainMagic(magic: number, kind: IdxKind): string {
  const other = kind === 'images' ? 'labels' : 'images';
  if (magic === idxMagic[other]) {
    return (
      `it is the magic number of IDX ${other} files, so the images and labels files may be ` +
      'swapped'
    );
  }
  const typeCode = (magic >>> 8) & 0xff;
  const type = idxTypes[typeCode];
  if (magic >>> 16 === 0 && type !== undefined) {
    if (typeCode !== 0x08) {
      return (
        `the file holds ${type} elements (type ${hex(typeCode, 2)}), but only unsigned bytes ` +
        '(type 0x08) are supported'
      );
    }
    const expectedDims = idxMagic[kind] & 0xff;
    return `the file has ${magic & 0xff} dimensions where IDX ${kind} files have ${expectedDims}`;
  }
  return `the file is not IDX data; check that it is the MNIST ${kind} file`;
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
    throw new IdxFormatError(file, `is damaged gzip data (${reason}); ${redownload}`);
  }
}

/** Parses IDX bytes of the expected kind, checking the magic number and the exact size. */
export function parseIdx(file: string, raw: Uint8Array, kind: IdxKind): IdxArray {
  const bytes = decode(file, raw);
  if (bytes.length < 4) {
    throw new IdxFormatError(file, `is ${bytes.length} bytes, too short for IDX; ${redownload}`);
  }

  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  if (magic !== idxMagic[kind]) {
    throw new IdxFormatError(
      file,
      `wrong magic number ${hex(magic)}, where IDX ${kind} files start with ` +
        `${hex(idxMagic[kind])}: ${explainMagic(magic, kind)}`,
    );
  }

  const ndim = magic & 0xff;
  const headerSize = 4 + 4 * ndim;
  if (bytes.length < headerSize) {
    throw new IdxFormatError(
      file,
      `is truncated inside its header (${bytes.length} of ${headerSize} bytes); ${redownload}`,
    );
  }

  const dims = Array.from({ length: ndim }, (_, i) => view.getUint32(4 + 4 * i));
  const expected = headerSize + dims.reduce((product, size) => product * size, 1);
  if (bytes.length !== expected) {
    const shape = dims.join(' × ');
    const problem =
      bytes.length < expected
        ? `is truncated: its header declares ${shape} elements, ${expected} bytes with the ` +
          `header, but the file has ${bytes.length} bytes`
        : `has ${bytes.length - expected} bytes more than the ${shape} elements its header ` +
          'declares, so header and data disagree';
    throw new IdxFormatError(file, `${problem}; ${redownload}`);
  }
  return { dims, data: bytes.subarray(headerSize) };
}

/** Reads and parses one IDX file. */
export function readIdx(file: string, kind: IdxKind): IdxArray {
  if (!existsSync(file)) throw new IdxFormatError(file, 'not found');
  if (!statSync(file).isFile()) {
    throw new IdxFormatError(file, 'is not a file; put the IDX file itself at this path');
  }
  return parseIdx(file, readFileSync(file), kind);
}
