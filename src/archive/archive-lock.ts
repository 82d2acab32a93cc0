/**
 * One archiver per archive directory (l1-archive by hand and l1-fetch's background archiving may
 * meet), with the pid lock file of src/pid-lock.ts. A second archiver is a runtime failure (exit 1):
 * the background archiver simply tries again at its next pass.
 */
import { join } from 'node:path';
import { EXIT_FAILURE, L1Error } from '../errors.js';
import { acquirePidLock } from '../pid-lock.js';

export const LOCK_NAME = '.l1-archive.lock';

export class ArchiveBusyError extends L1Error {
  /** `who`: ' (pid N)', or '' when unknown; `hint`: what to do besides waiting. */
  constructor(dir: string, who = '', hint = '') {
    super(`another archiver${who} is writing to ${dir}; try again when it is done${hint}`, EXIT_FAILURE);
  }
}

/** Takes the lock of `dir` (which must exist); returns its release. */
export function lockArchiveDir(dir: string): () => void {
  const path = join(dir, LOCK_NAME);
  const attempt = acquirePidLock(path);
  if (attempt.kind === 'acquired') return attempt.lock.release;
  if (attempt.kind === 'raced') throw new ArchiveBusyError(dir);
  const { pid, host } = attempt.holder;
  if (!attempt.otherHost) throw new ArchiveBusyError(dir, ` (pid ${pid})`);
  throw new ArchiveBusyError(dir, ` (pid ${pid} on host ${host})`, ` (if it is gone, delete ${path})`);
}
