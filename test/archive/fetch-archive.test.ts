// l1-fetch --archive-dir during a polling capture: the built binary polls a fake Coinbase into a
// real Redis, and its background pass moves what is older than --archive-after into Parquet while
// the capture goes on; the fresh snapshots stay in Redis and none is lost.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RedisStore } from '../../src/store/redis-store.js';
import { nowMicros } from '../../src/timestamp.js';
import { tape } from '../query/fixtures.js';
import { readParquet } from '../support/duckdb-reader.js';
import { FakeCoinbase } from '../support/fake-coinbase.js';
import { FETCH_BIN, runCli, startFetch, waitForStderr } from '../support/run-cli.js';
import { useTestRedis } from '../support/test-redis.js';
import { expectedRow, storedHashes } from './expected-rows.js';

const redis = useTestRedis();
const dir = mkdtempSync(join(tmpdir(), 'l1-fetch-archive-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fake: FakeCoinbase;

beforeEach(async () => {
  await redis.flush();
  fake = new FakeCoinbase();
  await fake.start();
});
afterEach(() => fake.stop());

/** l1-fetch of `csv` from the fake into the test Redis, with more flags. */
const fetchArgs = (csv: string, ...more: string[]) => [
  '--csv',
  csv,
  '--base-url',
  fake.url,
  '--redis-url',
  redis.url,
  ...more,
];

describe('l1-fetch --archive-dir', () => {
  it('archives what is older than --archive-after in the background while capturing', async () => {
    const archiveDir = join(dir, 'archive');
    const csv = join(dir, 'products.csv');
    writeFileSync(csv, 'product_id\nBTC-USD\n');
    fake.addProducts(['BTC-USD']);
    // Two days old: the first pass (2 s after start) moves these.
    const old = tape(20, { startUs: nowMicros() - 2 * 86_400_000_000, seq0: 1n });
    await new RedisStore(redis.client()).write(old);
    const before = await storedHashes(redis.client(), 'orderbook:index:BTC-USD');

    // An L1_REDIS_URL left in the environment names another Redis: --redis-url wins, for the
    // capture and for its archive pass alike.
    const run = startFetch(
      fetchArgs(csv, '--interval', '250ms', '--archive-dir', archiveDir, '--archive-after', '1d'),
      { L1_REDIS_URL: 'redis://127.0.0.1:1' },
    );
    // Stopped once the pass has reported, not after a fixed time: a busy machine starts it later.
    const archived = /archived 20 snapshot\(s\) older than 1d into 1 file\(s\) under /;
    await waitForStderr(run, archived);
    const r = await run.stop();
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(archived);

    const { rows } = await readParquet(join(archiveDir, '**/*.parquet'));
    expect(rows).toEqual(before.map(expectedRow));
    // Redis holds exactly what the capture stored: every snapshot the fake served, none of the old.
    const left = await storedHashes(redis.client(), 'orderbook:index:BTC-USD');
    expect(left.map((h) => h.sequence).sort()).toEqual(fake.served.map((s) => s.sequence).sort());
    expect(fake.served.length).toBeGreaterThan(5);
  });

  it('refuses --archive-dir without --archive-after, without --interval, or empty: exit 2', async () => {
    const csv = join(dir, 'p2.csv');
    writeFileSync(csv, 'product_id\nBTC-USD\n');
    const a = await runCli(FETCH_BIN, fetchArgs(csv, '--interval', '1s', '--archive-dir', dir));
    expect({ code: a.code, stderr: a.stderr }).toEqual({
      code: 2,
      stderr: 'l1-fetch: --archive-dir: needs --archive-after too, e.g. --archive-after 1d\n',
    });
    const b = await runCli(FETCH_BIN, fetchArgs(csv, '--archive-dir', dir, '--archive-after', '1d'));
    expect({ code: b.code, stderr: b.stderr }).toEqual({
      code: 2,
      stderr:
        'l1-fetch: --archive-dir: needs --interval or --stream (a one-shot run has nothing to archive as it goes; use l1-archive)\n',
    });
    // An empty value (an unset shell variable) would archive into the working directory.
    const c = await runCli(
      FETCH_BIN,
      fetchArgs(csv, '--interval', '1s', '--archive-dir', '', '--archive-after', '1d'),
    );
    expect({ code: c.code, stderr: c.stderr }).toEqual({
      code: 2,
      stderr: 'l1-fetch: --archive-dir: empty; name a directory, e.g. --archive-dir /data/l1-archive\n',
    });
    // A directory that cannot be made, or takes no file, is found at start, not a minute in.
    const unusable: [string, string][] = [
      [join(csv, 'archive'), `cannot create ${join(csv, 'archive')}: a file is in the way (ENOTDIR)`],
      ['/proc', 'cannot write in /proc: '],
    ];
    for (const [archiveDir, said] of unusable) {
      const d = await runCli(
        FETCH_BIN,
        fetchArgs(csv, '--interval', '1s', '--archive-dir', archiveDir, '--archive-after', '1d'),
      );
      expect(d.code).toBe(2);
      expect(d.stderr).toContain(`l1-fetch: --archive-dir: ${said}`);
      expect(d.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(await redis.client().dbsize()).toBe(0);
  });
});
