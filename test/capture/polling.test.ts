/**
 * Long-running capture, end to end: the built l1-fetch polls a fake Coinbase (which enforces the
 * documented 10 req/s, burst 15) into a real throwaway Redis; faults are injected on the wire.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeCoinbase } from '../support/fake-coinbase.js';
import { startRedisServer } from '../support/redis-server.js';
import { FETCH_BIN, runCli } from '../support/run-cli.js';
import { useTestRedis } from '../support/test-redis.js';

const redis = useTestRedis();
let fake: FakeCoinbase;
const dir = mkdtempSync(join(tmpdir(), 'l1-polling-'));

function csv(ids: readonly string[]): string {
  const path = join(dir, `p-${Math.random().toString(36).slice(2)}.csv`);
  writeFileSync(path, `product_id\n${ids.join('\n')}\n`);
  return path;
}

/** l1-fetch's arguments for `products` against the fake and this file's Redis, plus `more`. */
function fetchArgs(products: readonly string[], more: string[]): string[] {
  return ['--csv', csv(products), '--base-url', fake.url, '--redis-url', redis.url, ...more];
}

function ids(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `P${i}-USD`);
}

/** Every (product, sequence) the fake served must be in Redis. */
async function assertAllServedStored(client: Redis, served: FakeCoinbase['served']): Promise<void> {
  const stored = new Set<string>();
  for (const product of new Set(served.map((s) => s.productId))) {
    const keys = await client.zrange(`orderbook:index:${product}`, 0, -1);
    const pipeline = client.pipeline();
    for (const k of keys) pipeline.hget(k, 'sequence');
    for (const [, seq] of (await pipeline.exec()) ?? []) stored.add(`${product}/${String(seq)}`);
  }
  const missing = served.filter((s) => !stored.has(`${s.productId}/${s.sequence}`));
  expect(missing).toEqual([]);
}

beforeEach(async () => {
  await redis.flush();
  fake = new FakeCoinbase();
  await fake.start();
});
afterEach(() => fake.stop());

