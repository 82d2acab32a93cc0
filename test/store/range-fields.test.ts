// RedisStore.rangeFields on a real Redis: the same snapshots as RedisStore.range, page by page and
// as stored text, with range's limits, orders, skipped hashes and defaults.
import { beforeEach, describe, expect, it } from 'vitest';
import type { ProductRef } from '../../src/store/keys.js';
import { type RangeQuery, RedisStore } from '../../src/store/redis-store.js';
import { FIELD, READ_FIELDS, type StoredFields, type StoredSnapshot } from '../../src/store/snapshot-hash.js';
import { T0_US, tape } from '../query/fixtures.js';
import { useTestRedis } from '../support/test-redis.js';

const redis = useTestRedis();
const BTC: ProductRef = { exchange: 'coinbase', productId: 'BTC-USD' };

/** A snapshot as rangeFields gives it: the stored text of each field, null where it has none. */
const asText = (s: StoredSnapshot) => ({
  key: s.key,
  exchange: s.exchange,
  product_id: s.product_id,
  bids: JSON.stringify(s.bids),
  asks: JSON.stringify(s.asks),
  timestamp: s.timestamp,
  sequence: s.sequence,
  received_at: s.received_at,
  native_symbol: s.native_symbol ?? null,
  timestamp_source: s.timestamp_source ?? null,
});

const rowsOf = (page: StoredFields) =>
  page.keys.map((key, j) => ({
    key,
    ...Object.fromEntries(READ_FIELDS.map((f) => [f, page.values[j * READ_FIELDS.length + FIELD[f]]])),
  }));

async function both(store: RedisStore, query: RangeQuery) {
  const fromRange = [];
  for await (const s of store.range(BTC, query)) fromRange.push(asText(s));
  const pages: StoredFields[] = [];
  for await (const page of store.rangeFields(BTC, query)) pages.push(page);
  return { fromRange, fromFields: pages.flatMap(rowsOf), pages };
}

describe('RedisStore.rangeFields', () => {
  beforeEach(async () => {
    await redis.flush();
    await new RedisStore(redis.client()).write(tape(30));
  });

  it('gives what range gives, a page at a time, in both orders and with limits', async () => {
    const store = new RedisStore(redis.client(), { readBatchSize: 4 });
    for (const query of [
      {},
      { order: 'desc' as const },
      { limit: 9 },
      { fromMicros: T0_US + 5_000_000, limit: 6 },
    ]) {
      const { fromRange, fromFields, pages } = await both(store, query);
      expect(fromFields).toEqual(fromRange);
      expect(Math.max(...pages.map((p) => p.keys.length))).toBe(4);
    }
  });

  it('skips hashes that vanished or lack what a snapshot needs, and reads missing fields as range does', async () => {
    const c = redis.client();
    const key = (i: number) => `orderbook:BTC-USD:${tape(30)[i]?.timestamp}`;
    await c.del(key(2));
    await c.hdel(key(3), 'bids');
    await c.hset(key(4), 'exchange', 'nasdaq');
    await c.hdel(key(5), 'exchange', 'product_id', 'sequence', 'received_at');
    await c.hset(key(6), 'native_symbol', 'XBT/USD', 'timestamp_source', 'received');
    await c.hset(key(7), 'native_symbol', '', 'timestamp_source', 'exchange');
    const store = new RedisStore(c, { readBatchSize: 4 });
    const { fromRange, fromFields } = await both(store, { limit: 8 });
    expect(fromFields).toEqual(fromRange);
    expect(fromFields.map((r) => r.key)).toEqual([0, 1, 5, 6, 7, 8, 9, 10].map(key));
    expect(fromFields[2]).toMatchObject({
      exchange: 'coinbase',
      product_id: '',
      sequence: '',
      received_at: '',
    });
    expect(fromFields[3]).toMatchObject({ native_symbol: 'XBT/USD', timestamp_source: 'received' });
    expect(fromFields[4]).toMatchObject({ native_symbol: null, timestamp_source: null });
  });
});
