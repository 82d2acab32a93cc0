/** The capture's own buffer: ordered, bounded, and it outlives a Redis outage. Real Redis. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { WriteQueue } from '../../src/capture/write-queue.js';
import type { L1Snapshot } from '../../src/snapshot.js';
import { RedisStore } from '../../src/store/redis-store.js';
import { fromEpochMicros } from '../../src/timestamp.js';
import { type KillableRedis, startKillableRedis } from '../support/killable-redis.js';

let own: KillableRedis;
beforeAll(async () => {
  own = await startKillableRedis();
});
afterAll(() => own.stop());

function snapshot(i: number): L1Snapshot {
  const t = fromEpochMicros(Date.UTC(2026, 10, 24, 10) * 1000 + i * 1000);
  return {
    exchange: 'coinbase',
    product_id: 'BTC-USD',
    bids: [[`${100 + i}.00`, '1.0', 1]],
    asks: [[`${101 + i}.00`, '2.0', 1]],
    timestamp: t,
    sequence: String(1000 + i),
    received_at: t,
  };
}

it('holds snapshots while Redis is down, drops the oldest past its bound, then writes the rest in order', async () => {
  const downs: number[] = [];
  const drops: number[] = [];
  const queue = new WriteQueue(
    new RedisStore(own.redis),
    { maxQueued: 20, batchSize: 7, minRetryMs: 20, maxRetryMs: 100 },
    { onDown: (_e, q) => downs.push(q), onDropped: (n) => drops.push(n) },
  );
  await own.server.kill();
  await expect(own.redis.ping()).rejects.toThrow();
  for (let i = 0; i < 50; i++) queue.push(snapshot(i));
  await new Promise((r) => setTimeout(r, 200));
  expect(queue.depth).toBeLessThanOrEqual(20 + 7);
  expect(queue.dropped).toBe(50 - queue.depth);
  expect(downs.length).toBe(1);
  await own.server.start();
  const lost = await queue.drain(5000);
  expect(lost).toBe(0);
  const keys = await own.redis.zrange('orderbook:index:BTC-USD', 0, -1);
  const sequences = await Promise.all(keys.map((k) => own.redis.hget(k, 'sequence')));
  // The newest survive, oldest first, with nothing in between missing.
  const expected = Array.from({ length: 50 - queue.dropped }, (_, j) => String(1000 + queue.dropped + j));
  expect(sequences).toEqual(expected);
  expect(queue.stored).toBe(expected.length);
});

it('drain gives up at its deadline and reports what it could not write', async () => {
  const queue = new WriteQueue(new RedisStore(own.redis), {
    maxQueued: 100,
    batchSize: 10,
    minRetryMs: 20,
    maxRetryMs: 50,
  });
  await own.server.kill();
  for (let i = 0; i < 5; i++) queue.push(snapshot(100 + i));
  const t0 = performance.now();
  const lost = await queue.drain(300);
  expect(performance.now() - t0).toBeLessThan(2000);
  expect(lost).toBe(5);
  await own.server.start();
});