describe('l1-fetch --interval', () => {
  it('never exceeds the venue limit with many products, warns once with the effective interval', async () => {
    const products = ids(40);
    fake.addProducts(products);
    const r = await runCli(FETCH_BIN, fetchArgs(products, ['--interval', '1s', '--duration', '5s']));
    expect(r.stderr).toMatch(
      /coinbase: 40 request\(s\) every 1s needs 40\.0\/s, above the 9\.0\/s the rate limit allows; each product will be polled about every 4\.\d+s/,
    );
    expect(fake.limitViolations).toBe(0);
    expect(fake.requests.filter((q) => q.status === 429)).toEqual([]);
    // Spread evenly at 9/s (no burst at start): about 45 requests in 5 s; it used the budget.
    expect(fake.requests.length).toBeGreaterThan(40);
    expect(fake.requests.length).toBeLessThanOrEqual(13 + 9 * 5.1);
    expect(fake.maxRequestsInWindow(1000)).toBeLessThanOrEqual(11);
    await assertAllServedStored(redis.client(), fake.served);
    expect(r.code).toBe(0);
  });

  it('honours Retry-After on a 429 storm and still stores every product', async () => {
    fake.addProducts(['BTC-USD', 'ETH-USD']);
    fake.setFault('BTC-USD', { kind: '429', retryAfter: '1', times: 2 });
    const r = await runCli(
      FETCH_BIN,
      fetchArgs(['BTC-USD', 'ETH-USD'], ['--interval', '200ms', '--duration', '4s']),
    );
    const reqs = fake.requests;
    const first429 = reqs.findIndex((q) => q.status === 429);
    expect(first429).toBeGreaterThanOrEqual(0);
    const t429 = reqs[first429]?.at ?? 0;
    // Nothing at all goes to the venue during the Retry-After pause (the limiter is shared).
    const during = reqs.filter((q) => q.at > t429 + 5 && q.at < t429 + 950);
    expect(during).toEqual([]);
    expect(fake.limitViolations).toBe(0);
    await assertAllServedStored(redis.client(), fake.served);
    expect(await redis.client().zcard('orderbook:index:BTC-USD')).toBeGreaterThan(0);
    expect(r.code).toBe(0);
  });

  it('retries 5xx, timeouts, resets and malformed bodies; a missing product fails alone (exit 1)', async () => {
    const products = ['A-USD', 'B-USD', 'C-USD', 'D-USD', 'E-USD'];
    fake.addProducts(products);
    fake.setFault('A-USD', { kind: '500', times: 2 });
    fake.setFault('B-USD', { kind: 'slow', delayMs: 1500, times: 1 });
    fake.setFault('C-USD', { kind: 'reset', times: 2 });
    fake.setFault('D-USD', { kind: 'malformed', times: 2 });
    const r = await runCli(
      FETCH_BIN,
      fetchArgs([...products, 'NOPE-USD'], ['--interval', '300ms', '--duration', '3s', '--timeout', '500ms']),
    );
    for (const p of products)
      expect(await redis.client().zcard(`orderbook:index:${p}`), p).toBeGreaterThan(0);
    expect(await redis.client().exists('orderbook:index:NOPE-USD')).toBe(0);
    expect(r.stderr).toContain("product 'NOPE-USD' does not exist");
    // The 404 is reported once, not once per poll.
    expect(r.stderr.match(/warn: coinbase: product 'NOPE-USD' does not exist/g)?.length).toBe(1);
    expect(r.stderr).toMatch(/never stored: NOPE-USD/);
    // NOPE-USD was asked about a few times but never retried within a poll (a 404 is final).
    const nope = fake.requests.filter((q) => q.productId === 'NOPE-USD').length;
    expect(nope).toBeLessThanOrEqual(11);
    expect(r.code).toBe(1);
  });

  it('loses nothing across a Redis outage: every served snapshot is stored once Redis is back', async () => {
    const own = await startRedisServer();
    try {
      const products = ids(5);
      fake.addProducts(products);
      const run = runCli(
        FETCH_BIN,
        [
          '--csv',
          csv(products),
          '--base-url',
          fake.url,
          '--redis-url',
          own.url,
          '--interval',
          '100ms',
          '--duration',
          '4s',
        ],
        { timeoutMs: 20_000 },
      );
      // Polling for real before the outage (a busy machine can take a while to start the CLI).
      for (let waited = 0; fake.served.length < 10 && waited < 10_000; waited += 50)
        await new Promise((r) => setTimeout(r, 50));
      await own.kill();
      const servedBeforeOutage = fake.served.length;
      await new Promise((r) => setTimeout(r, 1500));
      const servedDuringOutage = fake.served.length - servedBeforeOutage;
      await own.start();
      const r = await run;
      expect(servedDuringOutage).toBeGreaterThan(10);
      expect(r.stderr).toMatch(/Redis write failed/);
      expect(r.stderr).toMatch(/Redis is back after/);
      const client = new Redis(own.url);
      try {
        // The restarted server starts empty: what is there now was written after the outage,
        // so check the snapshots served from the kill on.
        await assertAllServedStored(client, fake.served.slice(servedBeforeOutage + 5));
      } finally {
        client.disconnect();
      }
      expect(r.code).toBe(0);
    } finally {
      await own.stop();
    }
  });

  it('SIGTERM stops cleanly: what was fetched is stored, a summary is printed, exit 0', async () => {
    const products = ids(3);
    fake.addProducts(products);
    const r = await runCli(FETCH_BIN, fetchArgs(products, ['--interval', '100ms']), {
      // Stopped once it has polled a few rounds, however long a busy machine takes to start it.
      onSpawn: (_pid, child) => {
        const check = setInterval(() => {
          if (fake.served.length < 6) return;
          clearInterval(check);
          child.kill('SIGTERM');
        }, 20);
      },
    });
    expect(r.stderr).toContain('SIGTERM: stopping');
    expect(r.stdout).toMatch(/^PRODUCT\s+FETCHED\s+STORED/);
    expect(fake.served.length).toBeGreaterThan(5);
    await assertAllServedStored(redis.client(), fake.served);
    expect(r.code).toBe(0);
  });

  it('--count polls each product N times; --skip-unchanged stores only changes', async () => {
    fake.addProducts(['BTC-USD', 'ETH-USD']);
    const eth = fake.books.get('ETH-USD');
    if (eth) eth.frozen = true;
    const r = await runCli(
      FETCH_BIN,
      fetchArgs(
        ['BTC-USD', 'ETH-USD'],
        ['--interval', '100ms', '--count', '4', '--skip-unchanged', '--json'],
      ),
    );
    expect(r.code).toBe(0);
    expect(fake.requests.length).toBe(8);
    expect(await redis.client().zcard('orderbook:index:BTC-USD')).toBe(4);
    expect(await redis.client().zcard('orderbook:index:ETH-USD')).toBe(1);
    const summary = JSON.parse(r.stdout) as {
      product_id: string;
      stored: number;
      skipped_unchanged: number;
    }[];
    expect(summary.find((s) => s.product_id === 'ETH-USD')).toMatchObject({
      stored: 1,
      skipped_unchanged: 3,
    });
  });

  it('warns when a product goes stale', async () => {
    fake.addProducts(['BTC-USD']);
    const btc = fake.books.get('BTC-USD');
    if (btc) btc.frozen = true;
    const r = await runCli(
      FETCH_BIN,
      fetchArgs(['BTC-USD'], ['--interval', '100ms', '--duration', '2500ms', '--stale-after', '1s']),
    );
    // Checked once a second: past --stale-after by up to a second, more on a busy machine.
    expect(r.stderr).toMatch(/BTC-USD: data unchanged for [12]\.\d+s \(sequence \d+/);
    expect(r.code).toBe(0);
  });

  it('writes JSON log lines with --log-format json', async () => {
    fake.addProducts(['BTC-USD']);
    const r = await runCli(
      FETCH_BIN,
      fetchArgs(['BTC-USD'], ['--interval', '100ms', '--count', '2', '--log-format', 'json']),
    );
    const lines = r.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { level: string; event?: string });
    expect(lines.map((l) => l.event)).toContain('start');
    expect(lines.at(-1)?.event).toBe('summary');
    expect(r.code).toBe(0);
  });

  it.each([
    [['--interval', '5x'], /--interval: '5x' is not a duration/],
    [['--interval', '0s'], /--interval: '0s'/],
    [['--interval', '10'], /--interval: '10' has no unit/],
    [['--count', '3'], /--count needs --interval/],
    [['--interval', '1s', '--count', '0'], /--count: '0' is not a whole number/],
    [['--interval', '1s', '--duration', 'soon'], /--duration: 'soon' is not a duration/],
    [['--duration', '1h'], /--duration needs --interval/],
    [['--interval', '1s', '--log-format', 'xml'], /--log-format/],
  ])('rejects %j with exit 2 and writes nothing', async (args, message) => {
    fake.addProducts(['BTC-USD']);
    const before = await redis.client().dbsize();
    const r = await runCli(FETCH_BIN, fetchArgs(['BTC-USD'], [...args]));
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(2);
    expect(fake.requests).toEqual([]);
    expect(await redis.client().dbsize()).toBe(before);
  });
});
