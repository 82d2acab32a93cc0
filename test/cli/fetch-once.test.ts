/** l1-fetch one-shot, run as a user runs it: the built bin, a fake Coinbase, a real Redis. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeCoinbase } from '../support/fake-coinbase.js';
import { startRedisServer } from '../support/redis-server.js';
import { FETCH_BIN, runCli } from '../support/run-cli.js';
import { useTestRedis } from '../support/test-redis.js';

const redis = useTestRedis();
const fake = new FakeCoinbase();
const dir = mkdtempSync(join(tmpdir(), 'l1-fetch-'));
let n = 0;
function file(content: string | Buffer): string {
  const path = join(dir, `f${n++}.csv`);
  writeFileSync(path, content);
  return path;
}

beforeAll(() => fake.start());
afterAll(() => fake.stop());
beforeEach(async () => {
  await redis.flush();
  fake.books.clear();
  fake.faults.clear();
  fake.requests.length = 0;
  fake.addProducts(['BTC-USD', 'ETH-USD', 'SOL-USD']);
});

const fetchArgs = (csv: string, ...more: string[]) => [
  '--csv',
  csv,
  '--base-url',
  fake.url,
  '--redis-url',
  redis.url,
  ...more,
];

describe('l1-fetch --csv', () => {
  it('stores one snapshot per product and prints a table of what it wrote', async () => {
    const csv = file('product_id,note\n BTC-USD ,x\n\neth-usd,y\nBTC-USD,dup\n');
    const r = await runCli(FETCH_BIN, fetchArgs(csv));
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      /f\d+\.csv:5: duplicate product BTC-USD( on coinbase)? \(first on line 2\) ignored/,
    );
    expect(r.stderr).toContain('stored 2 of 2 product(s)');
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^PRODUCT\s+BID × SIZE\s+ASK × SIZE\s+SPREAD\s+SEQUENCE\s+KEY$/);
    expect(lines[1]).toMatch(
      /^BTC-USD\s+100\.01 × 1\.50000000\s+100\.05 × 0\.25000000\s+0\.04\s+\d+\s+orderbook:BTC-USD:\S+Z$/,
    );
    expect(lines[2]).toMatch(/^ETH-USD\s+110\.01 × 1\.50000000/);
    const c = redis.client();
    expect((await c.smembers('orderbook:products')).sort()).toEqual(['BTC-USD', 'ETH-USD']);
    const [key] = await c.zrange('orderbook:index:BTC-USD', 0, -1);
    expect(lines[1]).toContain(key);
    expect(await c.hget(key ?? '', 'bids')).toBe('[["100.01","1.50000000",3]]');
  });

  it('--json prints the stored snapshots, decimals as strings', async () => {
    const r = await runCli(FETCH_BIN, fetchArgs(file('product_id\nBTC-USD\n'), '--json'));
    expect(r.code).toBe(0);
    const [s] = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(s).toMatchObject({
      product_id: 'BTC-USD',
      exchange: 'coinbase',
      bids: [['100.01', '1.50000000', 3]],
    });
    expect(typeof s?.sequence).toBe('string');
    expect(await redis.client().exists(String(s?.key))).toBe(1);
  });

  it('an unknown product fails alone: the others are stored, exit 1', async () => {
    const r = await runCli(FETCH_BIN, fetchArgs(file('product_id\nBTC-USD\nNOPE-USD\nETH-USD\n')));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("coinbase: product 'NOPE-USD' does not exist (404 NotFound)");
    expect(r.stderr).toContain('stored 2 of 3 product(s), 1 failed');
    expect(await redis.client().scard('orderbook:products')).toBe(2);
    expect(fake.requests.filter((q) => q.productId === 'NOPE-USD')).toHaveLength(1);
  });

  it('retries a 429 after Retry-After and a 500, then stores', async () => {
    fake.setFault('BTC-USD', { kind: '429', retryAfter: '1', times: 1 });
    fake.setFault('ETH-USD', { kind: '500', times: 2 });
    const t0 = performance.now();
    const r = await runCli(FETCH_BIN, fetchArgs(file('product_id\nBTC-USD\nETH-USD\n')));
    expect(r.code).toBe(0);
    expect(performance.now() - t0).toBeGreaterThan(1000);
    expect(r.stderr).toMatch(/retry 1 in \d+ ms: coinbase BTC-USD: rate limited \(429/);
    expect(await redis.client().scard('orderbook:products')).toBe(2);
  });

  it('gives up after --retries and says why', async () => {
    fake.setFault('BTC-USD', { kind: '500' });
    const r = await runCli(FETCH_BIN, fetchArgs(file('product_id\nBTC-USD\n'), '--retries', '1'));
    expect(r.code).toBe(1);
    expect(fake.requests.filter((q) => q.productId === 'BTC-USD')).toHaveLength(2);
    expect(r.stderr).toContain('coinbase BTC-USD: server error 500');
  });
});

describe('l1-fetch bad input: exit 2, one clear line, nothing written', () => {
  const cases: [string, () => string[], RegExp][] = [
    ['missing file', () => fetchArgs(join(dir, 'nope.csv')), /nope\.csv: file not found/],
    ['empty file', () => fetchArgs(file('')), /is empty; it needs a header row 'product_id'/],
    ['header only', () => fetchArgs(file('product_id\n')), /has a header but no products/],
    [
      'no product_id column',
      () => fetchArgs(file('symbol\nBTC-USD\n')),
      /:1: no 'product_id' column in the header \(found: 'symbol'\)/,
    ],
    [
      'invalid id',
      () => fetchArgs(file('product_id\nBTC-USD\nBTC:USD*\n')),
      /:3: invalid product id 'BTC:USD\*'/,
    ],
    [
      'binary garbage',
      () => fetchArgs(file(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3]))),
      /binary data/,
    ],
    ['a directory', () => fetchArgs(dir), /is a directory/],
    ['no --csv', () => ['--redis-url', redis.url], /required option '--csv <file>' not specified/],
    ['unknown flag', () => fetchArgs(file('product_id\nBTC-USD\n'), '--bogus'), /unknown option '--bogus'/],
    [
      'bad --redis-url',
      () => ['--csv', file('product_id\nBTC-USD\n'), '--redis-url', 'http://x'],
      /--redis-url: 'http:\/\/x\/' must start with redis:\/\//,
    ],
    [
      'bad --base-url',
      () => ['--csv', file('product_id\nBTC-USD\n'), '--redis-url', redis.url, '--base-url', 'nope'],
      /--base-url: 'nope' is not a URL/,
    ],
    [
      'bad --timeout',
      () => fetchArgs(file('product_id\nBTC-USD\n'), '--timeout', 'fast'),
      /--timeout: 'fast' is not a duration/,
    ],
  ];
  it.each(cases)('%s', async (_name, args, message) => {
    const before = await redis.client().dbsize();
    const r = await runCli(FETCH_BIN, args());
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(r.stdout).toBe('');
    expect(fake.requests).toHaveLength(0);
    expect(await redis.client().dbsize()).toBe(before);
  });
});

describe('l1-fetch and an unusable Redis: exit 1 within seconds, password masked', () => {
  it('connection refused', async () => {
    const t0 = performance.now();
    const r = await runCli(FETCH_BIN, [
      '--csv',
      file('product_id\nBTC-USD\n'),
      '--base-url',
      fake.url,
      '--redis-url',
      'redis://:hunter2@127.0.0.1:1/0',
    ]);
    expect(r.code).toBe(1);
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(r.stderr).toMatch(/cannot use Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1\/0: connection refused/);
    expect(r.stderr).not.toContain('hunter2');
    expect(fake.requests).toHaveLength(0);
  });

  it('wrong password and missing password', async () => {
    const secured = await startRedisServer();
    try {
      const admin = new Redis(secured.url);
      await admin.config('SET', 'requirepass', 'right');
      admin.disconnect();
      const url = new URL(secured.url);
      url.password = 'wrong';
      const wrong = await runCli(
        FETCH_BIN,
        ['--csv', file('product_id\nBTC-USD\n'), '--base-url', fake.url, '--redis-url', url.toString()],
        {
          env: {},
        },
      );
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toMatch(/wrong password/);
      expect(wrong.stderr).not.toContain('wrong@');
      const none = await runCli(FETCH_BIN, ['--csv', file('product_id\nBTC-USD\n'), '--base-url', fake.url], {
        env: { REDIS_URL: secured.url },
      });
      expect(none.code).toBe(1);
      expect(none.stderr).toMatch(/the server wants a password/);
    } finally {
      await secured.stop();
    }
  });
});
