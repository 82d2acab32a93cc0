/**
 * File-system errors as the spool and the lock files report them: one short reason with its code,
 * no stack; and the unlink whose failure they ignore.
 */
import { unlinkSync } from 'node:fs';

export function code(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** "ENOSPC: no space left on device, write" → "no space left on device (ENOSPC)". */
export function describeFsError(err: unknown): string {
  const e = err as NodeJS.ErrnoException | undefined;
  const text = (e?.message ?? String(err)).replace(/^[A-Z]+: /, '').replace(/, \w+( '.*')?( -> '.*')?$/, '');
  return e?.code ? `${text} (${e.code})` : text;
}

/** What to do about a file this process may not open or write, or '' for any other error. */
export function accessHint(err: unknown): string {
  const c = code(err);
  if (c === 'EACCES' || c === 'EPERM')
    return '; run as a user that can write there, or use another directory';
  if (c === 'EROFS') return '; use a directory on a writable file system';
  return '';
}

/** Removes a file, ignoring any failure (already gone; a spool's leftover goes at the next start). */
export function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // nothing to do
  }
}
