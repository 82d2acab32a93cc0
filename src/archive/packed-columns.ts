/**
 * A row group's columns packed for the trip to the encoder thread: every text column as ONE string
 * (values joined by a separator) and every number column as one Float64Array. Copying one long
 * string or one buffer between threads costs a memcpy; cloning 50,000 small strings per column
 * costs more than encoding them. The separators cannot occur in the values: decimal text, JSON
 * (which escapes every control character), venue symbols.
 */
import type { StoredSnapshot } from '../store/snapshot-hash.js';
import { toEpochMicros } from '../timestamp.js';

const SEP = '\u001e';
const NULL = '\u0000';

export const TEXT_COLUMNS = [
  'exchange',
  'product_id',
  'bid',
  'bid_size',
  'ask',
  'ask_size',
  'sequence',
  'bids',
  'asks',
  'native_symbol',
  'timestamp_source',
] as const;
export type TextColumn = (typeof TEXT_COLUMNS)[number];

export const NUMBER_COLUMNS = [
  'time',
  'received_at',
  'bid_f64',
  'bid_size_f64',
  'ask_f64',
  'ask_size_f64',
] as const;
export type NumberColumn = (typeof NUMBER_COLUMNS)[number];

export interface PackedColumns {
  rows: number;
  /**
   * time and received_at in epoch µs (exact in a double), the float64 convenience columns as
   * parsed from the exchange's text; NaN = null (no receipt time, an empty side).
   */
  numbers: Record<NumberColumn, Float64Array>;
  text: Record<TextColumn, string>;
}

/** Collects snapshots column by column; `pack()` hands over what was collected and starts afresh. */
export class ColumnPacker {
  private numbers = emptyNumbers();
  private text = emptyText();

  get rows(): number {
    return this.numbers.time.length;
  }

  add(s: StoredSnapshot): void {
    const b = s.bids[0];
    const a = s.asks[0];
    const t = this.text;
    const n = this.numbers;
    n.time.push(toEpochMicros(s.timestamp));
    n.received_at.push(s.received_at ? toEpochMicros(s.received_at) : Number.NaN);
    n.bid_f64.push(b ? Number(b[0]) : Number.NaN);
    n.bid_size_f64.push(b ? Number(b[1]) : Number.NaN);
    n.ask_f64.push(a ? Number(a[0]) : Number.NaN);
    n.ask_size_f64.push(a ? Number(a[1]) : Number.NaN);
    t.exchange.push(s.exchange);
    t.product_id.push(s.product_id);
    t.bid.push(b ? b[0] : NULL);
    t.bid_size.push(b ? b[1] : NULL);
    t.ask.push(a ? a[0] : NULL);
    t.ask_size.push(a ? a[1] : NULL);
    t.sequence.push(s.sequence);
    // JSON text exactly as the store writes it (JSON.stringify of the parsed levels round-trips).
    t.bids.push(JSON.stringify(s.bids));
    t.asks.push(JSON.stringify(s.asks));
    t.native_symbol.push(s.native_symbol ?? NULL);
    t.timestamp_source.push(s.timestamp_source ?? NULL);
  }

  pack(): PackedColumns {
    const text = {} as Record<TextColumn, string>;
    for (const c of TEXT_COLUMNS) text[c] = this.text[c].join(SEP);
    const numbers = {} as Record<NumberColumn, Float64Array>;
    for (const c of NUMBER_COLUMNS) numbers[c] = Float64Array.from(this.numbers[c]);
    const packed = { rows: this.rows, numbers, text };
    this.numbers = emptyNumbers();
    this.text = emptyText();
    return packed;
  }
}

function emptyNumbers(): Record<NumberColumn, number[]> {
  const n = {} as Record<NumberColumn, number[]>;
  for (const c of NUMBER_COLUMNS) n[c] = [];
  return n;
}

/** The buffers to transfer (not copy) with a packed row group. */
export function transferList(packed: PackedColumns): ArrayBuffer[] {
  return NUMBER_COLUMNS.map((c) => packed.numbers[c].buffer as ArrayBuffer);
}

function emptyText(): Record<TextColumn, string[]> {
  const t = {} as Record<TextColumn, string[]>;
  for (const c of TEXT_COLUMNS) t[c] = [];
  return t;
}

const encoder = new TextEncoder();
const SEP_BYTE = SEP.charCodeAt(0);
const NULL_BYTE = NULL.charCodeAt(0);

/**
 * The values of a packed text column as UTF-8 bytes, null where the snapshot had none: one
 * TextEncoder call for the whole column, then views into it (no copy, no string per value).
 */
export function unpackBytes(packed: PackedColumns, column: TextColumn): (Uint8Array | null)[] {
  const out = new Array<Uint8Array | null>(packed.rows);
  if (packed.rows === 0) return out;
  const all = encoder.encode(packed.text[column]);
  let start = 0;
  let k = 0;
  for (let i = 0; i <= all.length; i++) {
    if (i < all.length && all[i] !== SEP_BYTE) continue;
    out[k++] = i - start === 1 && all[start] === NULL_BYTE ? null : all.subarray(start, i);
    start = i + 1;
  }
  return out;
}

/** The values of a packed text column as strings, null where the snapshot had none. */
export function unpackText(packed: PackedColumns, column: TextColumn): (string | null)[] {
  if (packed.rows === 0) return [];
  return packed.text[column].split(SEP).map((v) => (v === NULL ? null : v));
}

/** A number column with NaN read as null. */
export function unpackNumbers(packed: PackedColumns, column: NumberColumn): (number | null)[] {
  return Array.from(packed.numbers[column], (v) => (Number.isNaN(v) ? null : v));
}
