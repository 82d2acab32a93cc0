/** The capture's own buffer: ordered, bounded, and it outlives a Redis outage. Real Redis. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { WriteQueue } from '../../src/capture/write-queue.js';
import { RedisStore } from '../../src/store/redis-store.js';
import { type KillableRedis, startKillableRedis } from '../support/killable-redis.js';
import { sequences, snapshot, storedSequences } from '../support/numbered-tape.js';

let own: KillableRedis;
beforeAll(async () => {
  own = await startKillableRedis();
});
afterAll(() => own.stop());

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
  // The newest survive, oldest first, with nothing in between missing.
  expect(await storedSequences(own.redis)).toEqual(sequences(queue.dropped, 50));
  expect(queue.stored).toBe(50 - queue.dropped);
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
