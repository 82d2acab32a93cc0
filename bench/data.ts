/**
 * Realistic Coinbase level-1 snapshots for the benchmark: 100 real-looking product ids, prices and
 * sizes with the digits the venue sends, a sequence past 2^53, exchange time to the microsecond and
 * a receipt time a few ms later. Deterministic (seeded), so every run stores the same bytes.
 */
import type { L1Snapshot } from '../src/snapshot.js';
import { fromEpochMicros } from '../src/timestamp.js';

const BASES =
  'BTC ETH SOL XRP ADA DOGE AVAX LINK DOT MATIC LTC BCH UNI ATOM XLM ETC FIL AAVE ALGO NEAR APE SHIB CRV MKR COMP'.split(
    ' ',
  );
const QUOTES = ['USD', 'USDT', 'EUR', 'BTC'];

/** `count` distinct valid product ids (BTC-USD, ETH-USD, …, then -USDT, -EUR, -BTC pairs). */
export function productIds(count: number): string[] {
  const out: string[] = [];
  for (const quote of QUOTES) {
    for (const base of BASES) {
      if (base !== quote) out.push(`${base}-${quote}`);
    }
  }
  for (let i = 0; out.length < count; i++) out.push(`X${i}-USD`);
  return out.slice(0, count);
}

/** 2026-11-24T10:00:00Z in epoch microseconds: where every generated tape starts. */
export const TAPE_START_MICROS = Date.UTC(2026, 10, 24, 10, 0, 0) * 1000;

/** A tiny deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface TapeOptions {
  products: readonly string[];
  /** Snapshots in total; products take turns (one poll round = one snapshot of each product). */
  count: number;
  /** Time between two rounds, µs. Default 1 s. */
  roundMicros?: number;
  seed?: number;
}

/**
 * A tape in poll order: round r holds one snapshot of every product, so consecutive batches look
 * like what a capture writes. Every (product, exchange time) pair is distinct.
 */
export function makeTape(o: TapeOptions): L1Snapshot[] {
  const random = rng(o.seed ?? 7);
  const round = o.roundMicros ?? 1_000_000;
  const n = o.products.length;
  const mids = o.products.map((_, i) => 100 + i * 137.31);
  const seqs = o.products.map((_, i) => 9_007_199_254_000_000n + BigInt(i) * 1_000_000_000n);
  const out: L1Snapshot[] = new Array(o.count);
  for (let k = 0; k < o.count; k++) {
    const p = k % n;
    const r = Math.floor(k / n);
    const productId = o.products[p] as string;
    const mid = (mids[p] as number) * (1 + (random() - 0.5) * 0.001);
    mids[p] = mid;
    const tick = mid > 1000 ? 0.01 : 0.0001;
    const bid = (Math.floor(mid / tick) * tick).toFixed(tick === 0.01 ? 2 : 4);
    const ask = ((Math.floor(mid / tick) + 1 + Math.floor(random() * 3)) * tick).toFixed(
      tick === 0.01 ? 2 : 4,
    );
    seqs[p] = (seqs[p] as bigint) + BigInt(1 + Math.floor(random() * 400));
    // Spread products over the round so times interleave, plus sub-ms jitter as a real venue has.
    const micros = TAPE_START_MICROS + r * round + Math.floor((p * round) / n) + Math.floor(random() * 997);
    out[k] = {
      exchange: 'coinbase',
      product_id: productId,
      bids: [[bid, (random() * 5).toFixed(8), 1 + Math.floor(random() * 12)]],
      asks: [[ask, (random() * 5).toFixed(8), 1 + Math.floor(random() * 12)]],
      timestamp: fromEpochMicros(micros),
      sequence: (seqs[p] as bigint).toString(),
      received_at: fromEpochMicros(micros + 3_000 + Math.floor(random() * 20_000)),
    };
  }
  return out;
}

/** Splits into consecutive batches of `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The same fields RedisStore stores, built the way any client has to build them. */
export function hashFields(s: L1Snapshot): string[] {
  return [
    'sequence',
    s.sequence,
    'bids',
    JSON.stringify(s.bids),
    'asks',
    JSON.stringify(s.asks),
    'timestamp',
    s.timestamp,
    'received_at',
    s.received_at,
    'exchange',
    s.exchange,
    'product_id',
    s.product_id,
  ];
}
