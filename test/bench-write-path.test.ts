// The write path as the bench tuned it (one Lua call per 100 snapshots, field names sent once per
// call, calls sent as they are built, key parts reused within a write) must store exactly what a
// plain HSET + ZADD + SADD per snapshot would: every field verbatim, optional fields, clashes that
// straddle calls and seconds, duplicates, other venues' keys.
import { beforeEach, describe, expect, it } from 'vitest';
import { makeTape, productIds } from '../bench/data.js';
import type { L1Snapshot } from '../src/snapshot.js';
import { indexKey, PRODUCTS_KEY, productMember, snapshotKey } from '../src/store/keys.js';
import { RedisStore } from '../src/store/redis-store.js';
import { toEpochMicros } from '../src/timestamp.js';
import { useTestRedis } from './support/test-redis.js';

const redis = useTestRedis();
beforeEach(() => redis.flush());

/** The hash a snapshot must leave, built the plain way. */
function expectedHash(s: L1Snapshot): Record<string, string> {
  const h: Record<string, string> = {
    sequence: s.sequence,
    bids: JSON.stringify(s.bids),
    asks: JSON.stringify(s.asks),
    timestamp: s.timestamp,
    received_at: s.received_at,
    exchange: s.exchange,
    product_id: s.product_id,
  };
  if (s.native_symbol !== undefined && s.native_symbol !== s.product_id) h.native_symbol = s.native_symbol;
  if (s.timestamp_source === 'received') h.timestamp_source = 'received';
  return h;
}

async function expectStoredPlainly(snapshots: readonly L1Snapshot[]): Promise<void> {
  const c = redis.client();
  const products = new Set<string>();
  for (const s of snapshots) {
    const key = snapshotKey(s.exchange, s.product_id, s.timestamp);
    expect(await c.hgetall(key)).toEqual(expectedHash(s));
    expect(await c.zscore(indexKey(s.exchange, s.product_id), key)).toBe(String(toEpochMicros(s.timestamp)));
    expect(await c.object('ENCODING', key)).toBe('listpack');
    products.add(productMember(s.exchange, s.product_id));
  }
  expect((await c.smembers(PRODUCTS_KEY)).sort()).toEqual([...products].sort());
  expect(await c.dbsize()).toBe(snapshots.length + products.size + 1);
}

describe('RedisStore.write, tuned write path', () => {
  it('stores a multi-call batch exactly as plain HSET + ZADD + SADD would', async () => {
    const tape = makeTape({ products: productIds(13), count: 517 });
    const result = await new RedisStore(redis.client(), { writeBatchSize: 37 }).write(tape);
    expect(result).toMatchObject({ written: 517, duplicates: 0, pruned: 0 });
    expect(result.keys).toEqual(tape.map((s) => snapshotKey(s.exchange, s.product_id, s.timestamp)));
    await expectStoredPlainly(tape);
  });

  it('stores optional fields only when they add something, mixed within one call', async () => {
    const [a, b, c, d] = makeTape({ products: ['BTC-USD', 'ETH-USD', 'SOL-USD', 'XRP-USD'], count: 4 }) as [
      L1Snapshot,
      L1Snapshot,
      L1Snapshot,
      L1Snapshot,
    ];
    const batch: L1Snapshot[] = [
      { ...a, native_symbol: 'XXBTZUSD', timestamp_source: 'received' },
      { ...b, native_symbol: 'ETH-USD', timestamp_source: 'exchange' }, // both say nothing new
      { ...c, native_symbol: 'SOLUSD' },
      { ...d, timestamp_source: 'received' },
    ];
    await new RedisStore(redis.client(), { writeBatchSize: 3 }).write(batch);
    await expectStoredPlainly(batch);
    const back = await new RedisStore(redis.client()).latest({ exchange: 'coinbase', productId: 'BTC-USD' });
    expect(back).toMatchObject({ native_symbol: 'XXBTZUSD', timestamp_source: 'received' });
  });

  it('moves a clash across a call boundary and a second boundary, and counts duplicates', async () => {
    const base: L1Snapshot = {
      exchange: 'coinbase',
      product_id: 'BTC-USD',
      bids: [['97000.01', '0.5', 1]],
      asks: [['97000.02', '0.25', 2]],
      timestamp: '2026-11-24T10:00:59.999999Z',
      sequence: '1',
      received_at: '2026-11-24T10:01:00.010000Z',
    };
    const other = { ...base, sequence: '2' };
    const third = { ...base, sequence: '3' };
    const store = new RedisStore(redis.client(), { writeBatchSize: 1 });
    const r = await store.write([base, other, base, third]);
    expect(r).toMatchObject({ written: 3, duplicates: 1 });
    expect(r.keys).toEqual([
      'orderbook:BTC-USD:2026-11-24T10:00:59.999999Z',
      'orderbook:BTC-USD:2026-11-24T10:01:00.000000Z',
      'orderbook:BTC-USD:2026-11-24T10:00:59.999999Z',
      'orderbook:BTC-USD:2026-11-24T10:01:00.000001Z',
    ]);
    const c = redis.client();
    expect(await c.hget(r.keys[1] as string, 'sequence')).toBe('2');
    expect(await c.hget(r.keys[1] as string, 'timestamp')).toBe(base.timestamp); // exchange time kept
    expect(await c.zrange(indexKey('coinbase', 'BTC-USD'), 0, -1, 'WITHSCORES')).toEqual([
      r.keys[0],
      '1795514459999999',
      r.keys[1],
      '1795514460000000',
      r.keys[3],
      '1795514460000001',
    ]);
    // A retry of the whole batch changes nothing.
    expect(await store.write([base, other, third])).toMatchObject({ written: 0, duplicates: 3 });
  });
});
