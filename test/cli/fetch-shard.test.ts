// l1-fetch --shard K/N as a user runs it: N processes given one CSV store every product exactly
// once between them; a bad K/N is exit 2 with one line and nothing fetched or written.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeCoinbase } from '../support/fake-coinbase.js';
import { FETCH_BIN, runCli } from '../support/run-cli.js';
import { useTestRedis } from '../support/test-redis.js';

const redis = useTestRedis();
const fake = new FakeCoinbase({ enforceLimit: false });
const dir = mkdtempSync(join(tmpdir(), 'l1-shard-'));
const PRODUCTS = Array.from({ length: 10 }, (_, i) => `S${i}-USD`);
const CSV = join(dir, 'products.csv');
writeFileSync(CSV, `product_id\n${PRODUCTS.join('\n')}\n`);

beforeAll(() => fake.start());
afterAll(() => fake.stop());
beforeEach(async () => {
  await redis.flush();
  fake.requests.length = 0;
  fake.addProducts(PRODUCTS);
});

const shardRun = (shard: string, csv = CSV) =>
  runCli(FETCH_BIN, ['--csv', csv, '--base-url', fake.url, '--redis-url', redis.url, '--shard', shard]);

describe('l1-fetch --shard', () => {
  it('three processes with K = 1..3 store every product of the CSV exactly once', async () => {
    const runs = await Promise.all(['1/3', '2/3', '3/3'].map((s) => shardRun(s)));
    const counts: number[] = [];
    for (const [k, r] of runs.entries()) {
      expect(r.code).toBe(0);
      const n = Number(
        new RegExp(`shard ${k + 1}/3: (\\d+) of 10 product\\(s\\) in the CSV`).exec(r.stderr)?.[1],
      );
      counts.push(n);
      expect(r.stderr).toContain(`stored ${n} of ${n} product(s)`);
    }
    expect(counts.reduce((a, b) => a + b)).toBe(10);
    expect(counts.every((n) => n > 0)).toBe(true);
    const c = redis.client();
    expect((await c.smembers('orderbook:products')).sort()).toEqual([...PRODUCTS].sort());
    for (const p of PRODUCTS) expect(await c.zcard(`orderbook:index:${p}`)).toBe(1);
    // One request per product in all: nothing was fetched twice.
    expect(fake.requests.map((q) => q.productId).sort()).toEqual([...PRODUCTS].sort());
  });

  it('a share with no product says so and exits 0', async () => {
    const one = join(dir, 'one.csv');
    writeFileSync(one, 'product_id\nS0-USD\n');
    const runs = await Promise.all(['1/2', '2/2'].map((s) => shardRun(s, one)));
    const empty = runs.find((r) => /nothing for this process to capture/.test(r.stderr));
    expect(empty?.stderr.trim()).toMatch(
      /^l1-fetch: shard [12]\/2: 0 of 1 product\(s\) in the CSV; nothing for this process to capture$/,
    );
    expect(runs.map((r) => r.code)).toEqual([0, 0]);
    expect(await redis.client().zcard('orderbook:index:S0-USD')).toBe(1);
  });

  it.each(['0/3', 'two/3'])('--shard %s is exit 2, one line, nothing fetched or written', async (bad) => {
    const r = await shardRun(bad);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      `l1-fetch: --shard: '${bad}' must be K/N with 1 ≤ K ≤ N ≤ 1024, e.g. --shard 1/3 … --shard 3/3 for three processes`,
    ]);
    expect(fake.requests).toEqual([]);
    expect(await redis.client().dbsize()).toBe(0);
  });
});
