/** What a Parquet row must hold for a snapshot hash as Redis stored it (the test's own mapping). */
import type { Redis } from 'ioredis';
import { toEpochMicros } from '../../src/timestamp.js';
import type { ParquetRow } from '../support/duckdb-reader.js';

export type StoredHash = Record<string, string>;

/** Every hash of a product's index, straight from Redis, in index order. */
export async function storedHashes(client: Redis, index: string): Promise<StoredHash[]> {
  const keys = await client.zrange(index, 0, -1);
  const p = client.pipeline();
  for (const k of keys) p.hgetall(k);
  return ((await p.exec()) ?? []).map(([err, h]) => {
    if (err) throw err;
    return h as StoredHash;
  });
}

export function expectedRow(h: StoredHash): ParquetRow {
  const bids = JSON.parse(h.bids ?? '[]') as string[][];
  const asks = JSON.parse(h.asks ?? '[]') as string[][];
  const num = (v: string | undefined) => (v === undefined ? null : Number(v));
  return {
    time_us: toEpochMicros(h.timestamp ?? ''),
    exchange: h.exchange ?? null,
    product_id: h.product_id ?? null,
    bid: bids[0]?.[0] ?? null,
    bid_size: bids[0]?.[1] ?? null,
    ask: asks[0]?.[0] ?? null,
    ask_size: asks[0]?.[1] ?? null,
    bid_f64: num(bids[0]?.[0]),
    bid_size_f64: num(bids[0]?.[1]),
    ask_f64: num(asks[0]?.[0]),
    ask_size_f64: num(asks[0]?.[1]),
    sequence: h.sequence ?? null,
    received_at_us: h.received_at ? toEpochMicros(h.received_at) : null,
    bids: h.bids ?? null,
    asks: h.asks ?? null,
    native_symbol: h.native_symbol ?? null,
    timestamp_source: h.timestamp_source ?? null,
  };
}
