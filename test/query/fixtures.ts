/** Snapshots with known contents for the query and store tests. */
import type { L1Snapshot } from '../../src/snapshot.js';
import { fromEpochMicros, toEpochMicros } from '../../src/timestamp.js';

export const T0 = '2026-11-24T10:00:00.000000Z';
export const T0_US = toEpochMicros(T0);

export interface SnapOptions {
  product?: string;
  bid?: string | undefined;
  bidSize?: string;
  ask?: string | undefined;
  askSize?: string;
  sequence?: string;
}

/** One Coinbase snapshot at `at` (a fixed timestamp or epoch µs). */
export function snap(at: string | number, o: SnapOptions = {}): L1Snapshot {
  const timestamp = typeof at === 'number' ? fromEpochMicros(at) : at;
  const bid = 'bid' in o ? o.bid : '97250.01';
  const ask = 'ask' in o ? o.ask : '97250.02';
  return {
    exchange: 'coinbase',
    product_id: o.product ?? 'BTC-USD',
    bids: bid === undefined ? [] : [[bid, o.bidSize ?? '0.50000000', 3]],
    asks: ask === undefined ? [] : [[ask, o.askSize ?? '1.25000000', 7]],
    timestamp,
    sequence: o.sequence ?? '',
    received_at: fromEpochMicros(toEpochMicros(timestamp) + 1500),
  };
}

/** `n` snapshots `stepUs` apart from `startUs`, with a sequence counting up from `seq0`. */
export function tape(
  n: number,
  o: { startUs?: number; stepUs?: number; product?: string; seq0?: bigint } = {},
): L1Snapshot[] {
  const start = o.startUs ?? T0_US;
  const step = o.stepUs ?? 1_000_000;
  const seq0 = o.seq0 ?? 9_007_199_254_740_990n; // crosses 2^53 on the way
  return Array.from({ length: n }, (_, i) =>
    snap(start + i * step, {
      product: o.product ?? 'BTC-USD',
      bid: (97250 + i / 100).toFixed(2),
      ask: (97250.05 + i / 100).toFixed(2),
      sequence: (seq0 + BigInt(i)).toString(),
    }),
  );
}
