/**
 * One process per directory (the spool's, the archive's): a lock file holding the owner's pid and
 * host name, created with O_EXCL. A lock whose process is gone (killed, crashed, rebooted) is stale
 * and taken over; one held by a live process, or by any process on another host, is reported to
 * the caller, which says so in its own words.
 *
 * Starters that find the same stale lock at once do not both take it over: the stale lock is
 * removed only under a short-lived takeover guard (removeStale), and the lock itself is created
 * whole by a hard link, which only one starter can win.
 *
 * A pid file cannot tell a recycled pid from its owner. Two mitigations: a lock naming our own pid
 * (a container restart gives the same pid every time) counts as stale; and a lock from another host
 * (a shared volume) is never taken over, since its pid means nothing here.
 */
import {
  closeSync,
  existsSync,
  linkSync,
  openSync,
  readFileSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { code, unlinkQuietly } from './fs-errors.js';

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
 * the lock kept changing hands while this starter looked (other starters at the same moment). Other file-system errors are
 * thrown as they are.
 */
export type LockAttempt =
  | { kind: 'acquired'; lock: PidLock }
  | { kind: 'held'; holder: LockHolder; otherHost: boolean }
  | { kind: 'raced' };

export function acquirePidLock(path: string): LockAttempt {
  const me: LockHolder = { pid: process.pid, host: hostname() };
  let tookOverFrom: LockHolder | undefined;
  // A few rounds at most: a stale lock is removed under the takeover guard, then creation decides.
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
    // Stale: its process is gone (or an older version crashed between create and write).
    if (removeStale(path, holder, me)) tookOverFrom = holder ?? { pid: 0, host: me.host };
  }
  return { kind: 'raced' };
}

/** How long a takeover guard may stand before it counts as left by a crash (it lives microseconds). */
const GUARD_STALE_MS = 10_000;
/** How long a starter waits for another's takeover before looking at the lock again. */
const GUARD_WAIT_MS = 1_000;

/**
 * Removes a stale lock, if it is still the one judged stale. Removal is the only step that can
 * hurt a live owner (a starter that judged the old lock stale could remove the fresh lock of one
 * that took it over meanwhile), so it happens only under a takeover guard, a second lock file held
 * for microseconds: of starters that judged the same lock stale, one removes it and the others
 * wait, then find the new owner. Creating the lock needs no guard: the hard link decides.
 * Returns whether this call removed it.
 */
function removeStale(path: string, stale: LockHolder | undefined, me: LockHolder): boolean {
  const guard = `${path}.takeover`;
  const waitUntil = Date.now() + GUARD_WAIT_MS;
  while (!createLock(guard, me)) {
    if (guardAgeMs(guard) > GUARD_STALE_MS) unlinkQuietly(guard);
    else if (Date.now() > waitUntil) return false;
    else sleepSync(2);
  }
  try {
    // Gone (a starter created nothing yet: creation decides) or replaced meanwhile: leave it.
    // While the stale file stands no starter can create a lock, so removing it removes only it.
    if (!existsSync(path)) return false;
    const now = readHolder(path);
    if (now?.pid !== stale?.pid || now?.host !== stale?.host) return false;
    unlinkQuietly(path);
    return true;
  } finally {
    unlinkQuietly(guard);
  }
}

function guardAgeMs(guard: string): number {
  try {
    return Date.now() - statSync(guard).mtimeMs;
  } catch {
    return 0; // just removed: try again
  }
}

/** Blocks the thread briefly: lock acquisition is synchronous, and this wait is rare and short. */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
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
  if (holder?.pid === me.pid && holder.host === me.host) unlinkQuietly(path);
}
