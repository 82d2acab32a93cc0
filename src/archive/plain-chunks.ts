/**
 * PLAIN column chunks written straight from a packed row group: the nearly unique text columns
 * (sizes, sequence, levels) from one UTF-8 buffer per column, and the timestamps from their
 * Float64Array. hyparquet-writer's generic path wants one object per value (a Uint8Array or a
 * BigInt) and copies each value several times; for these columns that garbage cost more than the
 * encoding. The bytes are the ones hyparquet-writer writes for the same values (the same pages,
 * page headers, levels, statistics and offset index: test/archive/parquet-encoder.test.ts compares
 * whole files), built with its own page header and level encoders.
 */
import type { ColumnChunk, OffsetIndex, SchemaElement } from 'hyparquet';
import { ByteWriter, type Writer } from 'hyparquet-writer';
import type { writeColumn } from 'hyparquet-writer/src/column.js';
import { writePageHeader } from 'hyparquet-writer/src/datapage.js';
import { writeRleBitPackedHybrid } from 'hyparquet-writer/src/encoding.js';

/** What a column chunk leaves for the footer and the page indexes (as writeColumn returns it). */
export type WrittenChunk = ReturnType<typeof writeColumn>;

export interface PlainColumn {
  element: SchemaElement;
  /** Keep min/max statistics (and the encoding stats that come with them). */
  statistics: boolean;
  compress: (bytes: Uint8Array) => Uint8Array;
  /** hyparquet-writer's page size: a new page starts once this many value bytes are in one. */
  pageSize: number;
}

/**
 * A text column's values as UTF-8: value i is `bytes[start(i), ends[i])` where start(0) = 0 and
 * start(i) = ends[i - 1] + 1 (one separator byte between values); `isNull[i]` marks a null.
 */
export interface TextValues {
  rows: number;
  bytes: Uint8Array;
  ends: Int32Array;
  isNull: Uint8Array | undefined;
}

/** Writes a BYTE_ARRAY column (no statistics: these columns have none) as PLAIN pages. */
export function writeTextChunk(writer: Writer, column: PlainColumn, values: TextValues): WrittenChunk {
  const { bytes, ends, isNull } = values;
  const startOf = (i: number) => (i === 0 ? 0 : (ends[i - 1] as number) + 1);
  const size = (i: number) => (isNull?.[i] ? 0 : (ends[i] as number) - startOf(i));
  return writeChunk(writer, column, values.rows, size, isNull, undefined, (page, from, to) => {
    let at = 0;
    for (let i = from; i < to; i++) {
      if (isNull?.[i]) continue;
      const start = startOf(i);
      const end = ends[i] as number;
      page.view.setUint32(at, end - start, true);
      at += 4;
      if (end - start > 64) page.bytes.set(bytes.subarray(start, end), at);
      else for (let k = start; k < end; k++) page.bytes[at + k - start] = bytes[k] as number;
      at += end - start;
    }
  });
}

/**
 * Writes an INT64 timestamp column (epoch µs, NaN = null) as PLAIN pages, with min/max statistics
 * when asked, as hyparquet-writer computes them from the same numbers.
 */
export function writeTimestampChunk(writer: Writer, column: PlainColumn, micros: Float64Array): WrittenChunk {
  const rows = micros.length;
  let isNull: Uint8Array | undefined;
  for (let i = 0; i < rows; i++) {
    if (!Number.isNaN(micros[i])) continue;
    isNull ??= new Uint8Array(rows);
    isNull[i] = 1;
  }
  let stats: MinMax | undefined;
  if (column.statistics) {
    stats = { min: undefined, max: undefined, nulls: 0 };
    for (let i = 0; i < rows; i++) {
      const v = micros[i] as number;
      if (Number.isNaN(v)) stats.nulls += 1;
      else {
        if (stats.min === undefined || v < stats.min) stats.min = v;
        if (stats.max === undefined || v > stats.max) stats.max = v;
      }
    }
  }
  return writeChunk(
    writer,
    column,
    rows,
    (i) => (isNull?.[i] ? 0 : 8),
    isNull,
    stats,
    (page, from, to) => {
      let at = 0;
      for (let i = from; i < to; i++) {
        if (isNull?.[i]) continue;
        setInt64(page.view, at, micros[i] as number);
        at += 8;
      }
    },
  );
}

interface MinMax {
  min: number | undefined;
  max: number | undefined;
  nulls: number;
}

