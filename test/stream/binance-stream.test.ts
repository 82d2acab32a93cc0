/**
 * l1-fetch --stream against a fake Binance: bookTicker on the combined-stream endpoint, a REST
 * bookTicker read after each (re)connect, server pings, update-id regressions, serverShutdown.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeBinanceStream } from '../support/fake-stream-venues.js';
import { FakeBinance } from '../support/fake-venues.js';
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
let ws: FakeBinanceStream;
let rest: FakeBinance;

beforeEach(async () => {
  await redis.flush();
  ws = new FakeBinanceStream();
  rest = new FakeBinance();
  await Promise.all([ws.start(), rest.start()]);
});
afterEach(() => Promise.all([ws.stop(), rest.stop()]));

/** The venue's top moves: the stream pushes it, and its REST answer says the same from now on. */
function move(productId: string, bid: [string, string] | undefined, ask: [string, string] | undefined): void {
  ws.setTop(productId, bid, ask);
  rest.set(productId.replace('-', ''), { bid: bid ?? null, ask: ask ?? null });
}

function args(products: string[], more: string[] = []): string[] {
  return streamArgs('binance', ws.url, redis.url, products, [
    '--base-url',
    `binance=${rest.url}`,
    '--log-format',
    'json',
    ...more,
  ]);
}

