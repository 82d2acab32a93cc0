/**
 * The snapshot hash format in one place: how a snapshot's fields go into the write script's
 * arguments, which fields reads ask for, and how they come back as a StoredSnapshot.
 */
import { DEFAULT_EXCHANGE, isExchangeId } from '../exchanges/exchange-ids.js';
import type { L1Snapshot, Level } from '../snapshot.js';

/** A snapshot as read back, with the key it is stored under. */
export interface StoredSnapshot extends L1Snapshot {
  key: string;
}

/**
 * The fields every snapshot hash has, sent once per Lua call. Order matters: the write script
 * compares the first three on a key clash, and pushFieldValues() follows it.
 */
export const FIELD_NAMES = ['sequence', 'bids', 'asks', 'timestamp', 'received_at', 'exchange', 'product_id'];

/** A snapshot's values in FIELD_NAMES order, then its optional fields as a count and name/value pairs. */
export function pushFieldValues(args: (string | number)[], s: L1Snapshot): void {
  args.push(
    s.sequence,
    JSON.stringify(s.bids),
    JSON.stringify(s.asks),
    s.timestamp,
    s.received_at,
    s.exchange,
    s.product_id,
  );
  // Optional fields are stored only when they say something the key does not: nothing twice.
  const native =
    s.native_symbol !== undefined && s.native_symbol !== s.product_id ? s.native_symbol : undefined;
  const source =
    s.timestamp_source !== undefined && s.timestamp_source !== 'exchange' ? s.timestamp_source : undefined;
  args.push((native === undefined ? 0 : 1) + (source === undefined ? 0 : 1));
  if (native !== undefined) args.push('native_symbol', native);
  if (source !== undefined) args.push('timestamp_source', source);
}

/** The hash fields reads ask for, in this order (read-snapshots.lua and read-latest.lua return them so). */
export const READ_FIELDS = [
  'exchange',
  'product_id',
  'bids',
  'asks',
  'timestamp',
  'sequence',
  'received_at',
  'native_symbol',
  'timestamp_source',
] as const;

/**
 * A snapshot from READ_FIELDS values at `at` in a flat reply; undefined when the hash is gone
 * (pruned between the index read and this one) or was written by a newer version.
 */
export function fromFields(
  key: string,
  v: readonly (string | null | undefined)[],
  at: number,
): StoredSnapshot | undefined {
  const [exchangeRaw, productId, bids, asks, timestamp, sequence, receivedAt, nativeSymbol, source] = v.slice(
    at,
    at + READ_FIELDS.length,
  );
  if (!timestamp || !bids || !asks) return undefined;
  const exchange = exchangeRaw ?? DEFAULT_EXCHANGE;
  if (!isExchangeId(exchange)) return undefined;
  const s: StoredSnapshot = {
    key,
    exchange,
    product_id: productId ?? '',
    bids: JSON.parse(bids) as Level[],
    asks: JSON.parse(asks) as Level[],
    timestamp,
    sequence: sequence ?? '',
    received_at: receivedAt ?? '',
  };
  if (nativeSymbol) s.native_symbol = nativeSymbol;
  if (source === 'received') s.timestamp_source = 'received';
  return s;
}

/**
 * A page of snapshot hashes as stored, for readers that want the text rather than objects (the
 * Parquet export keeps `bids`/`asks` as JSON text: parsing and re-serialising them cost more than
 * the rest of the export's reading). `values` holds READ_FIELDS values per snapshot, flat:
 * snapshot j's field f is `values[j * READ_FIELDS.length + f]`. Hashes `fromFields` would skip are
 * left out, and the rest read as a StoredSnapshot would: `exchange` defaults to coinbase,
 * `product_id`, `sequence` and `received_at` to '', `native_symbol` is null when empty and
 * `timestamp_source` null unless 'received'. `bids`, `asks` and `timestamp` are never null.
 */
export interface StoredFields {
  keys: string[];
  values: (string | null)[];
}

/** Where each field sits in a snapshot's slice of `StoredFields.values`. */
export const FIELD = Object.fromEntries(READ_FIELDS.map((name, i) => [name, i])) as {
  readonly [K in (typeof READ_FIELDS)[number]]: number;
};

/** A read-snapshots.lua reply for `keys` as StoredFields (normalised in place). */
export function toStoredFields(keys: readonly string[], reply: (string | null)[]): StoredFields {
  const width = READ_FIELDS.length;
  const out: StoredFields = { keys: [], values: [] };
  let kept = 0;
  for (const [j, key] of keys.entries()) {
    const at = j * width;
    if (!normalise(reply, at)) continue;
    // Only a page with skipped hashes (pruned mid-read) is copied; the usual page is the reply.
    if (kept !== j) for (let f = 0; f < width; f++) reply[kept * width + f] = reply[at + f] ?? null;
    out.keys.push(key);
    kept += 1;
  }
  reply.length = kept * width;
  out.values = reply;
  return out;
}

/** fromFields' defaults applied to one snapshot's values; false when fromFields would skip it. */
function normalise(v: (string | null)[], at: number): boolean {
  if (!v[at + FIELD.timestamp] || !v[at + FIELD.bids] || !v[at + FIELD.asks]) return false;
  const exchange = v[at + FIELD.exchange] ?? DEFAULT_EXCHANGE;
  if (!isExchangeId(exchange)) return false;
  v[at + FIELD.exchange] = exchange;
  v[at + FIELD.product_id] ??= '';
  v[at + FIELD.sequence] ??= '';
  v[at + FIELD.received_at] ??= '';
  if (!v[at + FIELD.native_symbol]) v[at + FIELD.native_symbol] = null;
  if (v[at + FIELD.timestamp_source] !== 'received') v[at + FIELD.timestamp_source] = null;
  return true;
}