/** The chunk: pages cut as hyparquet-writer cuts them, each a DATA_PAGE_V2, then the chunk's metadata. */
function writeChunk(
  writer: Writer,
  column: PlainColumn,
  rows: number,
  size: (i: number) => number,
  isNull: Uint8Array | undefined,
  stats: MinMax | undefined,
  writeValues: (page: PageBuffer, from: number, to: number) => void,
): WrittenChunk {
  const { element } = column;
  const optional = element.repetition_type === 'OPTIONAL';
  const offsetStart = writer.offset;
  const pages = pageBoundaries(rows, size, column.pageSize);
  const offsetIndex: OffsetIndex | undefined = pages.length > 1 ? { page_locations: [] } : undefined;
  let uncompressed = 0;
  for (const [from, to] of pages) {
    const pageOffset = writer.offset;
    const levels = new ByteWriter();
    let nulls = 0;
    let levelBytes = 0;
    if (optional) {
      const defs = new Array<number>(to - from);
      for (let i = from; i < to; i++) {
        const isSet = isNull?.[i] ? 0 : 1;
        defs[i - from] = isSet;
        nulls += 1 - isSet;
      }
      levelBytes = writeRleBitPackedHybrid(levels, defs, 1);
    }
    // The page's exact size first: values are written into it in place, with no growing buffer.
    const prefix = element.type === 'BYTE_ARRAY' ? 4 : 0;
    let valueBytes = 0;
    for (let i = from; i < to; i++) valueBytes += isNull?.[i] ? 0 : size(i) + prefix;
    const bytes = new Uint8Array(valueBytes);
    writeValues({ bytes, view: new DataView(bytes.buffer) }, from, to);
    const compressed = column.compress(bytes);
    const headerStart = writer.offset;
    writePageHeader(writer, {
      type: 'DATA_PAGE_V2',
      uncompressed_page_size: levels.offset + valueBytes,
      compressed_page_size: levels.offset + compressed.length,
      data_page_header_v2: {
        num_values: to - from,
        num_nulls: nulls,
        num_rows: to - from,
        encoding: 'PLAIN',
        definition_levels_byte_length: levelBytes,
        repetition_levels_byte_length: 0,
        is_compressed: true,
      },
    });
    const headerSize = writer.offset - headerStart;
    writer.appendBytes(levels.getBytes());
    writer.appendBytes(compressed);
    uncompressed += headerSize + levels.offset + valueBytes;
    offsetIndex?.page_locations.push({
      offset: BigInt(pageOffset),
      compressed_page_size: writer.offset - pageOffset,
      first_row_index: BigInt(from),
    });
  }
  const type = element.type;
  if (!type) throw new Error(`column ${element.name} has no type`);
  const chunk: ColumnChunk = {
    meta_data: {
      type,
      encodings: ['PLAIN'],
      path_in_schema: [element.name],
      codec: 'ZSTD',
      num_values: BigInt(rows),
      total_compressed_size: BigInt(writer.offset - offsetStart),
      total_uncompressed_size: BigInt(uncompressed),
      data_page_offset: BigInt(offsetStart),
      ...(stats
        ? {
            statistics: { min_value: stats.min, max_value: stats.max, null_count: BigInt(stats.nulls) },
            encoding_stats: [{ page_type: 'DATA_PAGE_V2', encoding: 'PLAIN', count: pages.length }],
          }
        : {}),
    },
    file_offset: BigInt(offsetStart),
  };
  return offsetIndex ? { chunk, offsetIndex } : { chunk };
}

/**
 * Pages as hyparquet-writer cuts them (getPageBoundaries): a page ends before the value that takes
 * its value bytes to `pageSize` or more, unless that value is the page's first.
 */
function pageBoundaries(rows: number, size: (i: number) => number, pageSize: number): [number, number][] {
  const pages: [number, number][] = [];
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < rows; i++) {
    const s = size(i);
    bytes += s;
    if (bytes >= pageSize && i > start) {
      pages.push([start, i]);
      start = i;
      bytes = s;
    }
  }
  if (start < rows) pages.push([start, rows]);
  return pages;
}

/** A page's value bytes, sized exactly before they are written. */
interface PageBuffer {
  bytes: Uint8Array;
  view: DataView;
}

const TWO_32 = 2 ** 32;

/** A whole number of µs as INT64 little-endian, without a BigInt per value. */
function setInt64(view: DataView, at: number, v: number): void {
  if (v < 0 || !Number.isSafeInteger(v)) {
    view.setBigInt64(at, BigInt(v), true);
    return;
  }
  const lo = v % TWO_32;
  view.setUint32(at, lo, true);
  view.setUint32(at + 4, (v - lo) / TWO_32, true);
}
