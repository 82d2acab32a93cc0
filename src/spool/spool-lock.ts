/**
 * One process per spool directory: a lock file holding the owner's pid and host name, created with
 * O_EXCL. A lock whose process is gone (killed, crashed, rebooted) is stale and taken over; one
 * held by a live process makes the second start refuse (exit 2).
 *
 * A pid file cannot tell a recycled pid from its owner. Two mitigations: the lock names our own pid
 * after a container restart (the same pid every time), so that counts as stale; and a lock from
 * another host (a shared volume) is never taken over, since its pid means nothing here.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import { code, describeFsError } from './fs-errors.js';

export const LOCK_FILE = 'l1-fetch.lock';

export interface LockHolder {
  pid: number;
  host: string;
}

export interface AcquiredLock {
  path: string;
  /** The dead process whose stale lock was taken over, if any. */
  tookOverFrom?: LockHolder;
  release(): void;
}

export function acquireSpoolLock(dir: string): AcquiredLock {
  const path = join(dir, LOCK_FILE);
  const me: LockHolder = { pid: process.pid, host: hostname() };
  let tookOverFrom: LockHolder | undefined;
  // Twice at most: a stale lock is removed once, then O_EXCL decides between racing starters.
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      try {
        writeSync(fd, `${me.pid}\n${me.host}\n`);
      } finally {
        closeSync(fd);
      }
      return { path, ...(tookOverFrom ? { tookOverFrom } : {}), release: () => release(path, me) };
    } catch (err) {
      if (code(err) !== 'EEXIST') throw lockError(dir, path, err);
    }
    const holder = readHolder(path);
    if (holder && holder.host !== me.host)
      throw new InputError(
        `--spool-dir ${dir} is locked by process ${holder.pid} on host ${holder.host} (${path}); one process per spool directory: if that process is gone, delete the lock file`,
      );
    if (holder && holder.pid !== me.pid && isAlive(holder.pid))
      throw new InputError(
        `--spool-dir ${dir} is in use by process ${holder.pid} (lock ${path}); one process per spool directory: stop that one or use another directory`,
      );
    // Stale: its process is gone (or the lock was never completed: a crash between create and write).
    tookOverFrom = holder ?? { pid: 0, host: me.host };
    try {
      unlinkSync(path);
    } catch (err) {
      if (code(err) !== 'ENOENT') throw lockError(dir, path, err);
    }
  }
  throw new InputError(`--spool-dir ${dir}: another process took the lock ${path} while this one started`);
}

function readHolder(path: string): LockHolder | undefined {
  try {
    const [pid, host] = readFileSync(path, 'utf8').split('\n');
    const n = Number(pid);
    return Number.isSafeInteger(n) && n > 0 ? { pid: n, host: host || hostname() } : undefined;
  } catch {
    return undefined;
  }
}

/** Signal 0 checks that the process exists; EPERM means it does, under another user. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return code(err) === 'EPERM';
  }
}

function release(path: string, me: LockHolder): void {
  // Only our own lock: never remove one a later process took over.
  const holder = readHolder(path);
  if (holder?.pid !== me.pid || holder.host !== me.host) return;
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

function lockError(dir: string, path: string, err: unknown): InputError {
  return new InputError(`--spool-dir ${dir}: cannot create the lock file ${path} (${describeFsError(err)})`);
}
