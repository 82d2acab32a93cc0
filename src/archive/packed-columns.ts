/**
 * A row group's columns packed for the trip to the encoder thread: every text column as ONE string
 * (values joined by a separator) and every number column as one Float64Array. Copying one long
 * string or one buffer between threads costs a memcpy; cloning 50,000 small strings per column
 * costs more than encoding them. The separators cannot occur in the values: decimal text, JSON
 * (which escapes every control character), venue symbols.
 */
import { FIELD, READ_FIELDS, type StoredFields } from '../store/snapshot-hash.js';
import { EpochMicrosReader } from '../timestamp.js';
import { bestLevel } from './best-level.js';
import type { TextValues } from './plain-chunks.js';

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

/**
 * Rows whose text is joined at once: the strings of a few pages die young, instead of every string
 * of a row group living until `pack()` and being promoted to the old generation first.
 */
const JOIN_ROWS = 1000;

/** Collects snapshots column by column; `pack()` hands over what was collected and starts afresh. */
export class ColumnPacker {
  private numbers = emptyNumbers();
  /** The rows since the last join, and the joined runs before them. */
  private text = emptyText();
  private joined = emptyText();
  private pending = 0;
  private readonly times = new EpochMicrosReader();
  private readonly receivedTimes = new EpochMicrosReader();

  get rows(): number {
    return this.numbers.time.length;
  }

  /** Adds snapshot `j` of a page read as stored text: `bids`/`asks` go in as stored, unparsed. */
  add(page: StoredFields, j: number): void {
    const v = page.values;
    const at = j * READ_FIELDS.length;
    const bids = v[at + FIELD.bids] as string;
    const asks = v[at + FIELD.asks] as string;
    const b = bestLevel(bids);
    const a = bestLevel(asks);
    const t = this.text;
    const n = this.numbers;
    const receivedAt = v[at + FIELD.received_at] as string;
    n.time.push(this.times.read(v[at + FIELD.timestamp] as string));
    n.received_at.push(receivedAt ? this.receivedTimes.read(receivedAt) : Number.NaN);
    n.bid_f64.push(b ? Number(b[0]) : Number.NaN);
    n.bid_size_f64.push(b ? Number(b[1]) : Number.NaN);
    n.ask_f64.push(a ? Number(a[0]) : Number.NaN);
    n.ask_size_f64.push(a ? Number(a[1]) : Number.NaN);
    t.bid.push(b ? b[0] : NULL);
    t.bid_size.push(b ? b[1] : NULL);
    t.ask.push(a ? a[0] : NULL);
    t.ask_size.push(a ? a[1] : NULL);
    t.bids.push(bids);
    t.asks.push(asks);
    t.exchange.push(v[at + FIELD.exchange] as string);
    t.product_id.push(v[at + FIELD.product_id] as string);
    t.sequence.push(v[at + FIELD.sequence] as string);
    t.native_symbol.push(v[at + FIELD.native_symbol] ?? NULL);
    t.timestamp_source.push(v[at + FIELD.timestamp_source] ?? NULL);
    this.pending += 1;
    if (this.pending >= JOIN_ROWS) this.join();
  }

  private join(): void {
    if (this.pending === 0) return;
    for (const c of TEXT_COLUMNS) this.joined[c].push(this.text[c].join(SEP));
    this.text = emptyText();
    this.pending = 0;
  }

  pack(): PackedColumns {
    this.join();
    const text = {} as Record<TextColumn, string>;
    for (const c of TEXT_COLUMNS) text[c] = this.joined[c].join(SEP);
    const numbers = {} as Record<NumberColumn, Float64Array>;
    for (const c of NUMBER_COLUMNS) numbers[c] = Float64Array.from(this.numbers[c]);
    const packed = { rows: this.rows, numbers, text };
    this.numbers = emptyNumbers();
    this.joined = emptyText();
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
 * The values of a packed text column as one UTF-8 buffer with the end of each value (one
 * TextEncoder call, one scan, no object per value), for the PLAIN column writer.
 */
export function textValues(packed: PackedColumns, column: TextColumn): TextValues {
  const rows = packed.rows;
  const bytes = encoder.encode(packed.text[column]);
  const ends = new Int32Array(rows);
  let isNull: Uint8Array | undefined;
  let start = 0;
  let k = 0;
  for (let i = 0; i <= bytes.length && k < rows; i++) {
    if (i < bytes.length && bytes[i] !== SEP_BYTE) continue;
    if (i - start === 1 && bytes[start] === NULL_BYTE) {
      isNull ??= new Uint8Array(rows);
      isNull[k] = 1;
    }
    ends[k++] = i;
    start = i + 1;
  }
  return { rows, bytes, ends, isNull };
}

/**
 * The values of a packed text column as views into its UTF-8 bytes, null where the snapshot had
 * none. A value equal to the one before it gets the same view: venue, product and often the best
 * price repeat from row to row, and one object per run instead of one per row is less garbage
 * (the dictionary encoder finds a repeated object at once).
 */
export function unpackBytes(packed: PackedColumns, column: TextColumn): (Uint8Array | null)[] {
  const { rows, bytes, ends, isNull } = textValues(packed, column);
  const out = new Array<Uint8Array | null>(rows);
  let previous: Uint8Array | null = null;
  for (let i = 0; i < rows; i++) {
    if (isNull?.[i]) {
      out[i] = previous = null;
      continue;
    }
    const start = i === 0 ? 0 : (ends[i - 1] as number) + 1;
    const end = ends[i] as number;
    if (previous === null || !sameBytes(previous, bytes, start, end)) previous = bytes.subarray(start, end);
    out[i] = previous;
  }
  return out;
}

function sameBytes(a: Uint8Array, bytes: Uint8Array, start: number, end: number): boolean {
  if (a.length !== end - start) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== bytes[start + k]) return false;
  return true;
}

/**
 * A number column for the column writer: its Float64Array as it came when it has no NaN (no
 * array of boxed numbers to build), else an array with null for NaN.
 */
export function unpackNumbers(packed: PackedColumns, column: NumberColumn): Float64Array | (number | null)[] {
  const values = packed.numbers[column];
  if (!values.some(Number.isNaN)) return values;
  return Array.from(values, (v) => (Number.isNaN(v) ? null : v));
}
