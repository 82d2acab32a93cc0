/** RedisStore on a real Redis: the schema, atomicity, idempotency, collisions, key safety. */
import { beforeEach, describe, expect, it } from 'vitest';
import type { L1Snapshot } from '../../src/snapshot.js';
import { indexKey, snapshotKey } from '../../src/store/keys.js';
import { RedisStore } from '../../src/store/redis-store.js';
import { useTestRedis } from '../support/test-redis.js';

const redis = useTestRedis();
beforeEach(() => redis.flush());

function snap(over: Partial<L1Snapshot> = {}): L1Snapshot {
  return {
    exchange: 'coinbase',
    product_id: 'BTC-USD',
    bids: [['6247.58', '6.3578146', 2]],
    asks: [['6251.52', '2', 1]],
    timestamp: '2026-11-24T10:00:00.123000Z',
    sequence: '13051505638',
    received_at: '2026-11-24T10:00:00.150321Z',
    ...over,
  };
}

describe('RedisStore.write', () => {
  it('stores the hash, the time index entry and the product, with every field verbatim', async () => {
    const store = new RedisStore(redis.client());
    const s = snap({ bids: [['0.00000001', '123456789.123456789', 1]], sequence: '123456789012345678901' });
    const result = await store.write([s]);
    const key = 'orderbook:BTC-USD:2026-11-24T10:00:00.123000Z';
    expect(result).toMatchObject({ written: 1, duplicates: 0, keys: [key] });
    const c = redis.client();
    expect(await c.hgetall(key)).toEqual({
      sequence: '123456789012345678901',
      bids: '[["0.00000001","123456789.123456789",1]]',
      asks: '[["6251.52","2",1]]',
      timestamp: '2026-11-24T10:00:00.123000Z',
      received_at: '2026-11-24T10:00:00.150321Z',
      exchange: 'coinbase',
      product_id: 'BTC-USD',
    });
    expect(await c.zrange('orderbook:index:BTC-USD', 0, -1, 'WITHSCORES')).toEqual([key, '1795514400123000']);
    expect(await c.smembers('orderbook:products')).toEqual(['BTC-USD']);
    expect(await c.object('ENCODING', key)).toBe('listpack');
    const back = await store.latest({ exchange: 'coinbase', productId: 'BTC-USD' });
    expect(back).toEqual({ ...s, key });
  });

  it('is idempotent: writing the same snapshot again adds nothing', async () => {
    const store = new RedisStore(redis.client());
    await store.write([snap()]);
    const again = await store.write([snap(), snap()]);
    expect(again).toMatchObject({ written: 0, duplicates: 2 });
    expect(await redis.client().dbsize()).toBe(3);
    expect(await redis.client().zcard('orderbook:index:BTC-USD')).toBe(1);
  });

  it('never lets two different snapshots share a key: a clash moves the newcomer by 1 µs', async () => {
    const store = new RedisStore(redis.client());
    const a = snap({ sequence: '100' });
    const b = snap({ sequence: '101' });
    const c = snap({ sequence: '102' });
    const r = await store.write([a, b, c]);
    expect(r.written).toBe(3);
    expect(r.keys).toEqual([
      'orderbook:BTC-USD:2026-11-24T10:00:00.123000Z',
      'orderbook:BTC-USD:2026-11-24T10:00:00.123001Z',
      'orderbook:BTC-USD:2026-11-24T10:00:00.123002Z',
    ]);
    // The exchange's own time stays in the field.
    expect(await redis.client().hget(r.keys[2] ?? '', 'timestamp')).toBe('2026-11-24T10:00:00.123000Z');
    const stored = await store.newest({ exchange: 'coinbase', productId: 'BTC-USD' }, 10);
    expect(stored.map((s) => s.sequence)).toEqual(['102', '101', '100']);
  });

  it('keeps the index and the hashes in step: every index member has its hash', async () => {
    const store = new RedisStore(redis.client(), { writeBatchSize: 7 });
    const products = ['BTC-USD', 'ETH-USD', 'SOL-USD'];
    const batch: L1Snapshot[] = [];
    for (let i = 0; i < 60; i++) {
      const product = products[i % 3] ?? 'BTC-USD';
      batch.push(
        snap({
          product_id: product,
          sequence: String(i),
          timestamp: `2026-11-24T10:00:${String(i).padStart(2, '0')}.000000Z`,
        }),
      );
    }
    await store.write(batch);
    const c = redis.client();
    for (const p of products) {
      const members = await c.zrange(indexKey('coinbase', p), 0, -1);
      expect(members).toHaveLength(20);
      const exists = await Promise.all(members.map((m) => c.exists(m)));
      expect(exists.every((e) => e === 1)).toBe(true);
    }
    expect(await c.dbsize()).toBe(60 + 3 + 1);
  });

  it('writes nothing at all when a batch holds an invalid snapshot key', async () => {
    const store = new RedisStore(redis.client());
    await expect(store.write([snap(), snap({ product_id: 'BTC-USD:*' })])).rejects.toThrow(
      /refusing to build a Redis key/,
    );
    expect(await redis.client().dbsize()).toBe(0);
  });

  it('latest is the highest exchange time, even when an older snapshot is written last', async () => {
    const store = new RedisStore(redis.client());
    await store.write([snap({ timestamp: '2026-11-24T10:00:05.000000Z', sequence: '5' })]);
    await store.write([snap({ timestamp: '2026-11-24T10:00:01.000000Z', sequence: '1' })]);
    expect((await store.latest({ exchange: 'coinbase', productId: 'BTC-USD' }))?.sequence).toBe('5');
    expect(await store.latest({ exchange: 'coinbase', productId: 'ETH-USD' })).toBeUndefined();
  });

  it('falls back to EVAL when the server has forgotten the script (SCRIPT FLUSH, restart)', async () => {
    const store = new RedisStore(redis.client());
    await store.write([snap({ sequence: '1' })]);
    await redis.client().script('FLUSH');
    const r = await store.write([snap({ sequence: '2', timestamp: '2026-11-24T10:00:02.000000Z' })]);
    expect(r.written).toBe(1);
  });
});

describe('keys', () => {
  it.each(['BTC-USD:*', 'btc-usd', 'BTC USD', 'BTC', '*', 'BTC-USD\nFLUSHALL', 'orderbook:index:BTC-USD'])(
    'refuses to build a key from %j',
    (bad) => {
      expect(() => snapshotKey('coinbase', bad, '2026-11-24T10:00:00.000000Z')).toThrow(/refusing/);
      expect(() => indexKey('coinbase', bad)).toThrow(/refusing/);
    },
  );

  it('refuses a timestamp that is not the fixed form', () => {
    expect(() => snapshotKey('coinbase', 'BTC-USD', '2026-11-24T10:00:00Z')).toThrow(/refusing/);
  });
});
