/** The capture's own buffer: ordered, bounded, and it outlives a Redis outage. Real Redis. */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { WriteQueue } from '../../src/capture/write-queue.js';
import type { L1Snapshot } from '../../src/snapshot.js';
import { RedisStore } from '../../src/store/redis-store.js';
import { fromEpochMicros } from '../../src/timestamp.js';
import { type RedisServerHandle, startRedisServer } from '../support/redis-server.js';

let server: RedisServerHandle;
let redis: Redis;
beforeAll(async () => {
  server = await startRedisServer();
  redis = new Redis(server.url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => 50,
  });
  redis.on('error', () => {});
});
afterAll(async () => {
  redis.disconnect();
  await server.stop();
});

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
    new RedisStore(redis),
    { maxQueued: 20, batchSize: 7, minRetryMs: 20, maxRetryMs: 100 },
    { onDown: (_e, q) => downs.push(q), onDropped: (n) => drops.push(n) },
  );
  await server.kill();
  await expect(redis.ping()).rejects.toThrow();
  for (let i = 0; i < 50; i++) queue.push(snapshot(i));
  await new Promise((r) => setTimeout(r, 200));
  expect(queue.depth).toBeLessThanOrEqual(20 + 7);
  expect(queue.dropped).toBe(50 - queue.depth);
  expect(downs.length).toBe(1);
  await server.start();
  const lost = await queue.drain(5000);
  expect(lost).toBe(0);
  const keys = await redis.zrange('orderbook:index:BTC-USD', 0, -1);
  const sequences = await Promise.all(keys.map((k) => redis.hget(k, 'sequence')));
  // The newest survive, oldest first, with nothing in between missing.
  const expected = Array.from({ length: 50 - queue.dropped }, (_, j) => String(1000 + queue.dropped + j));
  expect(sequences).toEqual(expected);
  expect(queue.stored).toBe(expected.length);
});

it('drain gives up at its deadline and reports what it could not write', async () => {
  const queue = new WriteQueue(new RedisStore(redis), {
    maxQueued: 100,
    batchSize: 10,
    minRetryMs: 20,
    maxRetryMs: 50,
  });
  await server.kill();
  for (let i = 0; i < 5; i++) queue.push(snapshot(100 + i));
  const t0 = performance.now();
  const lost = await queue.drain(300);
  expect(performance.now() - t0).toBeLessThan(2000);
  expect(lost).toBe(5);
  await server.start();
});
