/**
 * One process per directory (the spool's, the archive's): a lock file holding the owner's pid and
 * host name, created with O_EXCL. A lock whose process is gone (killed, crashed, rebooted) is stale
 * and taken over; one held by a live process, or by any process on another host, is reported to
 * the caller, which says so in its own words.
 *
 * Two starters that find the same stale lock do not both take it over (the rename in
 * acquirePidLock); three at the very same instant could, in a window of microseconds.
 *
 * A pid file cannot tell a recycled pid from its owner. Two mitigations: a lock naming our own pid
 * (a container restart gives the same pid every time) counts as stale; and a lock from another host
 * (a shared volume) is never taken over, since its pid means nothing here.
 */
import {
  closeSync,
  linkSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
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
  // A few rounds at most: a stale lock is moved aside once, then creation decides between starters.
  for (let attempt = 0; attempt < 3; attempt++) {
    if (createLock(path, me)) {
      const lock: PidLock = { path, release: () => release(path, me) };
      if (tookOverFrom) lock.tookOverFrom = tookOverFrom;
      return { kind: 'acquired', lock };
    }
    const holder = readHolder(path);
    if (holder && holder.host !== me.host) return { kind: 'held', holder, otherHost: true };
    if (holder && holder.pid !== me.pid && isAlive(holder.pid))
      return { kind: 'held', holder, otherHost: false };
    // Stale: its process is gone (or an older version crashed between create and write). Remove it
    // only if it is still the lock judged stale: renaming is atomic, so of two starters that judged
    // the same lock stale one moves it aside, and the other moves the winner's fresh lock instead,
    // sees that, puts it back and reports it held.
    const aside = `${path}.${me.pid}.stale`;
    try {
      renameSync(path, aside);
    } catch (err) {
      if (code(err) === 'ENOENT') continue; // another starter moved it: creation decides
      throw err;
    }
    const moved = readHolder(aside);
    if (moved?.pid !== holder?.pid || moved?.host !== holder?.host) {
      putBack(aside, path);
      return moved ? { kind: 'held', holder: moved, otherHost: moved.host !== me.host } : { kind: 'raced' };
    }
    unlinkQuietly(aside);
    tookOverFrom = holder ?? { pid: 0, host: me.host };
  }
  return { kind: 'raced' };
}

/**
 * Creates the lock with its content in one step: written to a file of our own, then hard-linked
 * into place, which fails if the lock exists. So no starter ever reads a lock half written. A file
 * system without hard links gets O_EXCL creation, then the write.
 */
function createLock(path: string, me: LockHolder): boolean {
  const content = `${me.pid}\n${me.host}\n`;
  const own = `${path}.${me.pid}.new`;
  writeFileSync(own, content);
  try {
    linkSync(own, path);
    return true;
  } catch (err) {
    if (code(err) === 'EEXIST') return false;
    if (!NO_HARD_LINKS.has(code(err) ?? '')) throw err;
  } finally {
    unlinkQuietly(own);
  }
  try {
    const fd = openSync(path, 'wx');
    try {
      writeSync(fd, content);
    } finally {
      closeSync(fd);
    }
    return true;
  } catch (err) {
    if (code(err) === 'EEXIST') return false;
    throw err;
  }
}

const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV']);

/** Puts a live lock moved aside by mistake back, unless yet another starter took its place. */
function putBack(aside: string, path: string): void {
  try {
    linkSync(aside, path);
  } catch (err) {
    if (code(err) !== 'EEXIST' && !NO_HARD_LINKS.has(code(err) ?? '')) throw err;
    if (code(err) !== 'EEXIST') renameSync(aside, path);
  }
  unlinkQuietly(aside);
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
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
