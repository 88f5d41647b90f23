/**
 * File writing that never leaves a half-written result: each file is written to a
 * temporary name in the same folder and renamed into place, which POSIX makes atomic.
 */
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
  writevSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

let counter = 0;

// Temporary names are .<name>.<pid>.<counter>.tmp, unique across processes.
const temporaryName = /^\..+\.(\d+)\.\d+\.tmp$/;

/**
 * Writes `data` to `path` atomically: readers see the old file or the new one, never a part.
 * A list of chunks is written one after another, as if joined.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array | Uint8Array[]): void {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${counter++}.tmp`);
  try {
    if (Array.isArray(data)) writeChunks(temporary, data);
    else writeFileSync(temporary, data);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw new Error(`writing ${path} failed: ${writeProblem(error)}`, { cause: error });
  }
}

// Writes the chunks with writev, at most 1024 per call. A call may write fewer bytes than
// requested, so the next call starts where it stopped.
function writeChunks(path: string, chunks: Uint8Array[]): void {
  const fd = openSync(path, 'w');
  try {
    const pending = chunks.filter((chunk) => chunk.length > 0);
    let first = 0;
    while (first < pending.length) {
      let written = writevSync(fd, pending.slice(first, first + 1024));
      while (first < pending.length && written >= pending[first]!.length) {
        written -= pending[first]!.length;
        first += 1;
      }
      if (written > 0) pending[first] = pending[first]!.subarray(written);
    }
  } finally {
    closeSync(fd);
  }
}

// Returns the usual fix for the common causes, or else the system's message.
function writeProblem(error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException;
  switch (code) {
    case 'ENOSPC':
      return 'the disk is full; free some space and retry (the previous file is intact)';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied; choose a folder you can write to';
    case 'ENOENT':
      return 'its folder does not exist; create it or choose another path';
    default:
      return message;
  }
}

/** Returns whether a process with this id is running on this machine. */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Deletes the temporary files that writeFileAtomic left in `dir` when its process was
 * killed mid-write. Files of processes still running are left alone.
 */
export function removeTemporaryFiles(dir: string): void {
  for (const name of readdirSync(dir)) {
    const pid = temporaryName.exec(name)?.[1];
    if (pid === undefined || processExists(Number(pid))) continue;
    rmSync(join(dir, name), { force: true });
  }
}

/** Writes a value as indented JSON, atomically. */
export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** Writes values as JSON lines, atomically (the whole file is rewritten). */
export function writeJsonLinesAtomic(path: string, values: readonly unknown[]): void {
  writeFileAtomic(path, values.map((value) => `${JSON.stringify(value)}\n`).join(''));
}

/**
 * Creates a folder and its missing parents, one level at a time, as mkdir -p does.
 * Node 20's own recursive mkdirSync retries forever under a file system that refuses new
 * folders, such as /proc, where this throws the first refusal instead.
 */
export function makeFolders(path: string): void {
  const missing: string[] = [];
  for (let folder = resolve(path); !existsSync(folder); folder = dirname(folder)) {
    missing.unshift(folder);
    if (dirname(folder) === folder) break;
  }
  for (const folder of missing) {
    try {
      mkdirSync(folder);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

/**
 * Creates a new folder `<parent>/<name>`, or `<name>-2`, `<name>-3`, ... when taken.
 * mkdir fails when the folder exists, so two processes never get the same folder.
 */
export function createUniqueFolder(parent: string, name: string): string {
  makeFolders(parent);
  for (let attempt = 1; attempt < 10000; attempt++) {
    const path = join(parent, attempt === 1 ? name : `${name}-${attempt}`);
    try {
      mkdirSync(path);
      return path;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  throw new Error(`cannot create a new folder for ${name} in ${parent}`);
}

/** A time stamp usable in folder names, for example 2026-12-04T16-05-03. */
export function folderTimestamp(date = new Date()): string {
  return date.toISOString().slice(0, 19).replaceAll(':', '-');
}

/** Creates `<parent>/<timestamp>-<name>`, never one that another process took. */
export function createRunFolder(parent: string, name: string): string {
  return createUniqueFolder(parent, `${folderTimestamp()}-${name.replace(/[^\w.-]+/g, '_')}`);
}
