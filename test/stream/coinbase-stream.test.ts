/**
 * l1-fetch --stream against a fake Coinbase level2_batch feed: the local book's top, change by
 * change, into a real Redis.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeCoinbaseStream } from '../support/fake-stream-venues.js';
import { startFetch } from '../support/run-cli.js';
import { useTestRedis } from '../support/test-redis.js';
import {
  expectStoredAsShown,
  readStored,
  streamArgs,
  venueCounters,
  waitForStored,
} from './stream-harness.js';

const redis = useTestRedis();
let fake: FakeCoinbaseStream;

beforeEach(async () => {
  await redis.flush();
  fake = new FakeCoinbaseStream();
  fake
    .addProduct(
      'BTC-USD',
      [
        ['97000.10', '0.5'],
        ['96999.00', '1.25000000'],
      ],
      [
        ['97000.20', '0.75'],
        ['97001.00', '2'],
      ],
    )
    .addProduct('ETH-USD', [['3100.01', '4']], [['3100.05', '3.5']]);
  await fake.start();
});
afterEach(() => fake.stop());

function args(products: string[], more: string[] = []): string[] {
  return streamArgs('coinbase', fake.url, redis.url, products, ['--log-format', 'json', ...more]);
}

describe('l1-fetch --stream (coinbase level2_batch)', () => {
  it('stores every change of the top verbatim, nothing for unchanged updates; junk, a drop and a crossed book do not lose a change', async () => {
    const run = startFetch(args(['BTC-USD', 'ETH-USD'], ['--feed-timeout', '3s', '--metrics-port', '0']));
    await fake.subscribed(['BTC-USD', 'ETH-USD']);
    fake.setTop('BTC-USD', ['97000.15', '0.30000000'], ['97000.20', '0.75']);
    fake.repeatTop('BTC-USD');
    fake.sendRaw('this is not json');
    fake.sendRaw('{"type":"ticker","product_id":"BTC-USD","price":"1"}');
    fake.setTop('BTC-USD', ['97000.15', '0.30000000'], ['97000.18', '1.1']);
    fake.setTopWithPlaceholderTime('ETH-USD', ['3100.02', '1']);
    await waitForStored(redis.client(), 'coinbase', 'BTC-USD', 3);

    // A dropped connection: a new socket, new subscriptions, a new snapshot; nothing stored twice.
    fake.drop();
    await fake.until(() => fake.accepted === 2, 'a reconnect');
    await fake.subscribed(['BTC-USD', 'ETH-USD']);
    fake.setTop('BTC-USD', ['97000.16', '2'], ['97000.18', '1.1']);

    // ETH-USD misses an update: its book crosses, and that product alone is resubscribed.
    fake.missAskUpdate('ETH-USD', ['3100.10', '2'], ['3100.20', '1']);
    await fake.until(() => fake.received.some((m) => m.includes('"unsubscribe"')), 'a resync');
    await fake.subscribed(['ETH-USD']);
    fake.setTop('BTC-USD', undefined, ['97000.18', '1.1']);
    await waitForStored(redis.client(), 'coinbase', 'BTC-USD', 5);
    await waitForStored(redis.client(), 'coinbase', 'ETH-USD', 3);

    // The same counters on /metrics, for Prometheus.
    const metricsUrl = /metrics on (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(run.stderr())?.[1];
    const scraped = await (await fetch(metricsUrl ?? 'http://127.0.0.1:1/')).text();
    expect(scraped).toContain('l1_stream_reconnects_total{venue="coinbase"} 1');
    expect(scraped).toContain('l1_stream_resyncs_total{venue="coinbase"} 1');
    expect(scraped).toContain('l1_stream_connections_open{venue="coinbase"} 1');

    const r = await run.stop('SIGTERM');
    expect(r.code, r.stderr).toBe(0);
    await expectStoredAsShown(redis.client(), 'coinbase', fake.shown);
    const v = venueCounters(r.stderr, 'coinbase');
    expect(v).toMatchObject({ connections: 1, reconnects: 1, resyncs: 1, gaps: 1 });
    expect(v.malformed).toBeGreaterThanOrEqual(1);
    expect(v.unknown).toBeGreaterThanOrEqual(1);
    // The placeholder time 0001-01-01 is not stored as the exchange time.
    const eth = await readStored(redis.client(), 'coinbase', 'ETH-USD');
    expect(eth.some((s) => s.bid?.[0] === '3100.02' && s.timestampSource === 'received')).toBe(true);
    // The summary on stdout lists the products and the venue's counters.
    expect(r.stdout).toMatch(/BTC-USD\s+\d+\s+5\s/);
    // connections, reconnects, handovers, resyncs, gaps
    expect(r.stdout).toMatch(/coinbase\s+1\s+1\s+0\s+1\s+1/);
  });
});
