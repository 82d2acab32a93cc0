// Retention on the write path (StoreOptions.retentionMicros) over a simulated run with a fake
// clock, and pruning by hand (pruneBefore): afterwards the time index and the hashes agree exactly,
// products stay listed, and the key count stays bounded while the run goes on.
import type { Redis } from 'ioredis';
import { beforeEach, describe, expect, it } from 'vitest';
import type { ProductRef } from '../../src/store/keys.js';
import { RedisStore } from '../../src/store/redis-store.js';
import { snap, T0_US, tape } from '../query/fixtures.js';
import { useTestRedis } from '../support/test-redis.js';

const redis = useTestRedis();
const SECOND = 1_000_000;
const PRODUCTS = ['BTC-USD', 'ETH-USD', 'SOL-USD'];
const ref = (productId: string): ProductRef => ({ exchange: 'coinbase', productId });

async function scanKeys(c: Redis, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await c.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return keys.sort();
}

/** Index members and snapshot hashes of a product are the same set; returns its size. */
async function expectIndexMatchesHashes(c: Redis, productId: string): Promise<number> {
  const members = (await c.zrange(`orderbook:index:${productId}`, 0, -1)).sort();
  const hashes = await scanKeys(c, `orderbook:${productId}:*`);
  expect(hashes).toEqual(members);
  return members.length;
}

describe('retention on the write path', () => {
  beforeEach(() => redis.flush());

  it('keeps the last window per product over a long run; index and hashes agree, DBSIZE stays flat', async () => {
    const c = redis.client();
    // 60 s window, a snapshot per product per simulated second, 600 seconds.
    const store = new RedisStore(c, { retentionMicros: 60 * SECOND, pruneBatch: 100 });
    let maxKeys = 0;
    let pruned = 0;
    for (let i = 0; i < 600; i++) {
      const r = await store.write(
        PRODUCTS.map((p) => snap(T0_US + i * SECOND, { product: p, sequence: String(i) })),
      );
      pruned += r.pruned;
      if (i % 25 === 0) maxKeys = Math.max(maxKeys, await c.dbsize());
    }
    // 61 per product (the newest and the 60 s before it, both ends kept) + 3 indexes + the product set.
    const bound = PRODUCTS.length * 61 + PRODUCTS.length + 1;
    expect(maxKeys).toBeLessThanOrEqual(bound);
    expect(await c.dbsize()).toBe(bound);
    expect(pruned).toBe(PRODUCTS.length * (600 - 61));
    for (const p of PRODUCTS) {
      expect(await expectIndexMatchesHashes(c, p)).toBe(61);
      const [, oldest] = await c.zrange(`orderbook:index:${p}`, 0, 0, 'WITHSCORES');
      expect(Number(oldest)).toBe(T0_US + (599 - 60) * SECOND);
    }
    expect((await c.smembers('orderbook:products')).sort()).toEqual([...PRODUCTS].sort());
  });

  it('works off a backlog in bounded batches, a few per write', async () => {
    const c = redis.client();
    await new RedisStore(c).write(tape(450)); // 450 s, no retention yet
    const store = new RedisStore(c, { retentionMicros: 10 * SECOND, pruneBatch: 100 });
    const steps: number[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await store.write([snap(T0_US + (450 + i) * SECOND, { sequence: String(i) })]);
      steps.push(r.pruned);
      await expectIndexMatchesHashes(c, 'BTC-USD');
    }
    // Each write removes at most 100; after 5 writes the window holds 11 (10 s back, both ends).
    expect(steps).toEqual([100, 100, 100, 100, 44, 1]);
    expect(await c.zcard('orderbook:index:BTC-USD')).toBe(11);
  });

  it('drops a late snapshot that is already outside the window, and stays consistent', async () => {
    const c = redis.client();
    const store = new RedisStore(c, { retentionMicros: 30 * SECOND });
    await store.write(tape(100));
    const late = await store.write([snap(T0_US + 5 * SECOND, { bid: '1.00', sequence: '5' })]);
    expect(late.written + late.duplicates).toBe(1);
    expect(await expectIndexMatchesHashes(c, 'BTC-USD')).toBe(31);
  });
});

describe('pruneBefore', () => {
  beforeEach(async () => {
    await redis.flush();
    const store = new RedisStore(redis.client());
    for (const p of PRODUCTS) await store.write(tape(100, { product: p }));
  });

  it('removes strictly older snapshots of one product, in bounded batches', async () => {
    const c = redis.client();
    const store = new RedisStore(c);
    const cutoff = T0_US + 30 * SECOND;
    expect(await store.countBefore([ref('BTC-USD'), ref('ETH-USD')], cutoff)).toEqual([30, 30]);
    expect(await store.pruneBefore([ref('BTC-USD')], cutoff, 7)).toEqual([30]);
    expect(await expectIndexMatchesHashes(c, 'BTC-USD')).toBe(70);
    const [, oldest] = await c.zrange('orderbook:index:BTC-USD', 0, 0, 'WITHSCORES');
    expect(Number(oldest)).toBe(cutoff); // the snapshot AT the cutoff stays
    expect(await expectIndexMatchesHashes(c, 'ETH-USD')).toBe(100); // others untouched
    expect(await store.pruneBefore([ref('BTC-USD')], cutoff, 7)).toEqual([0]);
  });

  it('empties every product when the cutoff is past the end; they stay in the product set', async () => {
    const c = redis.client();
    const store = new RedisStore(c);
    const refs = await store.products();
    expect(await store.pruneBefore(refs, T0_US + 1000 * SECOND, 16)).toEqual([100, 100, 100]);
    for (const p of PRODUCTS) expect(await expectIndexMatchesHashes(c, p)).toBe(0);
    expect(await c.dbsize()).toBe(1); // only orderbook:products
    const summaries = await store.summaries();
    expect(summaries.map((s) => [s.productId, s.count, s.latest])).toEqual([
      ['BTC-USD', 0, undefined],
      ['ETH-USD', 0, undefined],
      ['SOL-USD', 0, undefined],
    ]);
  });

  it('loads its script again after SCRIPT FLUSH (EVALSHA falls back to EVAL)', async () => {
    const c = redis.client();
    await c.script('FLUSH');
    const store = new RedisStore(c);
    expect(await store.pruneBefore([ref('SOL-USD')], T0_US + 50 * SECOND, 20)).toEqual([50]);
    expect(await expectIndexMatchesHashes(c, 'SOL-USD')).toBe(50);
  });

  it('removes nothing for a product that was never stored', async () => {
    const store = new RedisStore(redis.client());
    expect(await store.pruneBefore([ref('NONE-USD')], T0_US + 1000 * SECOND)).toEqual([0]);
    expect(await store.countBefore([], T0_US)).toEqual([]);
  });
});

describe('summaries', () => {
  beforeEach(() => redis.flush());

  it('gives count, first, last and the latest snapshot of each product in few round trips', async () => {
    const c = redis.client();
    const store = new RedisStore(c);
    await store.write(tape(5, { product: 'BTC-USD' }));
    await store.write(tape(3, { product: 'ETH-USD', startUs: T0_US + 60 * SECOND }));
    const s = await store.summaries();
    expect(s.map((x) => [x.productId, x.count, x.firstMicros, x.lastMicros])).toEqual([
      ['BTC-USD', 5, T0_US, T0_US + 4 * SECOND],
      ['ETH-USD', 3, T0_US + 60 * SECOND, T0_US + 62 * SECOND],
    ]);
    expect(s[0]?.latest?.bids[0]?.[0]).toBe('97250.04');
    expect(s[1]?.latest?.asks[0]?.[0]).toBe('97250.07');
  });
});
