/**
 * A tape of numbered Coinbase snapshots for the write-queue and spool tests: snapshot i has sequence
 * 1000+i, so what Redis holds afterwards is checked as a list of sequences, in time order.
 */
import type { Redis } from 'ioredis';
import type { L1Snapshot } from '../../src/snapshot.js';
import { indexKey } from '../../src/store/keys.js';
import { fromEpochMicros } from '../../src/timestamp.js';

/** Snapshot `i` of a product: sequence 1000+i, exchange time 1 ms apart. */
export function snapshot(i: number, productId = 'BTC-USD'): L1Snapshot {
  const t = fromEpochMicros(Date.UTC(2026, 10, 24, 10) * 1000 + i * 1000);
  return {
    exchange: 'coinbase',
    product_id: productId,
    bids: [[`${100 + i}.00`, '1.50000000', 1]],
    asks: [[`${101 + i}.00`, '0.25000000', 2]],
    timestamp: t,
    sequence: String(1000 + i),
    received_at: t,
  };
}

/** Snapshots `from` to `to` (exclusive). */
export function snapshots(from: number, to: number): L1Snapshot[] {
  return Array.from({ length: to - from }, (_, i) => snapshot(from + i));
}

/** The sequences of snapshots `from` to `to` (exclusive). */
export function sequences(from: number, to: number): string[] {
  return Array.from({ length: to - from }, (_, i) => String(1000 + from + i));
}

/** The sequences Redis holds for a Coinbase product, oldest first. */
export async function storedSequences(client: Redis, productId = 'BTC-USD'): Promise<string[]> {
  const keys = await client.zrange(indexKey('coinbase', productId), 0, -1);
  const pipeline = client.pipeline();
  for (const k of keys) pipeline.hget(k, 'sequence');
  const replies = (await pipeline.exec()) ?? [];
  return replies.map(([err, value]) => {
    if (err) throw err;
    return String(value);
  });
}
