/**
 * One process per directory (the spool's, the archive's): a lock file holding the owner's pid and
 * host name, created with O_EXCL. A lock whose process is gone (killed, crashed, rebooted) is stale
 * and taken over; one held by a live process, or by any process on another host, is reported to
 * the caller, which says so in its own words.
 *
 * A pid file cannot tell a recycled pid from its owner. Two mitigations: a lock naming our own pid
 * (a container restart gives the same pid every time) counts as stale; and a lock from another host
 * (a shared volume) is never taken over, since its pid means nothing here.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { code } from './fs-errors.js';

export interface LockHolder {
  pid: number;
  host: string;
}

export interface PidLock {
  path: string;
  /** The dead process whose stale lock was taken over (pid 0: a lock never completed), if any. */
  tookOverFrom?: LockHolder;
  /** Removes the lock, unless a later process has taken it over meanwhile. */
  release(): void;
}

/**
 * `held`: by a live process on this host, or by any process on another (`otherHost`); `raced`:
 * another starter took the lock while this one removed a stale one. Other file-system errors are
 * thrown as they are.
 */
export type LockAttempt =
  | { kind: 'acquired'; lock: PidLock }
  | { kind: 'held'; holder: LockHolder; otherHost: boolean }
  | { kind: 'raced' };

export function acquirePidLock(path: string): LockAttempt {
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
      const lock: PidLock = { path, release: () => release(path, me) };
      if (tookOverFrom) lock.tookOverFrom = tookOverFrom;
      return { kind: 'acquired', lock };
    } catch (err) {
      if (code(err) !== 'EEXIST') throw err;
    }
    const holder = readHolder(path);
    if (holder && holder.host !== me.host) return { kind: 'held', holder, otherHost: true };
    if (holder && holder.pid !== me.pid && isAlive(holder.pid))
      return { kind: 'held', holder, otherHost: false };
    // Stale: its process is gone (or the lock was never completed: a crash between create and write).
    tookOverFrom = holder ?? { pid: 0, host: me.host };
    try {
      unlinkSync(path);
    } catch (err) {
      if (code(err) !== 'ENOENT') throw err;
    }
  }
  return { kind: 'raced' };
}

/** The holder named in a lock file; a file without a host line (an older version's) is this host's. */
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
