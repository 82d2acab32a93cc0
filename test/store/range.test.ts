// RedisStore.range on a real Redis: inclusive bounds, empty and one-item ranges, pages crossed with
// a tiny readBatchSize, equal scores across a page boundary, limits, both orders, vanished hashes.
import { beforeEach, describe, expect, it } from 'vitest';
import type { ProductRef } from '../../src/store/keys.js';
import { type RangeQuery, RedisStore } from '../../src/store/redis-store.js';
import { toEpochMicros } from '../../src/timestamp.js';
import { T0_US, tape } from '../query/fixtures.js';
import { useTestRedis } from '../support/test-redis.js';

const redis = useTestRedis();
const BTC: ProductRef = { exchange: 'coinbase', productId: 'BTC-USD' };
const SECOND = 1_000_000;

async function times(store: RedisStore, query: RangeQuery, ref = BTC): Promise<number[]> {
  const out: number[] = [];
  for await (const s of store.range(ref, query)) out.push((toEpochMicros(s.timestamp) - T0_US) / SECOND);
  return out;
}

const seconds = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('RedisStore.range', () => {
  beforeEach(async () => {
    await redis.flush();
    // 0..99 s: one snapshot a second.
    await new RedisStore(redis.client()).write(tape(100));
  });

  it('includes both bounds', async () => {
    const store = new RedisStore(redis.client());
    const q = { fromMicros: T0_US + 10 * SECOND, toMicros: T0_US + 20 * SECOND };
    expect(await times(store, q)).toEqual(seconds(10, 20));
    expect(await times(store, { ...q, order: 'desc' })).toEqual(seconds(10, 20).reverse());
  });

  it('excludes what lies a microsecond outside the bounds', async () => {
    const store = new RedisStore(redis.client());
    const q = { fromMicros: T0_US + 10 * SECOND + 1, toMicros: T0_US + 20 * SECOND - 1 };
    expect(await times(store, q)).toEqual(seconds(11, 19));
  });

  it('gives one item when from = to on a stored time, and none between two snapshots', async () => {
    const store = new RedisStore(redis.client());
    const at = T0_US + 42 * SECOND;
    expect(await times(store, { fromMicros: at, toMicros: at })).toEqual([42]);
    expect(await times(store, { fromMicros: at + 1, toMicros: at + SECOND - 1 })).toEqual([]);
  });

  it('is empty before the first, after the last, and for an unknown product', async () => {
    const store = new RedisStore(redis.client());
    expect(await times(store, { toMicros: T0_US - 1 })).toEqual([]);
    expect(await times(store, { fromMicros: T0_US + 100 * SECOND })).toEqual([]);
    expect(await times(store, {}, { exchange: 'coinbase', productId: 'NOPE-USD' })).toEqual([]);
  });

  it('open bounds mean the start and the end', async () => {
    const store = new RedisStore(redis.client());
    expect(await times(store, { toMicros: T0_US + 2 * SECOND })).toEqual([0, 1, 2]);
    expect(await times(store, { fromMicros: T0_US + 97 * SECOND })).toEqual([97, 98, 99]);
  });

  it.each([1, 2, 3, 7, 99, 100, 101])(
    'crosses pages of %i without loss or repeats, both orders',
    async (batch) => {
      const store = new RedisStore(redis.client(), { readBatchSize: batch });
      expect(await times(store, {})).toEqual(seconds(0, 99));
      expect(await times(store, { order: 'desc' })).toEqual(seconds(0, 99).reverse());
      const q = { fromMicros: T0_US + 5 * SECOND, toMicros: T0_US + 95 * SECOND };
      expect(await times(store, q)).toEqual(seconds(5, 95));
    },
  );

  it.each([1, 3, 10, 50])('stops at --limit across pages of 4 (limit %i)', async (limit) => {
    const store = new RedisStore(redis.client(), { readBatchSize: 4 });
    expect(await times(store, { limit })).toEqual(seconds(0, limit - 1));
    expect(await times(store, { limit, order: 'desc' })).toEqual(seconds(100 - limit, 99).reverse());
    const from = T0_US + 90 * SECOND;
    expect(await times(store, { fromMicros: from, limit })).toEqual(seconds(90, Math.min(99, 89 + limit)));
  });

  it('returns nothing for limit 0', async () => {
    expect(await times(new RedisStore(redis.client()), { limit: 0 })).toEqual([]);
  });

  it('keeps every member when many share one score across page boundaries', async () => {
    // Writes never give two snapshots one score (they nudge to the next µs), but an index repaired by
    // hand or written by another tool can: build one with 7 members at the same score.
    const c = redis.client();
    await c.flushdb();
    const store = new RedisStore(c);
    const snaps = tape(12);
    await store.write(snaps);
    const index = 'orderbook:index:BTC-USD';
    const shared = T0_US + 3 * SECOND;
    for (const s of snaps.slice(3, 10)) {
      await c.zadd(index, shared, `orderbook:BTC-USD:${s.timestamp}`);
    }
    const keysOf = async (q: RangeQuery, batch: number) => {
      const out: string[] = [];
      for await (const s of new RedisStore(c, { readBatchSize: batch }).range(BTC, q)) out.push(s.key);
      return out;
    };
    const all = await keysOf({}, 1000);
    expect(all).toHaveLength(12);
    for (const batch of [1, 2, 3, 4, 5]) {
      const asc = await keysOf({}, batch);
      expect(asc).toEqual(all);
      const desc = await keysOf({ order: 'desc' }, batch);
      expect(desc).toEqual([...all].reverse());
      const limited = await keysOf({ limit: 6 }, batch);
      expect(limited).toEqual(all.slice(0, 6));
      const only = await keysOf({ fromMicros: shared, toMicros: shared }, batch);
      expect(new Set(only)).toEqual(new Set(all.slice(3, 10)));
      expect(only).toHaveLength(7);
    }
  });

  it('skips a hash that vanished after its index entry was read, and still fills the limit', async () => {
    const c = redis.client();
    const victims = [5, 6, 7].map((i) => `orderbook:BTC-USD:${tape(100)[i]?.timestamp}`);
    await c.del(...victims);
    const store = new RedisStore(c, { readBatchSize: 4 });
    expect(await times(store, { limit: 10 })).toEqual([0, 1, 2, 3, 4, 8, 9, 10, 11, 12]);
  });

  it('stops early without leaving a page in flight', async () => {
    const store = new RedisStore(redis.client(), { readBatchSize: 5 });
    const seen: number[] = [];
    for await (const s of store.range(BTC, {})) {
      seen.push(toEpochMicros(s.timestamp));
      if (seen.length === 7) break;
    }
    expect(seen).toHaveLength(7);
    expect(await redis.client().ping()).toBe('PONG');
  });

  it('counts what a range holds', async () => {
    const store = new RedisStore(redis.client());
    expect(await store.count(BTC)).toBe(100);
    expect(await store.count(BTC, T0_US + 10 * SECOND, T0_US + 20 * SECOND)).toBe(11);
  });

  it('reads every field back as written', async () => {
    const store = new RedisStore(redis.client());
    const written = tape(100);
    let i = 0;
    for await (const s of store.range(BTC, {})) {
      const { key, ...rest } = s;
      expect(rest).toEqual(written[i]);
      expect(key).toBe(`orderbook:BTC-USD:${written[i]?.timestamp}`);
      i += 1;
    }
    expect(i).toBe(100);
  });
});
