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
import type { SchemaElement } from 'hyparquet-writer';
import {
  NUMBER_COLUMNS,
  type NumberColumn,
  type PackedColumns,
  type TextColumn,
  textValues,
  unpackBytes,
  unpackNumbers,
} from './packed-columns.js';
import type { TextValues } from './plain-chunks.js';

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

/** How one column of a row group is written. */
export type ColumnPlan =
  /** PLAIN text straight from the packed UTF-8 (plain-chunks.ts). */
  | { kind: 'text'; name: string; statistics: false; values: TextValues }
  /** PLAIN INT64 timestamps straight from the packed numbers (plain-chunks.ts). */
  | { kind: 'timestamp'; name: string; statistics: boolean; micros: Float64Array }
  /** hyparquet-writer's own column writer: the dictionary candidates (venue, product, prices, floats). */
  | {
      kind: 'values';
      name: string;
      statistics: boolean;
      values: Float64Array | (number | Uint8Array | null)[];
    };

/** The row group's columns, in schema order, from what the packer collected. */
export function columnPlans(packed: PackedColumns): ColumnPlan[] {
  return COLUMN_NAMES.map((name): ColumnPlan => {
    const statistics = !NO_STATS_COLUMNS.has(name);
    if (name === 'time' || name === 'received_at')
      return { kind: 'timestamp', name, statistics, micros: packed.numbers[name] };
    if (PLAIN_COLUMNS.has(name))
      return { kind: 'text', name, statistics: false, values: textValues(packed, name as TextColumn) };
    if ((NUMBER_COLUMNS as readonly string[]).includes(name))
      return { kind: 'values', name, statistics, values: unpackNumbers(packed, name as NumberColumn) };
    // Views into one UTF-8 buffer: no string to encode per value (row-group-writer.ts copies the
    // min/max out, so the statistics do not keep the buffer alive until the file ends).
    return { kind: 'values', name, statistics, values: unpackBytes(packed, name as TextColumn) };
  });
}
