/**
 * l1-fetch --stream as a whole: flags checked before anything connects, --min-interval, the REST
 * fallback of a stream that cannot be reached (and the way back), and a Redis outage mid-stream.
 */
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeBinanceStream, FakeCoinbaseStream } from '../support/fake-stream-venues.js';
import { FakeBinance } from '../support/fake-venues.js';
import { startRedisServer } from '../support/redis-server.js';
import { FETCH_BIN, runCli, startFetch } from '../support/run-cli.js';
import { useTestRedis } from '../support/test-redis.js';
import { expectStoredAsShown, readStored, streamArgs, waitForStored, writeCsv } from './stream-harness.js';

const redis = useTestRedis();
let coinbase: FakeCoinbaseStream;

beforeEach(async () => {
  await redis.flush();
  coinbase = new FakeCoinbaseStream();
  coinbase.addProduct('BTC-USD', [['100.00', '1']], [['100.10', '1']]);
  await coinbase.start();
});
afterEach(() => coinbase.stop());

describe('l1-fetch --stream: bad flags are exit 2 with one line, before anything connects', () => {
  const cases: [string, string[], Record<string, string>, RegExp][] = [
    ['--stream with --interval', ['--interval', '1s'], {}, /--stream and --interval exclude each other/],
    ['--stream with --count', ['--count', '3'], {}, /--stream takes no --count/],
    [
      '--stream with an L1_INTERVAL an image set',
      [],
      { L1_INTERVAL: '1s' },
      /--stream and L1_INTERVAL \(set it empty to unset it\) exclude each other/,
    ],
    [
      'a --ws-url without a venue',
      ['--ws-url', 'wss://example.com'],
      {},
      /--ws-url: 'wss:\/\/example\.com' does not name a venue/,
    ],
    [
      'an unknown venue in --ws-url',
      ['--ws-url', 'ftx=wss://ftx.com'],
      {},
      /--ws-url: unknown exchange 'ftx'/,
    ],
    [
      'a --ws-url that is not ws(s)',
      ['--ws-url', 'kraken=https://ws.kraken.com'],
      {},
      /--ws-url kraken=: .* must start with ws:\/\/ or wss:\/\//,
    ],
    [
      'an unknown venue in L1_WS_URL_*',
      [],
      { L1_WS_URL_FTX: 'wss://ftx.com' },
      /^l1-fetch: L1_WS_URL_FTX: unknown exchange 'ftx'/,
    ],
    ['a bad --min-interval', ['--min-interval', 'soon'], {}, /--min-interval/],
  ];
  for (const [name, more, env, message] of cases) {
    it(name, async () => {
      const before = await redis.client().dbsize();
      const r = await runCli(
        FETCH_BIN,
        [
          '--csv',
          writeCsv([['BTC-USD', 'coinbase']]),
          '--stream',
          '--ws-url',
          `coinbase=${coinbase.url}`,
          '--redis-url',
          redis.url,
          ...more,
        ],
        { env },
      );
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
      expect(coinbase.accepted).toBe(0);
      expect(await redis.client().dbsize()).toBe(before);
    });
  }

  it('stream-only flags without --stream', async () => {
    const r = await runCli(FETCH_BIN, [
      '--csv',
      writeCsv([['BTC-USD', 'coinbase']]),
      '--min-interval',
      '1s',
      '--redis-url',
      redis.url,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^l1-fetch: --min-interval: applies only with --stream \(add --stream, or leave it out\)\n$/,
    );
  });
});

describe('l1-fetch --stream --min-interval', () => {
  it('keeps at most one snapshot per window, and the last state of a burst is stored even when stopped mid-window', async () => {
    const run = startFetch(
      streamArgs('coinbase', coinbase.url, redis.url, ['BTC-USD'], ['--min-interval', '400ms']),
    );
    await coinbase.subscribed(['BTC-USD']);
    await waitForStored(redis.client(), 'coinbase', 'BTC-USD', 1);
    const started = performance.now();
    for (let i = 1; i <= 25; i++) {
      coinbase.setTop('BTC-USD', ['100.00', `${i}.5`], ['100.10', '1']);
      await new Promise((r) => setTimeout(r, 20));
    }
    const elapsed = performance.now() - started;
    const r = await run.stop('SIGTERM');
    expect(r.code, r.stderr).toBe(0);
    const stored = await readStored(redis.client(), 'coinbase', 'BTC-USD');
    // The snapshot, then at most one per 400 ms window of the burst, plus the last state at shutdown.
    expect(stored.length).toBeGreaterThanOrEqual(2);
    expect(stored.length).toBeLessThanOrEqual(2 + Math.ceil(elapsed / 400));
    expect(stored.at(-1)?.bid).toEqual(['100.00', '25.5']);
    // Never a state the venue did not show.
    const shown = new Set(coinbase.shown.map((t) => JSON.stringify(t.bid)));
    for (const s of stored) expect(shown.has(JSON.stringify(s.bid))).toBe(true);
  });
});

describe('l1-fetch --stream and quiet products', () => {
  it('a quiet product on a live feed is a staleness warning, not a failure; a dead feed is', async () => {
    const run = startFetch(
      streamArgs(
        'coinbase',
        coinbase.url,
        redis.url,
        ['BTC-USD'],
        ['--stale-after', '1s', '--feed-timeout', '30s'],
      ),
    );
    await coinbase.subscribed(['BTC-USD']);
    // Heartbeats keep coming, the book does not move.
    await new Promise((r) => setTimeout(r, 2500));
    expect(run.stderr()).toMatch(/BTC-USD: data unchanged for 1\.\d+s/);
    expect(run.stderr()).not.toMatch(/no live stream or data/);
    // Now the feed dies without a close: silence past --stale-after is reported per product.
    coinbase.silent = true;
    await new Promise((r) => setTimeout(r, 2500));
    const r = await run.stop('SIGTERM');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/BTC-USD: no live stream or data for [12]\.\d+s/);
  });
});

