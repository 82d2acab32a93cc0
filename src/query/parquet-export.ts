/**
 * `l1-query --format parquet --out FILE`: the selected snapshots into one Parquet file, streamed
 * page by page from Redis into row groups, so a million rows cost the memory of one row group.
 *
 * A regular file (or a new name) is written under a temporary name and renamed into place when
 * complete, so an interrupted export never leaves a truncated FILE.parquet. `-` or a pipe gets the
 * bytes directly; a terminal is refused (exit 2) before Redis is read.
 */
import { closeSync, constants, openSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isatty } from 'node:tty';
import { createTempFile } from '../archive/atomic-file.js';
import { fileSink, ParquetSnapshotWriter, streamSink } from '../archive/parquet-snapshot-writer.js';
import { InputError } from '../errors.js';
import type { ProductRef } from '../store/keys.js';
import type { RangeQuery, RedisStore } from '../store/redis-store.js';

export type ExportTarget = { kind: 'file'; path: string } | { kind: 'stream' };

/** Where `--out` points, checked before anything is read: exit 2 for a terminal or a directory. */
export function exportTarget(out: string, stdoutIsTerminal: boolean): ExportTarget {
  if (out === '-') {
    if (stdoutIsTerminal) {
      throw new InputError(
        '--out -: stdout is a terminal and Parquet is binary; give a file name, e.g. --out btc.parquet',
      );
    }
    return { kind: 'stream' };
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
  if (stats && !stats.isFile()) return { kind: 'stream' };
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

export interface ExportResult {
  count: number;
  products: number;
}

/**
 * Writes every snapshot of `refs` in `query` (product after product, each in the asked order; the
 * limit counts across products) to the target.
 */
export async function exportParquet(
  store: RedisStore,
  refs: readonly ProductRef[],
  query: RangeQuery,
  target: ExportTarget,
  stdout: NodeJS.WritableStream & import('node:stream').Writable,
): Promise<ExportResult> {
  const tmp = target.kind === 'file' ? await createTempFile(dirname(target.path), 'l1-export') : undefined;
  // Ctrl-C during an export: the temporary file goes, the target is untouched.
  const onSignal = () => {
    void tmp?.discard().finally(() => process.exit(130));
    if (!tmp) process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const writer = new ParquetSnapshotWriter(tmp ? fileSink(tmp.handle) : streamSink(stdout));
  try {
    let remaining = query.limit ?? Number.POSITIVE_INFINITY;
    let products = 0;
    for (const ref of refs) {
      if (remaining <= 0) break;
      const before = writer.count;
      for await (const page of store.rangeFields(ref, { ...query, limit: remaining }))
        await writer.addStored(page);
      remaining -= writer.count - before;
      if (writer.count > before) products += 1;
    }
    await writer.finish();
    if (tmp && target.kind === 'file') await tmp.commit(target.path);
    return { count: writer.count, products };
  } catch (err) {
    await writer.abort();
    await tmp?.discard();
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
