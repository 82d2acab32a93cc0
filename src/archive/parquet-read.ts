/**
 * Reading archive files back (hyparquet): the archiver checks every file it wrote before anything
 * leaves Redis, and looks into existing files when Redis still holds snapshots inside their time
 * range (a rerun after a crash, or a snapshot stored late).
 */
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { loadZstd, zstdDecompress } from './zstd.js';

/** Times stay exact epoch µs (the default would round them to a millisecond Date). */
const parsers = { timestampFromMicroseconds: (micros: bigint) => Number(micros) };
const compressors = { ZSTD: zstdDecompress };

export interface ArchivedRow {
  time: number;
  sequence: string;
  bids: string;
  asks: string;
}

export async function rowCount(path: string): Promise<number> {
  const file = await asyncBufferFromFile(path);
  const meta = await parquetMetadataAsync(file);
  return Number(meta.num_rows);
}

/** Rows [start, end) of a file, with the columns that identify a snapshot. */
export async function readIdentityRows(path: string, start?: number, end?: number): Promise<ArchivedRow[]> {
  await loadZstd();
  const file = await asyncBufferFromFile(path);
  const rows = await parquetReadObjects({
    file,
    columns: ['time', 'sequence', 'bids', 'asks'],
    ...(start === undefined ? {} : { rowStart: start }),
    ...(end === undefined ? {} : { rowEnd: end }),
    parsers,
    compressors,
  });
  return rows.map((r) => ({
    time: r.time as number,
    sequence: r.sequence as string,
    bids: r.bids as string,
    asks: r.asks as string,
  }));
}

/**
 * A snapshot's identity as the write script sees it (a retried write is the same exchange time,
 * sequence and levels): a snapshot whose identity is in an archive file is already archived.
 */
export function identity(r: ArchivedRow): string {
  return `${r.time}|${r.sequence}|${r.bids}|${r.asks}`;
}

/** The identities of every row of a file whose time lies in [from, to]. */
export async function identitiesIn(path: string, fromMicros: number, toMicros: number): Promise<Set<string>> {
  const file = await asyncBufferFromFile(path);
  const meta = await parquetMetadataAsync(file, { parsers });
  const out = new Set<string>();
  let start = 0;
  for (const group of meta.row_groups) {
    const rows = Number(group.num_rows);
    const stats = group.columns[0]?.meta_data?.statistics;
    const min = Number(stats?.min_value ?? Number.NEGATIVE_INFINITY);
    const max = Number(stats?.max_value ?? Number.POSITIVE_INFINITY);
    // Row groups outside the range are skipped by their min/max statistics of `time`.
    if (max >= fromMicros && min <= toMicros) {
      for (const r of await readIdentityRows(path, start, start + rows)) {
        if (r.time >= fromMicros && r.time <= toMicros) out.add(identity(r));
      }
    }
    start += rows;
  }
  return out;
}
