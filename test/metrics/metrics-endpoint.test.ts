/**
 * `l1-fetch --interval … --metrics-port`: Prometheus text on /metrics and /healthz, scraped from
 * the running binary while a fake venue answers (one 429 on the way) and its Redis goes away and
 * comes back. A port already taken is one line, exit 2, before anything is fetched.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeCoinbase } from '../support/fake-coinbase.js';
import { startRedisServer } from '../support/redis-server.js';
import { FETCH_BIN, runCli } from '../support/run-cli.js';

const fake = new FakeCoinbase();
const dir = mkdtempSync(join(tmpdir(), 'l1-metrics-'));
const csv = join(dir, 'products.csv');
writeFileSync(csv, 'product_id\nBTC-USD\nETH-USD\n');

beforeAll(async () => {
  await fake.start();
  fake.addProducts(['BTC-USD', 'ETH-USD']);
});
afterAll(() => fake.stop());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The value of one sample line, e.g. `l1_requests_total{venue="coinbase",outcome="ok"}`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function get(url: string): Promise<{ status: number; body: string; type: string | null }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.text(), type: res.headers.get('content-type') };
}

describe('--metrics-port', () => {
  it('serves metrics and a health check that follows Redis going away and coming back', async () => {
    const redis = await startRedisServer();
    fake.setFault('BTC-USD', { kind: '429', retryAfter: '0', times: 1 });
    let stderr = '';
    let base: string | undefined;
    try {
      const run = runCli(
        FETCH_BIN,
        ['--csv', csv, '--base-url', fake.url, '--redis-url', `${redis.url}/0`, '--interval', '200ms'],
        {
          env: { L1_DURATION: '5s', L1_METRICS_PORT: '0', L1_STALE_AFTER: '3s' },
          timeoutMs: 20_000,
          onSpawn: (_pid, child) =>
            child.stderr?.on('data', (d: Buffer | string) => {
              stderr += d.toString();
              base ??= /metrics on (http:\/\/127\.0\.0\.1:\d+)\/metrics, health on/.exec(stderr)?.[1];
            }),
        },
      );
      while (base === undefined && !/done in/.test(stderr)) await sleep(20);
      await sleep(1200);

      const up = await get(`${base}/metrics`);
      expect(up.status).toBe(200);
      expect(up.type).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = up.body;
      for (const name of [
        'l1_requests_total',
        'l1_rate_limited_total',
        'l1_retries_total',
        'l1_snapshots_stored_total',
        'l1_snapshots_dropped_total',
        'l1_write_queue_depth',
        'l1_spool_depth',
        'l1_redis_write_duration_seconds',
        'l1_seconds_since_last_stored',
        'l1_redis_up',
        'process_cpu_seconds_total',
        'nodejs_heap_size_used_bytes',
      ])
        expect(text, name).toContain(`# TYPE ${name} `);
      expect(sample(text, 'l1_requests_total{venue="coinbase",outcome="ok"}')).toBeGreaterThan(4);
      expect(sample(text, 'l1_requests_total{venue="coinbase",outcome="rate_limited"}')).toBe(1);
      expect(sample(text, 'l1_rate_limited_total{venue="coinbase"}')).toBe(1);
      expect(sample(text, 'l1_retries_total{venue="coinbase"}')).toBe(1);
      expect(sample(text, 'l1_snapshots_stored_total{venue="coinbase",product="ETH-USD"}')).toBeGreaterThan(
        1,
      );
      expect(sample(text, 'l1_redis_write_duration_seconds_count{outcome="ok"}')).toBeGreaterThan(1);
      expect(sample(text, 'l1_seconds_since_last_stored{venue="coinbase",product="BTC-USD"}')).toBeLessThan(
        1.5,
      );
      expect(sample(text, 'l1_redis_up')).toBe(1);
      expect(sample(text, 'l1_snapshots_dropped_total')).toBe(0);
      expect(text).not.toContain('redis://');

      const healthy = await get(`${base}/healthz`);
      expect(healthy.status).toBe(200);
      expect(healthy.body.endsWith('\n') && !healthy.body.trimEnd().includes('\n')).toBe(true);
      expect(JSON.parse(healthy.body)).toMatchObject({ status: 'ok', reason: 'capturing' });

      await redis.kill();
      await sleep(700);
      const down = await get(`${base}/healthz`);
      expect(down.status).toBe(503);
      expect(JSON.parse(down.body)).toMatchObject({
        status: 'unhealthy',
        reason: expect.stringMatching(/^Redis is unreachable; \d+ snapshot\(s\) wait to be written$/),
      });
      const downText = (await get(`${base}/metrics`)).body;
      expect(sample(downText, 'l1_redis_up')).toBe(0);
      expect(sample(downText, 'l1_write_queue_depth')).toBeGreaterThan(0);

      await redis.start();
      await sleep(1500);
      expect((await get(`${base}/healthz`)).status).toBe(200);

      const r = await run;
      expect(r.code).toBe(0);
    } finally {
      await redis.stop();
    }
  });

  it('a port in use is one line naming it, exit 2, before anything is fetched', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    const before = fake.requests.length;
    try {
      const r = await runCli(FETCH_BIN, [
        '--csv',
        csv,
        '--base-url',
        fake.url,
        '--redis-url',
        'redis://127.0.0.1:1',
        '--interval',
        '1s',
        '--metrics-port',
        String(port),
      ]);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(
        `l1-fetch: --metrics-port: port ${port} is already in use on 127.0.0.1 (another l1-fetch?); pick another port\n`,
      );
      expect(fake.requests.length).toBe(before);
    } finally {
      taken.close();
    }
  });
});
