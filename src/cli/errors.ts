import { createRunFolder } from '../io/files.js';

/** A command used wrongly; the message says how to use it instead. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Creates a run folder, explaining a folder that cannot be written. */
export function createRunFolderOrExplain(parent: string, name: string): string {
  try {
    return createRunFolder(parent, name);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    const reason = error instanceof Error ? error.message : String(error);
    const hint = ['EACCES', 'EROFS', 'EPERM', 'ENOTDIR', 'EEXIST'].includes(code)
      ? '; choose a writable folder with --runs-dir'
      : '';
    throw new UsageError(`cannot create a run folder in ${parent}: ${reason}${hint}`);
  }
}
