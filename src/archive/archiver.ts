/**
 * Moves snapshots older than a cutoff from Redis into the Parquet archive, and never loses one:
 *
 *   1. stream the product's snapshots older than the cutoff from Redis (oldest first), one UTC day
 *      (partition) at a time, into a temporary file, at most `maxFileRows` rows per file;
 *   2. finish the file, fsync it, rename it to part-<first>-<last>.parquet, fsync the directory;
 *   3. read it back: the row count and the first and last row must be what was written;
 *   4. only then remove exactly those snapshots (by key, not by time) from Redis, in bounded batches.
 *
 * A crash before 2 leaves a `.tmp` file (deleted by the next run) and everything in Redis; after 2
 * the data is in a complete file and (partly) still in Redis. A rerun recognises a snapshot that is
 * already in a file of its partition (same exchange time, sequence and levels: what the write
 * script treats as the same snapshot) and only removes it from Redis, so nothing is lost and
 * nothing is archived twice. A snapshot stored late inside an archived time range is not in the
 * file, so it is archived into a new file.
 */
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { EXIT_FAILURE, L1Error } from '../errors.js';
import { ARCHIVED_KEY, type ProductRef, productMember } from '../store/keys.js';
import type { RedisClient } from '../store/redis-client.js';
import type { RedisStore } from '../store/redis-store.js';
import { FIELD, READ_FIELDS, type StoredFields } from '../store/snapshot-hash.js';
import { REMOVE_BATCH, removeSnapshots } from '../store/snapshot-removal.js';
import { EpochMicrosReader } from '../timestamp.js';
import { listParts, type PartFile, partFileName, partitionDir, utcDate } from './archive-layout.js';
import { type ArchivedRecord, parseRecord } from './archived-record.js';
import { createTempFile, fileErrorReason, type TempFile, TMP_SUFFIX } from './atomic-file.js';
import { crashPoint } from './crash-point.js';
import { type ArchivedRow, identitiesIn, identity, openParquet, readIdentityRows } from './parquet-read.js';
import { fileSink, ParquetSnapshotWriter } from './parquet-snapshot-writer.js';

/** Rows per archive file: a UTC day of a busy product becomes several files of this size. */
export const DEFAULT_MAX_FILE_ROWS = 500_000;

const DAY_MICROS = 86_400_000_000;

/** A file that failed its read-back check, or a write the file system refused: exit 1, Redis untouched for that file. */
export class ArchiveWriteError extends L1Error {
  constructor(message: string) {
    super(message, EXIT_FAILURE);
  }
}

export interface ArchiveOptions {
  root: string;
  /** Snapshots whose index time is strictly older than this (epoch µs) are archived. */
  beforeMicros: number;
  maxFileRows?: number;
  /** Checked between snapshots: when aborted, the current file is finished and removed from Redis, then it stops. */
  signal?: AbortSignal;
}

export interface ProductArchiveResult {
  ref: ProductRef;
  /** Files written by this run. */
  files: string[];
  /** Snapshots written to those files. */
  archived: number;
  /** Snapshots found already in an archive file (an earlier run stopped before removing them). */
  alreadyArchived: number;
  /** Snapshots removed from Redis (archived + alreadyArchived that were still there). */
  removed: number;
}

interface OpenPart {
  dir: string;
  tmp: TempFile;
  writer: ParquetSnapshotWriter;
  keys: string[];
  /** Identities (parquet-read.ts) of the first and last row written. */
  first: string;
  last: string;
  minTime: number;
  maxTime: number;
}

export async function archiveProduct(
  store: RedisStore,
  ref: ProductRef,
  options: ArchiveOptions,
): Promise<ProductArchiveResult> {
  const maxFileRows = options.maxFileRows ?? DEFAULT_MAX_FILE_ROWS;
  const result: ProductArchiveResult = { ref, files: [], archived: 0, alreadyArchived: 0, removed: 0 };
  let part: OpenPart | undefined;
  /** The partition directory of the UTC day being read, and the day's end (epoch µs). */
  let dir = '';
  let dayEnd = Number.NEGATIVE_INFINITY;
  const times = new EpochMicrosReader();
  let existing: PartFile[] = [];
  const known = new Map<string, Set<string>>();
  let already: string[] = [];

  const removeAlready = async () => {
    if (already.length === 0) return;
    result.removed += await removeSnapshots(store.redis, store.keys, ref, already);
    already = [];
  };
  const close = async () => {
    if (!part) return;
    const done = part;
    part = undefined;
    const file = await commitPart(store, ref, done, options.root);
    result.files.push(file.path);
    result.archived += done.keys.length;
    result.removed += file.removed;
    existing.push(file);
  };

  try {
    // Read as stored text, like the export: the file keeps `bids`/`asks` exactly as Redis held them.
    const pages = store.rangeFields(ref, { toMicros: options.beforeMicros - 1, order: 'asc' });
    for await (const [page, j] of rowsOf(pages)) {
      const key = page.keys[j] as string;
      const row = archivedRow(page, j, times);
      const time = row.time;
      const id = identity(row);
      // Rows come oldest first: the day changes only when a time reaches the current day's end.
      if (time >= dayEnd) {
        await close();
        dayEnd = (Math.floor(time / DAY_MICROS) + 1) * DAY_MICROS;
        dir = partitionDir(options.root, ref.exchange, ref.productId, utcDate(time));
        await mkdir(dir, { recursive: true });
        await removeStaleTemps(dir);
        existing = await listParts(dir);
        known.clear();
      }
      if (await isArchived(time, id, existing, known)) {
        already.push(key);
        result.alreadyArchived += 1;
        if (already.length >= REMOVE_BATCH) await removeAlready();
        continue;
      }
      if (part && part.keys.length >= maxFileRows) await close();
      if (!part) {
        if (options.signal?.aborted) break;
        const tmp = await createTempFile(dir, 'part');
        const writer = new ParquetSnapshotWriter(fileSink(tmp.handle));
        part = { dir, tmp, writer, keys: [], first: id, last: id, minTime: time, maxTime: time };
      }
      await part.writer.add(page, j);
      part.keys.push(key);
      part.last = id;
      if (time < part.minTime) part.minTime = time;
      if (time > part.maxTime) part.maxTime = time;
    }
    await close();
    await removeAlready();
  } catch (err) {
    if (part) {
      await part.writer.abort();
      await part.tmp.discard();
    }
    // Disk full, permissions, a read-only mount: one line (the capture's log shows the last line
    // of a background pass), not a stack.
    const reason = fileErrorReason(err);
    if (reason === undefined) throw err;
    const path = (err as NodeJS.ErrnoException).path;
    throw new ArchiveWriteError(
      `writing the archive failed: ${reason}${path ? ` at ${path}` : ''}; every snapshot not yet in a complete, checked file is still in Redis (free space or fix permissions, then run again)`,
    );
  }
  return result;
}

