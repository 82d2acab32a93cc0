/**
 * Reading archive files back (hyparquet): the archiver checks every file it wrote before anything
 * leaves Redis, and looks into existing files when Redis still holds snapshots inside their time
 * range (a rerun after a crash, or a snapshot stored late).
 */
import {
  type AsyncBuffer,
  asyncBufferFromFile,
  type FileMetaData,
  parquetMetadataAsync,
  parquetReadObjects,
} from 'hyparquet';
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

/** An archive file opened for reading: its bytes and its footer, read and parsed once. */
export interface ParquetFile {
  file: AsyncBuffer;
  metadata: FileMetaData;
}

export async function openParquet(path: string): Promise<ParquetFile> {
  await loadZstd();
  const file = await asyncBufferFromFile(path);
  return { file, metadata: await parquetMetadataAsync(file, { parsers }) };
}

/** Rows [start, end) of a file, with the columns that identify a snapshot. */
export async function readIdentityRows(
  { file, metadata }: ParquetFile,
  start: number,
  end: number,
): Promise<ArchivedRow[]> {
  const rows = await parquetReadObjects({
    file,
    metadata,
    columns: ['time', 'sequence', 'bids', 'asks'],
    rowStart: start,
    rowEnd: end,
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
  const parquet = await openParquet(path);
  const out = new Set<string>();
  let start = 0;
  for (const group of parquet.metadata.row_groups) {
    const rows = Number(group.num_rows);
    const stats = group.columns[0]?.meta_data?.statistics;
    const min = Number(stats?.min_value ?? Number.NEGATIVE_INFINITY);
    const max = Number(stats?.max_value ?? Number.POSITIVE_INFINITY);
    // Row groups outside the range are skipped by their min/max statistics of `time`.
    if (max >= fromMicros && min <= toMicros) {
      for (const r of await readIdentityRows(parquet, start, start + rows)) {
        if (r.time >= fromMicros && r.time <= toMicros) out.add(identity(r));
      }
    }
    start += rows;
  }
  return out;
}
