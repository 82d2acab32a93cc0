/**
 * One archiver per archive directory (l1-archive by hand and l1-fetch's background archiving may
 * meet): a lock file holding the owner's pid, created exclusively. A lock whose process is gone
 * (killed, crashed) is taken over.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT_FAILURE, L1Error } from '../errors.js';

export const LOCK_NAME = '.l1-archive.lock';

export class ArchiveBusyError extends L1Error {
  constructor(dir: string, pid: number) {
    super(`another archiver (pid ${pid}) is writing to ${dir}; try again when it is done`, EXIT_FAILURE);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock of `dir` (which must exist); returns its release. */
export function lockArchiveDir(dir: string): () => void {
  const path = join(dir, LOCK_NAME);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: 'wx' });
      return () => rmSync(path, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(readFileSync(path, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid))
        throw new ArchiveBusyError(dir, pid);
      rmSync(path, { force: true }); // stale: its owner is gone
    }
  }
  throw new ArchiveBusyError(dir, Number.NaN);
}
