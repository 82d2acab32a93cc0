/**
 * The write queue with a spool behind it, on a real Redis that is killed and restarted: the backlog
 * lives on disk, comes back from disk when memory let it go, and its size bound drops the oldest.
 */
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { WriteQueue } from '../../src/capture/write-queue.js';
import { Spool } from '../../src/spool/spool.js';
import { RedisStore } from '../../src/store/redis-store.js';
import { type KillableRedis, startKillableRedis } from '../support/killable-redis.js';
import { sequences, snapshot, storedSequences } from '../support/numbered-tape.js';
import { memoryLog, segmentFiles, spooledRecords, tempDir } from '../support/spool-files.js';

let own: KillableRedis;
beforeAll(async () => {
  own = await startKillableRedis();
});
afterAll(() => own.stop());
beforeEach(async () => {
  await own.up();
  await own.redis.flushall();
});

const fastRetry = { batchSize: 50, minRetryMs: 20, maxRetryMs: 50 };

it('keeps the backlog on disk while Redis is down, reads back what memory let go, writes all in order', async () => {
  const dir = tempDir();
  const log = memoryLog();
  const spool = Spool.open({ dir, maxBytes: 1024 ** 3, maxMemory: 20, log });
  const queue = new WriteQueue(new RedisStore(own.redis), { maxQueued: 20, ...fastRetry, spool });
  await own.server.kill();
  for (let i = 0; i < 300; i++) queue.push(snapshot(i));
  await new Promise((r) => setTimeout(r, 100));
  // All of it is on disk before Redis has any; memory held only 20.
  expect(spooledRecords(dir).map((s) => s.sequence)).toEqual(sequences(0, 300));
  expect(queue.depth).toBe(300);
  expect(queue.dropped).toBe(0);
  await own.server.start();
  expect(await queue.drain(5000)).toBe(0);
  expect(await storedSequences(own.redis)).toEqual(sequences(0, 300));
  expect(spool.close()).toBe(0);
  // Everything reached Redis: nothing is left behind.
  expect(readdirSync(dir)).toEqual([]);
});

it('past --max-spool drops the oldest segments, counts and names them, and keeps the newest', async () => {
  const dir = tempDir();
  const spool = Spool.open({ dir, maxBytes: 64 * 1024, maxMemory: 50, segmentBytes: 4096, log: memoryLog() });
  const drops: { count: number; cause: string | undefined }[] = [];
  const queue = new WriteQueue(
    new RedisStore(own.redis),
    { maxQueued: 50, ...fastRetry, spool },
    { onDropped: (count, _total, cause) => drops.push({ count, cause }) },
  );
  await own.server.kill();
  for (let i = 0; i < 1000; i++) queue.push(snapshot(i));
  await new Promise((r) => setTimeout(r, 100));
  const onDisk = segmentFiles(dir).length;
  expect(onDisk).toBeLessThanOrEqual(17);
  expect(queue.dropped).toBeGreaterThan(600);
  expect(drops.reduce((n, d) => n + d.count, 0)).toBe(queue.dropped);
  expect(drops[0]?.cause).toMatch(/^spool .* full \(--max-spool 64 KiB\)$/);
  await own.server.start();
  expect(await queue.drain(5000)).toBe(0);
  // Exactly the newest survive, with nothing missing between them.
  expect(await storedSequences(own.redis)).toEqual(sequences(queue.dropped, 1000));
  expect(queue.stored + queue.dropped).toBe(1000);
  spool.close();
});

it('a spool left by an earlier process is written first, then the new snapshots', async () => {
  const dir = tempDir();
  const first = Spool.open({ dir, maxBytes: 1024 ** 3, maxMemory: 1000, log: memoryLog() });
  for (let i = 0; i < 120; i++) first.append(snapshot(i));
  // Half of it reached Redis before the process went away.
  const taken = first.take(60);
  await new RedisStore(own.redis).write(taken);
  first.settle(true);
  expect(first.close()).toBe(60);

  const log = memoryLog();
  const spool = Spool.open({ dir, maxBytes: 1024 ** 3, maxMemory: 100, log });
  expect(log.lines).toContainEqual(
    expect.stringMatching(/: 60 snapshot\(s\) from an earlier run .* are written to Redis first$/),
  );
  const queue = new WriteQueue(new RedisStore(own.redis), { maxQueued: 100, ...fastRetry, spool });
  for (let i = 120; i < 150; i++) queue.push(snapshot(i));
  expect(await queue.drain(5000)).toBe(0);
  expect(await storedSequences(own.redis)).toEqual(sequences(0, 150));
  // Only what was not yet in Redis was written again.
  expect(queue.stored).toBe(90);
  expect(queue.duplicates).toBe(0);
  expect(log.lines).toContainEqual(
    expect.stringMatching(/^info: spool: the 60 snapshot\(s\) from the earlier run are in Redis/),
  );
  spool.close();
});

it('skips a whole record that is not a snapshot (another version wrote it), counts it, writes the rest', async () => {
  const dir = tempDir();
  const first = Spool.open({ dir, maxBytes: 1024 ** 3, maxMemory: 100, log: memoryLog() });
  for (let i = 0; i < 10; i++) first.append(snapshot(i));
  // Checksummed like any record, but its product id could never build a key.
  first.append({ ...snapshot(10), product_id: 'BTC:USD' });
  for (let i = 11; i < 20; i++) first.append(snapshot(i));
  first.close();

  const log = memoryLog();
  const spool = Spool.open({ dir, maxBytes: 1024 ** 3, maxMemory: 100, log });
  const drops: (string | undefined)[] = [];
  const queue = new WriteQueue(
    new RedisStore(own.redis),
    { maxQueued: 100, ...fastRetry, spool },
    { onDropped: (_n, _t, cause) => drops.push(cause) },
  );
  expect(await queue.drain(5000)).toBe(0);
  expect(await storedSequences(own.redis)).toEqual([...sequences(0, 10), ...sequences(11, 20)]);
  expect(queue.dropped).toBe(1);
  expect(drops).toEqual([expect.stringMatching(/: record\(s\) this version cannot read$/)]);
  expect(log.lines).toContainEqual(
    expect.stringMatching(
      /^error: spool: the record at byte \d+ of .*segment-\d+\.spool is not a snapshot this version can read; skipped$/,
    ),
  );
  spool.close();
});
