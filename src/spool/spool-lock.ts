/**
 * One process per spool directory (src/pid-lock.ts): a second start on a directory in use is an
 * input error (exit 2) naming the holder and the lock file.
 */
import { join } from 'node:path';
import { InputError } from '../errors.js';
import { accessHint, describeFsError } from '../fs-errors.js';
import { acquirePidLock, type LockAttempt, type PidLock } from '../pid-lock.js';

export const LOCK_FILE = 'l1-fetch.lock';

export function acquireSpoolLock(dir: string): PidLock {
  const path = join(dir, LOCK_FILE);
  let attempt: LockAttempt;
  try {
    attempt = acquirePidLock(path);
  } catch (err) {
    throw new InputError(
      `--spool-dir ${dir}: cannot create the lock file ${path} (${describeFsError(err)})${accessHint(err)}`,
    );
  }
  if (attempt.kind === 'acquired') return attempt.lock;
  if (attempt.kind === 'raced')
    throw new InputError(
      `--spool-dir ${dir}: another process took the lock ${path} while this one started; one process per spool directory: start again to see which one holds it`,
    );
  const { pid, host } = attempt.holder;
  throw new InputError(
    attempt.otherHost
      ? `--spool-dir ${dir} is locked by process ${pid} on host ${host} (${path}); one process per spool directory: if that process is gone, delete the lock file`
      : `--spool-dir ${dir} is in use by process ${pid} (lock ${path}); one process per spool directory: stop that one or use another directory`,
  );
}