/** Every snapshot of the pages, as (page, index in the page). */
async function* rowsOf(pages: AsyncIterable<StoredFields>): AsyncGenerator<[StoredFields, number]> {
  for await (const page of pages) for (let j = 0; j < page.keys.length; j++) yield [page, j];
}

/** Snapshot `j` of a page with the columns that identify it in a file (parquet-read.ts). */
function archivedRow(page: StoredFields, j: number, times: EpochMicrosReader): ArchivedRow {
  const v = page.values;
  const at = j * READ_FIELDS.length;
  return {
    time: times.read(v[at + FIELD.timestamp] as string),
    sequence: v[at + FIELD.sequence] as string,
    bids: v[at + FIELD.bids] as string,
    asks: v[at + FIELD.asks] as string,
  };
}

/**
 * Is the snapshot of this time and identity already in a complete file of its partition? Reads a
 * file only when its range covers the time.
 */
async function isArchived(
  time: number,
  id: string,
  existing: readonly PartFile[],
  known: Map<string, Set<string>>,
): Promise<boolean> {
  for (const p of existing) {
    if (time < p.first || time > p.last) continue;
    let ids = known.get(p.path);
    if (!ids) {
      ids = await identitiesIn(p.path, p.first, p.last);
      known.set(p.path, ids);
    }
    if (ids.has(id)) return true;
  }
  return false;
}

/** Steps 2-4 for one file; returns the file and how many snapshots left Redis. */
async function commitPart(
  store: RedisStore,
  ref: ProductRef,
  part: OpenPart,
  root: string,
): Promise<PartFile & { removed: number }> {
  await part.writer.finish();
  crashPoint('after-write');
  const taken = new Set(await readdir(part.dir));
  let n = 1;
  while (taken.has(partFileName(part.minTime, part.maxTime, n))) n += 1;
  const path = join(part.dir, partFileName(part.minTime, part.maxTime, n));
  await part.tmp.commit(path);
  crashPoint('after-rename');
  await verify(path, part);
  crashPoint('before-remove');
  const removed = await removeSnapshots(store.redis, store.keys, ref, part.keys, {
    afterBatch: () => crashPoint('mid-remove'),
  });
  await recordArchived(store.redis, ref, root, part.minTime, part.maxTime);
  return { path, first: part.minTime, last: part.maxTime, removed };
}

/** Reads the file back: row count, first and last row. A file that fails is set aside, Redis untouched. */
async function verify(path: string, part: OpenPart): Promise<void> {
  const expected = part.keys.length;
  let problem: string | undefined;
  try {
    const file = await openParquet(path);
    const rows = Number(file.metadata.num_rows);
    const [first] = await readIdentityRows(file, 0, 1);
    const [last] = await readIdentityRows(file, expected - 1, expected);
    if (rows !== expected) problem = `${rows} rows instead of ${expected}`;
    else if (!first || identity(first) !== part.first)
      problem = 'its first row is not the first snapshot written';
    else if (!last || identity(last) !== part.last) problem = 'its last row is not the last snapshot written';
  } catch (err) {
    problem = `it cannot be read back (${err instanceof Error ? err.message : String(err)})`;
  }
  if (problem === undefined) return;
  await rename(path, `${path}.rejected`).catch(() => {});
  throw new ArchiveWriteError(
    `${path} failed its read-back check: ${problem}; it was set aside as .rejected and nothing was removed from Redis`,
  );
}

/** Remembers in Redis where a product's archived range went, for l1-query. */
async function recordArchived(
  redis: RedisClient,
  ref: ProductRef,
  root: string,
  first: number,
  last: number,
) {
  const member = productMember(ref.exchange, ref.productId);
  const previous = parseRecord(await redis.hget(ARCHIVED_KEY, member));
  const record: ArchivedRecord =
    previous && previous.dir === root
      ? { dir: root, first: Math.min(previous.first, first), last: Math.max(previous.last, last) }
      : { dir: root, first, last };
  await redis.hset(ARCHIVED_KEY, member, JSON.stringify(record));
}

/** Leftovers of a run that died before its rename (the lock says no other archiver is writing). */
async function removeStaleTemps(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    if (name.startsWith('.') && name.endsWith(TMP_SUFFIX)) await rm(join(dir, name), { force: true });
  }
}
