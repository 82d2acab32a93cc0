/**
 * The Parquet layout of a snapshot: one schema for exports and archive files, and the columns of a
 * row group built from a batch of snapshots.
 *
 *   time                 exchange time, TIMESTAMP(MICROS, UTC)
 *   exchange, product_id dictionary-encoded strings
 *   bid, bid_size, ask, ask_size   the exchange's exact decimal text (null for an empty side)
 *   bid_f64 … ask_size_f64         the same as float64, for convenience only (never the source of truth)
 *   sequence             exact as stored ('' where the venue gives none)
 *   received_at          local receipt time, TIMESTAMP(MICROS, UTC)
 *   bids, asks           the full levels as stored (JSON text)
 *   native_symbol, timestamp_source   as stored; null where the hash has none
 * Nothing stored in Redis is left out, so an archived snapshot can be restored field for field.
 */
import type { ColumnSource, SchemaElement } from 'hyparquet-writer';
import {
  NUMBER_COLUMNS,
  type PackedColumns,
  TEXT_COLUMNS,
  unpackBytes,
  unpackNumbers,
  unpackText,
} from './packed-columns.js';

const stringColumn = (name: string, optional: boolean): SchemaElement => ({
  name,
  type: 'BYTE_ARRAY',
  converted_type: 'UTF8',
  logical_type: { type: 'STRING' },
  repetition_type: optional ? 'OPTIONAL' : 'REQUIRED',
});
const doubleColumn = (name: string): SchemaElement => ({ name, type: 'DOUBLE', repetition_type: 'OPTIONAL' });
const timestampColumn = (name: string, optional: boolean): SchemaElement => ({
  name,
  type: 'INT64',
  converted_type: 'TIMESTAMP_MICROS',
  logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' },
  repetition_type: optional ? 'OPTIONAL' : 'REQUIRED',
});

const COLUMNS: readonly SchemaElement[] = [
  timestampColumn('time', false),
  stringColumn('exchange', false),
  stringColumn('product_id', false),
  stringColumn('bid', true),
  stringColumn('bid_size', true),
  stringColumn('ask', true),
  stringColumn('ask_size', true),
  doubleColumn('bid_f64'),
  doubleColumn('bid_size_f64'),
  doubleColumn('ask_f64'),
  doubleColumn('ask_size_f64'),
  stringColumn('sequence', false),
  timestampColumn('received_at', true),
  stringColumn('bids', false),
  stringColumn('asks', false),
  stringColumn('native_symbol', true),
  stringColumn('timestamp_source', true),
];

export const COLUMN_NAMES: readonly string[] = COLUMNS.map((c) => c.name);

export const SNAPSHOT_SCHEMA: SchemaElement[] = [
  { name: 'root', num_children: COLUMNS.length },
  ...COLUMNS.map((c) => ({ ...c })),
];

/**
 * Columns whose values are nearly all distinct: dictionary encoding would be tried and thrown away
 * on every row group, so they go PLAIN (zstd still compresses them).
 */
const PLAIN_COLUMNS = new Set(['time', 'received_at', 'bids', 'asks', 'sequence', 'bid_size', 'ask_size']);
/**
 * Text columns nobody filters on by range: min/max statistics cost encoding time and say nothing
 * (time, venue, product and the prices keep theirs, for row-group pruning).
 */
const NO_STATS_COLUMNS = new Set(['bids', 'asks', 'sequence', 'bid_size', 'ask_size', 'native_symbol']);

/** The row group's columns, in schema order, from what the packer collected. */
export function snapshotColumns(packed: PackedColumns): ColumnSource[] {
  const data: Record<string, ColumnSource['data']> = {};
  // Views into one buffer are cheapest, but a column's min/max statistics would keep that buffer
  // alive until the file ends: columns with statistics get their own strings.
  for (const c of TEXT_COLUMNS)
    data[c] = NO_STATS_COLUMNS.has(c) ? unpackBytes(packed, c) : unpackText(packed, c);
  for (const c of NUMBER_COLUMNS) data[c] = c === 'time' ? packed.numbers.time : unpackNumbers(packed, c);
  return COLUMN_NAMES.map((name) => ({
    name,
    data: data[name] as ColumnSource['data'],
    ...(PLAIN_COLUMNS.has(name) ? { encoding: 'PLAIN' as const } : {}),
    ...(NO_STATS_COLUMNS.has(name) ? { statistics: false } : {}),
  }));
}