describe('l1-fetch --stream when a stream cannot be reached', () => {
  it('polls the venue over REST with one warning, and goes back to the stream when it returns', async () => {
    const ws = new FakeBinanceStream();
    const rest = new FakeBinance();
    await Promise.all([ws.start(), rest.start()]);
    try {
      ws.refuseStatus = 451;
      rest.set('BTCUSDT', { bid: ['5.00000000', '1.00000000'], ask: ['5.01000000', '1.00000000'] });
      const run = startFetch(
        streamArgs(
          'binance',
          ws.url,
          redis.url,
          ['BTC-USDT'],
          ['--base-url', `binance=${rest.url}`, '--fallback-interval', '200ms'],
        ),
      );
      await waitForStored(redis.client(), 'binance', 'BTC-USDT', 1, 8000);
      rest.set('BTCUSDT', { bid: ['5.00000000', '2.00000000'], ask: ['5.01000000', '1.00000000'] });
      await waitForStored(redis.client(), 'binance', 'BTC-USDT', 2);
      expect(run.stderr()).toMatch(
        /binance#1: the stream cannot be reached \(the server refused the WebSocket upgrade with HTTP 451 \(blocked from this location or IP\?\)\); polling its 1 product\(s\) over REST every 200ms until it returns/,
      );
      ws.refuseStatus = undefined;
      await ws.subscribed(['BTCUSDT'], 10_000);
      await ws.until(() => /the stream is back/.test(run.stderr()), 'the stream is back', 5000);
      // The REST read that follows a (re)connect, then no more REST: wait until the count settles.
      let settled = rest.count();
      for (let still = 0; still < 400; still += 50) {
        await new Promise((r) => setTimeout(r, 50));
        if (rest.count() !== settled) [settled, still] = [rest.count(), 0];
      }
      ws.setTop('BTC-USDT', ['5.00500000', '1.00000000'], ['5.01000000', '1.00000000']);
      await waitForStored(redis.client(), 'binance', 'BTC-USDT', 3);
      await new Promise((r) => setTimeout(r, 600));
      // Back on the stream: no more polling.
      expect(rest.count()).toBe(settled);
      const r = await run.stop('SIGTERM');
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr.match(/the stream cannot be reached/g)).toHaveLength(1);
      expect(r.stderr).toMatch(/binance#1: the stream is back; REST polling of its products stopped/);
      const stored = await readStored(redis.client(), 'binance', 'BTC-USDT');
      expect(stored.map((s) => [s.bid, s.sequence])).toEqual([
        [['5.00000000', '1.00000000'], ''],
        [['5.00000000', '2.00000000'], ''],
        [['5.00500000', '1.00000000'], ws.shown.at(-1)?.sequence],
      ]);
    } finally {
      await Promise.all([ws.stop(), rest.stop()]);
    }
  }, 30_000);
});

describe('l1-fetch --stream and a Redis outage', () => {
  it('loses no change while Redis is down for 10 s, and SIGTERM afterwards writes everything and exits 0', async () => {
    const own = await startRedisServer();
    try {
      const run = startFetch(streamArgs('coinbase', coinbase.url, own.url, ['BTC-USD']));
      await coinbase.subscribed(['BTC-USD']);
      const before = new Redis(own.url);
      await waitForStored(before, 'coinbase', 'BTC-USD', 1);
      before.disconnect();
      await own.kill();
      const fromKill = coinbase.shown.length;
      const outageEnds = performance.now() + 10_000;
      for (let i = 0; performance.now() < outageEnds; i++) {
        coinbase.setTop('BTC-USD', ['100.00', `${i + 2}`], ['100.10', '1']);
        await new Promise((r) => setTimeout(r, 50));
      }
      await own.start();
      coinbase.setTop('BTC-USD', ['100.01', '1'], ['100.10', '1']);
      const client = new Redis(own.url);
      try {
        const changes = coinbase.shown.length - fromKill;
        await waitForStored(client, 'coinbase', 'BTC-USD', changes, 8000);
        const r = await run.stop('SIGTERM');
        expect(r.code, r.stderr).toBe(0);
        expect(r.stderr).toMatch(/Redis write failed/);
        expect(r.stderr).toMatch(/Redis is back after/);
        // The restarted server starts empty: every change shown from the kill on must be in it.
        await expectStoredAsShown(client, 'coinbase', coinbase.shown.slice(fromKill));
        expect(changes).toBeGreaterThan(100);
      } finally {
        client.disconnect();
      }
    } finally {
      await own.stop();
    }
  }, 40_000);
});
