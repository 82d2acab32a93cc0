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