describe('l1-fetch --stream (binance bookTicker)', () => {
  it('reads the top over REST on connect, then stores every streamed change; regressions and serverShutdown are handled', async () => {
    rest.set('BTCUSDT', { bid: ['97000.01000000', '0.50000000'], ask: ['97000.02000000', '1.00000000'] });
    rest.set('ETHUSDT', { bid: ['3100.00000000', '2.00000000'], ask: ['3100.01000000', '3.00000000'] });
    const run = startFetch(args(['BTC-USDT', 'ETH-USDT'], ['--feed-timeout', '3s']));
    await ws.subscribed(['BTCUSDT', 'ETHUSDT']);
    // The REST read after connecting stores the current top (bookTicker pushes only on change).
    await waitForStored(redis.client(), 'binance', 'BTC-USDT', 1);
    await waitForStored(redis.client(), 'binance', 'ETH-USDT', 1);
    move('BTC-USDT', ['97000.05000000', '0.25000000'], ['97000.06000000', '1.00000000']);
    ws.repeatTop('BTC-USDT');
    ws.regress('BTC-USDT');
    move('ETH-USDT', ['3100.00000000', '2.00000000'], undefined);
    move('BTC-USDT', ['97000.05000000', '0.25000000'], ['97000.07000000', '9.00000000']);
    await waitForStored(redis.client(), 'binance', 'BTC-USDT', 3);
    await waitForStored(redis.client(), 'binance', 'ETH-USDT', 2);

    // Announced cut: make-before-break. A fresh connection opens while the old one still
    // delivers; a change during the overlap comes on both and is stored once; the old one closes
    // once the new one has delivered. No REST read: nothing was missed, and a REST answer racing
    // the stream could store an older top.
    const restReads = rest.count('/api/v3/ticker/bookTicker');
    ws.serverShutdown();
    await ws.until(() => ws.accepted === 2 && ws.openConnections === 2, 'a successor beside the old socket');
    move('BTC-USDT', ['97000.08000000', '1.00000000'], ['97000.09000000', '1.00000000']);
    await ws.until(() => ws.openConnections === 1, 'the old socket closed after the handover');
    move('BTC-USDT', ['97000.10000000', '1.00000000'], ['97000.11000000', '1.00000000']);
    await waitForStored(redis.client(), 'binance', 'BTC-USDT', 5);
    expect(rest.count('/api/v3/ticker/bookTicker')).toBe(restReads);

    const r = await run.stop('SIGTERM');
    expect(r.code, r.stderr).toBe(0);
    // The REST reads are shown tops too: receipt time, no sequence (bookTicker over REST has none).
    const restTops = [
      { productId: 'BTC-USDT', bid: ['97000.01000000', '0.50000000'], ask: ['97000.02000000', '1.00000000'] },
      { productId: 'ETH-USDT', bid: ['3100.00000000', '2.00000000'], ask: ['3100.01000000', '3.00000000'] },
    ] as const;
    await expectStoredAsShown(redis.client(), 'binance', [
      ...restTops.map((t) => ({
        ...t,
        bid: [...t.bid] as [string, string],
        ask: [...t.ask] as [string, string],
        timestamp: undefined,
        sequence: '',
      })),
      ...ws.shown,
    ]);
    const btc = await readStored(redis.client(), 'binance', 'BTC-USDT');
    expect(btc.every((s) => s.timestampSource === 'received' && s.nativeSymbol === 'BTCUSDT')).toBe(true);
    const v = venueCounters(r.stderr, 'binance');
    // A handover is no reconnect, and the overlap's second copies are neither gaps nor duplicates.
    expect(v).toMatchObject({ reconnects: 0, handovers: 1, gaps: 1, duplicates: 0 });
    expect(r.stderr).toMatch(
      /binance#1: handing over to a fresh connection \(the venue announced a close: serverShutdown\); no gap/,
    );
    expect(r.stderr).not.toMatch(/"event":"disconnected"/);
  });

  it('a successor that cannot connect leaves the old socket delivering, and is tried again', async () => {
    rest.set('BTCUSDT', { bid: ['1.00', '1'], ask: ['1.01', '1'] });
    const run = startFetch(args(['BTC-USDT']));
    await ws.subscribed(['BTCUSDT']);
    await waitForStored(redis.client(), 'binance', 'BTC-USDT', 1);
    ws.refuseStatus = 503;
    ws.serverShutdown();
    await ws.until(() => /"event":"handover_failed"/.test(run.stderr()), 'the failed handover', 5000);
    // The announced socket still delivers meanwhile.
    move('BTC-USDT', ['1.02', '3'], ['1.03', '1']);
    await waitForStored(redis.client(), 'binance', 'BTC-USDT', 2);
    ws.refuseStatus = undefined;
    await ws.until(() => ws.accepted === 2 && ws.openConnections === 2, 'the second try', 10_000);
    move('BTC-USDT', ['1.04', '3'], ['1.05', '1']);
    await ws.until(() => ws.openConnections === 1, 'the handover');
    await waitForStored(redis.client(), 'binance', 'BTC-USDT', 3);
    const r = await run.stop('SIGTERM');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /binance#1: a fresh connection failed \(the server refused the WebSocket upgrade with HTTP 503\); the current one goes on, trying again in 5s/,
    );
    expect(venueCounters(r.stderr, 'binance')).toMatchObject({ reconnects: 0, handovers: 1 });
    await expectStoredAsShown(redis.client(), 'binance', [
      { productId: 'BTC-USDT', bid: ['1.00', '1'], ask: ['1.01', '1'], timestamp: undefined, sequence: '' },
      ...ws.shown,
    ]);
  }, 30_000);

  it('reconnects a feed that goes silent (no data, no server pings) past --feed-timeout', async () => {
    rest.set('BTCUSDT', { bid: ['1.00', '1'], ask: ['1.01', '1'] });
    const run = startFetch(args(['BTC-USDT'], ['--feed-timeout', '1s']));
    await ws.subscribed(['BTCUSDT']);
    ws.silent = true;
    await ws.until(() => ws.accepted >= 2, 'a reconnect after silence', 5000);
    ws.silent = false;
    await ws.subscribed(['BTCUSDT']);
    move('BTC-USDT', ['1.02', '3'], ['1.03', '1']);
    await waitForStored(redis.client(), 'binance', 'BTC-USDT', 2);
    const r = await run.stop('SIGTERM');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/binance#1: no message for 1\.\d s \(feed timeout 1 s\)/);
  });
});
