/**
 * A file that appears under its name only when it is complete: written to a temporary name in the
 * same directory, fsynced, renamed into place, and the directory fsynced so the rename itself
 * survives a power cut. A crash before the rename leaves only a `.tmp` file, never a partial one
 * under the real name.
 */
import { randomBytes } from 'node:crypto';
import { type FileHandle, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { describeFsError } from '../fs-errors.js';

export const TMP_SUFFIX = '.tmp';

export interface TempFile {
  readonly handle: FileHandle;
  readonly tmpPath: string;
  /** fsync, close, rename to `finalPath` (same directory), fsync the directory. */
  commit(finalPath: string): Promise<void>;
  /** Close and delete the temporary file (after a failure). */
  discard(): Promise<void>;
}

/** Opens `.<name>.<random>.tmp` in `dir` for writing. */
export async function createTempFile(dir: string, name: string): Promise<TempFile> {
  const tmpPath = join(dir, `.${name}.${randomBytes(4).toString('hex')}${TMP_SUFFIX}`);
  const handle = await open(tmpPath, 'wx');
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await handle.close();
  };
  return {
    handle,
    tmpPath,
    async commit(finalPath) {
      if (dirname(finalPath) !== dir) throw new Error(`${basename(finalPath)} must be committed in ${dir}`);
      await handle.sync();
      await close();
      await rename(tmpPath, finalPath);
      await syncDir(dir);
    },
    async discard() {
      await close().catch(() => {});
      await rm(tmpPath, { force: true });
    },
  };
}

/** fsync of a directory: makes a rename or a new entry in it durable. */
export async function syncDir(dir: string): Promise<void> {
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}

/** System calls on files and directories (not sockets: a Redis connection error is not one). */
const FILE_SYSCALLS = new Set([
  'open',
  'write',
  'fsync',
  'close',
  'rename',
  'mkdir',
  'readdir',
  'scandir',
  'unlink',
  'rm',
  'stat',
]);

/**
 * "no space left on device (ENOSPC)" for a file-system failure (disk full, permissions, a
 * read-only mount): the one line a CLI prints instead of a stack; undefined for any other error.
 */
export function fileErrorReason(err: unknown): string | undefined {
  const syscall = (err as NodeJS.ErrnoException | undefined)?.syscall;
  return syscall !== undefined && FILE_SYSCALLS.has(syscall) ? describeFsError(err) : undefined;
}
