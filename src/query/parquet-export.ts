/**
 * `l1-query --format parquet --out FILE`: the selected snapshots into one Parquet file, streamed
 * page by page from Redis into row groups, so a million rows cost the memory of one row group.
 *
 * A regular file (or a new name) is written under a temporary name and renamed into place when
 * complete, so an interrupted export never leaves a truncated FILE.parquet. `-` or a pipe gets the
 * bytes directly (export-target.ts refuses a terminal before Redis is read).
 */
import { createWriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { createTempFile, fileErrorReason, type TempFile } from '../archive/atomic-file.js';
import { fileSink, ParquetSnapshotWriter, streamSink } from '../archive/parquet-snapshot-writer.js';
import { EXIT_FAILURE, InputError, L1Error } from '../errors.js';
import { accessHint } from '../fs-errors.js';
import type { ProductRef } from '../store/keys.js';
import type { RangeQuery, RedisStore } from '../store/redis-store.js';
import type { ExportTarget } from './export-target.js';

export interface ExportResult {
  /** Snapshots written. */
  count: number;
  /** Of them, per product, for the products read (the limit may stop before the last). */
  counts: number[];
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
  const tmp = target.kind === 'file' ? await openTemp(target.path) : undefined;
  // Ctrl-C during an export: the temporary file goes, the target is untouched.
  const onSignal = () => {
    void tmp?.discard().finally(() => process.exit(130));
    if (!tmp) process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // A pipe or device named by --out (a FIFO, /dev/null) is opened and written like stdout.
  const device =
    target.kind === 'stream' && target.path !== undefined ? createWriteStream(target.path) : undefined;
  device?.on('error', () => {}); // reported by the write or end that meets it
  const writer = new ParquetSnapshotWriter(tmp ? fileSink(tmp.handle) : streamSink(device ?? stdout));
  try {
    let remaining = query.limit ?? Number.POSITIVE_INFINITY;
    const counts: number[] = [];
    for (const ref of refs) {
      if (remaining <= 0) break;
      const before = writer.count;
      for await (const page of store.rangeFields(ref, { ...query, limit: remaining }))
        await writer.addPage(page);
      counts.push(writer.count - before);
      remaining -= writer.count - before;
    }
    await writer.finish();
    if (tmp && target.kind === 'file') await tmp.commit(target.path);
    // end() hands a write error that came before it to its callback (no 'error' event follows).
    if (device)
      await new Promise<void>((resolve, reject) =>
        device.end((err?: Error | null) => (err ? reject(err) : resolve())),
      );
    return { count: writer.count, counts };
  } catch (err) {
    await writer.abort();
    await tmp?.discard();
    device?.destroy();
    const reason = fileErrorReason(err);
    if (reason === undefined || target.path === undefined) throw err;
    throw new L1Error(
      `--out: writing ${target.path} failed: ${reason}${tmp ? '; the file was not written' : ''}`,
      EXIT_FAILURE,
    );
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** The temporary file beside `path`; a directory that takes no new file is a bad --out (exit 2). */
async function openTemp(path: string): Promise<TempFile> {
  const dir = dirname(path);
  try {
    return await createTempFile(dir, 'l1-export');
  } catch (err) {
    const reason = fileErrorReason(err);
    if (reason === undefined) throw err;
    throw new InputError(`--out: cannot create a file in ${dir}: ${reason}${accessHint(err)}`);
  }
}
