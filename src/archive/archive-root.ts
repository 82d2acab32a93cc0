/**
 * The archive root as l1-archive (--dir) and l1-fetch (--archive-dir) take it, checked before any
 * work: created if missing, and refused with one line naming the flag when it is not a directory,
 * cannot be created, or takes no new file. The last is tried with a real file: access(W_OK)
 * answers yes to root even where no file can be made (/proc, some network mounts).
 */
import { closeSync, openSync, statSync, unlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { accessHint, code, describeFsError } from '../fs-errors.js';
import { makeDirs } from '../make-dirs.js';

/** Returns the absolute root; throws UsageError (exit 2) naming `flag`. */
export function prepareArchiveRoot(dir: string, flag: string): string {
  const root = resolve(dir);
  let exists = true;
  try {
    if (!statSync(root).isDirectory()) throw new UsageError(`${flag}: '${dir}' is not a directory`);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    exists = false;
  }
  if (!exists) {
    try {
      makeDirs(root);
    } catch (err) {
      const why = code(err) === 'ENOTDIR' ? 'a file is in the way (ENOTDIR)' : describeFsError(err);
      throw new UsageError(`${flag}: cannot create ${root}: ${why}${accessHint(err)}`);
    }
  }
  const probe = join(root, `.l1-write-probe-${process.pid}`);
  try {
    closeSync(openSync(probe, 'w'));
    unlinkSync(probe);
  } catch (err) {
    throw new UsageError(`${flag}: cannot write in ${root}: ${describeFsError(err)}${accessHint(err)}`);
  }
  return root;
}
