/**
 * The scenario of issue 11: Redis goes down for 10 s, the fetcher is killed with SIGKILL 5 s into
 * the outage, then both come back. With --spool-dir, every snapshot the fake exchange served must
 * end up in Redis. The Redis here keeps an AOF (appendfsync always), so what it confirmed before
 * its own kill is still there after it, and every served snapshot can be checked.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { expect, it } from 'vitest';
import { FakeCoinbase } from '../support/fake-coinbase.js';
import { storedSequences } from '../support/numbered-tape.js';
import { startRedisServer } from '../support/redis-server.js';
import { type CliResult, FETCH_BIN, runCli } from '../support/run-cli.js';
import { segmentFiles, spooledRecords, tempDir } from '../support/spool-files.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PRODUCTS = ['BTC-USD', 'ETH-USD', 'SOL-USD', 'ADA-USD', 'XRP-USD'];

it('loses no snapshot when Redis is down for 10 s and the fetcher is killed -9 5 s into it', async () => {
  const own = await startRedisServer({ persistent: true });
  const fake = new FakeCoinbase();
  await fake.start();
  const client = new Redis(own.url, { lazyConnect: true });
  try {
    fake.addProducts(PRODUCTS);
    const work = tempDir('l1-kill-nine-');
    const spool = join(work, 'spool');
    const csv = join(work, 'products.csv');
    writeFileSync(csv, `product_id\n${PRODUCTS.join('\n')}\n`);
    // 5 requests a second, 200 ms apart.
    const args = ['--csv', csv, '--base-url', fake.url, '--redis-url', own.url, '--interval', '1s'];
    args.push('--spool-dir', spool);

    let kill: (() => void) | undefined;
    const first = runCli(FETCH_BIN, args, {
      timeoutMs: 30_000,
      onSpawn: (_pid, child) => {
        kill = () => child.kill('SIGKILL');
      },
    });
    // Stored for a while first (a cold start on a busy machine takes a while).
    while (fake.served.length < 2 * PRODUCTS.length) await sleep(20);
    await own.kill();
    const outageStart = performance.now();
    const servedBeforeOutage = fake.served.length;
    await sleep(5000);
    // Kill right after the fetcher has spooled what it received: a response still on the wire at
    // the kill was never fetched, so it could not count as lost (see the report in the docs).
    const key = (s: { product_id?: string; productId?: string; sequence: string }) =>
      `${s.product_id ?? s.productId}/${s.sequence}`;
    for (;;) {
      const spooled = new Set(spooledRecords(spool).map(key));
      if (fake.served.every((s) => spooled.has(key(s)))) break;
      await sleep(10);
    }
    kill?.();
    const killed: CliResult = await first;
    const servedAtKill = fake.served.length;
    expect(killed.signal).toBe('SIGKILL');
    expect(killed.stderr).toMatch(/Redis write failed .*; keeping snapshots in the spool/);
    expect(servedAtKill - servedBeforeOutage).toBeGreaterThanOrEqual(20);
    expect(segmentFiles(spool).length).toBeGreaterThan(0);

    await sleep(10_000 - (performance.now() - outageStart));
    await own.start();
    const second = await runCli(FETCH_BIN, [...args, '--count', '1'], { timeoutMs: 20_000 });
    expect(second.stderr).toMatch(/took over the lock of process \d+, which is no longer running/);
    expect(second.stderr).toMatch(/snapshot\(s\) from an earlier run .* are written to Redis first/);
    expect(second.code).toBe(0);
    expect(fake.served.length).toBe(servedAtKill + PRODUCTS.length);

    // Every snapshot the exchange served, before, during and after the outage, is in Redis.
    const stored = new Set<string>();
    for (const p of PRODUCTS)
      for (const sequence of await storedSequences(client, p)) stored.add(`${p}/${sequence}`);
    const lost = fake.served.filter((s) => !stored.has(key(s)));
    expect(lost).toEqual([]);
    expect(stored.size).toBe(fake.served.length);
    expect(segmentFiles(spool)).toEqual([]);
  } finally {
    client.disconnect();
    await fake.stop();
    await own.stop();
  }
}, 40_000);
