/**
 * The spool directory and its files, as the spool needs them: created and checked at start (every
 * problem an InputError naming the path), whole synchronous writes, directory sync.
 */
import { closeSync, existsSync, fdatasyncSync, openSync, statfsSync, statSync, writeSync } from 'node:fs';
import { formatBytes } from '../byte-size.js';
import { InputError } from '../errors.js';
import { accessHint, code, describeFsError } from '../fs-errors.js';
import { makeDirs } from '../make-dirs.js';

/** Creates the directory if needed; refuses a path that is not one. */
export function prepareDir(dir: string): void {
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw new InputError(`--spool-dir ${dir}: not a directory`);
    return;
  }
  try {
    makeDirs(dir);
  } catch (err) {
    const why =
      code(err) === 'ENOTDIR' || code(err) === 'EEXIST' ? 'a file is in the way' : describeFsError(err);
    throw new InputError(`--spool-dir ${dir}: cannot create the directory (${why})${accessHint(err)}`);
  }
}

/** Refuses a file system without room for two segments; warns when the bound does not fit. */
export function checkFreeSpace(
  dir: string,
  segmentBytes: number,
  maxBytes: number,
  log: { warn(msg: string, fields?: Record<string, unknown>): void },
): void {
  let free: number;
  try {
    const s = statfsSync(dir);
    free = s.bavail * s.bsize;
  } catch {
    return; // not every platform can tell; the first write will
  }
  if (free < 2 * segmentBytes)
    throw new InputError(
      `--spool-dir ${dir}: only ${formatBytes(free)} free on its file system; the spool needs at least ${formatBytes(2 * segmentBytes)} (two segments of --max-spool ${formatBytes(maxBytes)}): free some space or lower --max-spool`,
    );
  if (free < maxBytes)
    log.warn(
      `spool: only ${formatBytes(free)} free on the file system of ${dir}, less than --max-spool ${formatBytes(maxBytes)}: a long outage can fill the disk before the bound drops anything`,
      { event: 'spool_low_space', free_bytes: free },
    );
}

export function writeAll(fd: number, bytes: Uint8Array, position: number): void {
  for (let done = 0; done < bytes.length; ) {
    done += writeSync(fd, bytes, done, bytes.length - done, position + done);
  }
}

/** So a new segment's name survives a power cut (POSIX; a no-op where directories cannot be synced). */
export function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fdatasyncSync(fd);
  } catch {
    // Windows cannot open a directory; its file system orders this itself.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
