/**
 * l1-fetch --stream against fake Kraken (v2 ticker, bbo, JSON numbers), OKX (bbo-tbt, text
 * ping/pong, seqId) and Bybit (orderbook.1, op ping, u = 1 restarts): each venue's data stored
 * change by change, verbatim, with the venue's own faults.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ExchangeId } from '../../src/exchanges/exchange-ids.js';
import { FakeBybitStream, FakeKrakenStream, FakeOkxStream } from '../support/fake-stream-venues.js';
import type { FakeWsVenue } from '../support/fake-ws-venue.js';
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
const fakes: FakeWsVenue[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.stop()));
});

async function started<T extends FakeWsVenue>(fake: T): Promise<T> {
  await redis.flush();
  fakes.push(fake);
  await fake.start();
  return fake;
}

function args(exchange: ExchangeId, url: string, products: string[], more: string[] = []): string[] {
  return streamArgs(exchange, url, redis.url, products, ['--log-format', 'json', ...more]);
}

describe('l1-fetch --stream (kraken v2 ticker)', () => {
  it('keeps the digits Kraken wrote as JSON numbers, asks for bbo, and reports a refused pair without losing the others', async () => {
    const fake = await started(new FakeKrakenStream());
    fake.list('BTC-USD', ['97000.10', '0.50000000'], ['97000.20', '1.20000000']);
    fake.list('ALGO-USD', ['0.10025', '740.0'], ['0.10036', '1361.44813783']);
    const run = startFetch(args('kraken', fake.url, ['BTC-USD', 'ALGO-USD', 'NOPE-USD']));
    // Subscribed only if the client asked for event_trigger=bbo (the fake pushes nothing otherwise).
    await fake.subscribed(['BTC/USD', 'ALGO/USD']);
    fake.setTop('ALGO-USD', ['0.99980', '740.0'], ['0.99990', '0.00000001']);
    fake.repeatTop('ALGO-USD');
    fake.setTop('BTC-USD', ['97000.10', '0.50000000'], ['97000.15', '3']);
    fake.sendRaw('{"channel":"book","type":"update","data":[]}');
    fake.sendRaw('{"channel":"ticker","type":"update","data":[{"symbol":"BTC/USD","bid":"oops"}]}');
    fake.setTop('ALGO-USD', ['1e-7', '12345678901234567890.123456789'], ['0.99990', '0.00000001']);
    await waitForStored(redis.client(), 'kraken', 'ALGO-USD', 3);
    await waitForStored(redis.client(), 'kraken', 'BTC-USD', 2);
    const r = await run.stop('SIGTERM');
    // NOPE-USD was refused by the venue and never stored: exit 1, the others are stored.
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/Currency pair not supported NOPE\/USD/);
    expect(r.stderr).toMatch(/never stored: kraken:NOPE-USD/);
    await expectStoredAsShown(redis.client(), 'kraken', fake.shown);
    const algo = await readStored(redis.client(), 'kraken', 'ALGO-USD');
    // Exactly as written: trailing zeros, exponent and all digits past a double's precision.
    expect(algo.map((s) => s.bid)).toEqual([
      ['0.10025', '740.0'],
      ['0.99980', '740.0'],
      ['1e-7', '12345678901234567890.123456789'],
    ]);
    expect(algo[0]?.nativeSymbol).toBe('ALGO/USD');
    const v = venueCounters(r.stderr, 'kraken');
    expect(v.malformed).toBe(1);
    expect(v.unknown).toBe(1);
  });
});

describe('l1-fetch --stream (okx bbo-tbt)', () => {
  it('stores every change with ts and seqId, keeps a quiet feed alive with ping/pong, and follows a reset and an upgrade notice', async () => {
    const fake = await started(new FakeOkxStream());
    fake.list('BTC-USDT', ['97000.1', '0.3392211'], ['97000.2', '0.14368878']);
    fake.list('ETH-USDT', ['3100.01', '4'], ['3100.05', '3.5']);
    const run = startFetch(args('okx', fake.url, ['BTC-USDT', 'ETH-USDT'], ['--feed-timeout', '900ms']));
    await fake.subscribed(['BTC-USDT', 'ETH-USDT']);
    // A quiet market for twice the feed timeout: the pongs keep the connection.
    await new Promise((r) => setTimeout(r, 1800));
    expect(fake.accepted).toBe(1);
    expect(fake.received.filter((m) => m === 'ping').length).toBeGreaterThanOrEqual(3);
    fake.setTop('BTC-USDT', ['97000.1', '0.5'], ['97000.2', '0.14368878']);
    fake.repeatTop('BTC-USDT');
    fake.setTop('ETH-USDT', undefined, ['3100.05', '3.5']);
    fake.reset('BTC-USDT', ['96999.9', '1'], ['97000.0', '2']);
    await waitForStored(redis.client(), 'okx', 'BTC-USDT', 3);
    // The notice is answered make-before-break: the new socket subscribes, then the old one closes.
    fake.upgradeNotice();
    await fake.until(
      () => fake.accepted === 2 && fake.openConnections === 1,
      'the handover after notice 64008',
    );
    await fake.subscribed(['BTC-USDT', 'ETH-USDT']);
    fake.setTop('BTC-USDT', ['96999.9', '1'], ['96999.95', '0.1']);
    await waitForStored(redis.client(), 'okx', 'BTC-USDT', 4);
    await waitForStored(redis.client(), 'okx', 'ETH-USDT', 2);
    const r = await run.stop('SIGTERM');
    expect(r.code, r.stderr).toBe(0);
    await expectStoredAsShown(redis.client(), 'okx', fake.shown);
    // The successor's first push of each product repeats the last top: not stored again.
    expect(venueCounters(r.stderr, 'okx')).toMatchObject({
      reconnects: 0,
      handovers: 1,
      gaps: 1,
      duplicates: 0,
    });
    expect(r.stderr).toMatch(
      /okx#1: handing over to a fresh connection \(the venue announced a close: OKX notice 64008[^)]*\); no gap/,
    );
  });
});

describe('l1-fetch --stream (bybit orderbook.1)', () => {
  it('stores each new book, skips the 3 s re-push, takes u = 1 as a restart, and survives a drop', async () => {
    const fake = await started(new FakeBybitStream());
    fake.list('BTC-USDT', ['106285.8', '0.794865'], ['106285.9', '1.269905']);
    const run = startFetch(args('bybit', fake.url, ['BTC-USDT', 'NOPE-USDT'], ['--feed-timeout', '2s']));
    await fake.subscribed(['BTCUSDT']);
    fake.setTop('BTC-USDT', ['106285.8', '0.5'], ['106285.9', '1.269905']);
    fake.repeatTop('BTC-USDT');
    fake.repeatTop('BTC-USDT');
    fake.restart('BTC-USDT', ['106280', '2'], ['106281', '3']);
    fake.setTop('BTC-USDT', ['106280', '2'], undefined);
    await waitForStored(redis.client(), 'bybit', 'BTC-USDT', 4);
    fake.drop();
    await fake.until(() => fake.accepted === 2, 'a reconnect');
    await fake.subscribed(['BTCUSDT']);
    fake.setTop('BTC-USDT', ['106279.5', '1'], ['106281', '3']);
    await waitForStored(redis.client(), 'bybit', 'BTC-USDT', 5);
    // Bybit wants {"op":"ping"} (every 20 s; a third of --feed-timeout here).
    await fake.until(() => fake.received.includes('{"op":"ping"}'), 'a ping', 2000);
    const r = await run.stop('SIGTERM');
    expect(r.code, r.stderr).toBe(1); // NOPE-USDT: refused, never stored
    expect(r.stderr).toMatch(/Invalid symbol :\[orderbook\.1\.NOPEUSDT\]/);
    await expectStoredAsShown(redis.client(), 'bybit', fake.shown);
    const v = venueCounters(r.stderr, 'bybit');
    expect(v).toMatchObject({ reconnects: 1, gaps: 1 });
    expect(v.duplicates).toBeGreaterThanOrEqual(2);
  });
});
