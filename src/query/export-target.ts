/**
 * Where `l1-query --format parquet --out` writes, checked before Redis is opened: a terminal or a
 * directory is a usage error (exit 2). Kept apart from the export itself so that l1-query loads
 * the Parquet writer only when it exports.
 */
import { closeSync, constants, openSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isatty } from 'node:tty';
import { InputError } from '../errors.js';

/**
 * A regular file (or a new name) is written under a temporary name and renamed; a pipe or device
 * is written as a stream, and so is stdout (`--out -`, no path).
 */
export type ExportTarget = { kind: 'file'; path: string } | { kind: 'stream'; path: string | undefined };

/** Where `--out` points, checked before anything is read: exit 2 for a terminal or a directory. */
export function exportTarget(out: string, stdoutIsTerminal: boolean): ExportTarget {
  if (out === '-') {
    if (stdoutIsTerminal) {
      throw new InputError(
        '--out -: stdout is a terminal and Parquet is binary; give a file name, e.g. --out btc.parquet',
      );
    }
    return { kind: 'stream', path: undefined };
  }
  const path = resolve(out);
  let stats: ReturnType<typeof statSync> | undefined;
  try {
    stats = statSync(path);
  } catch {
    stats = undefined;
  }
  if (stats?.isDirectory())
    throw new InputError(`--out: '${out}' is a directory; give a file name, e.g. --out ${out}/btc.parquet`);
  if (stats?.isCharacterDevice() && isTerminal(path)) {
    throw new InputError(
      `--out: '${out}' is a terminal and Parquet is binary; give a file name, e.g. --out btc.parquet`,
    );
  }
  if (stats && !stats.isFile()) return { kind: 'stream', path };
  try {
    statSync(dirname(path));
  } catch {
    throw new InputError(`--out: the directory of '${out}' does not exist`);
  }
  return { kind: 'file', path };
}

function isTerminal(path: string): boolean {
  try {
    const fd = openSync(path, constants.O_RDONLY | constants.O_NOCTTY | constants.O_NONBLOCK);
    try {
      return isatty(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    return true; // a device we cannot even open for reading (e.g. /dev/tty without one): not a file
  }
}
