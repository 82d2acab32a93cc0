// The Binance adapter over real HTTP against a loopback fake speaking bookTicker's wire format.
import { describe, expect, it } from 'vitest';
import { BinanceExchange } from '../../src/exchanges/binance.js';
import { fetchWithRetry } from '../../src/exchanges/fetch-runner.js';
import { RateLimiter } from '../../src/exchanges/rate-limiter.js';
import { FakeBinance, useFakeVenue } from '../support/fake-venues.js';
import { errorOf, FIXED_TIMESTAMP, rejection, snapshotOf } from '../support/fake-venues-outcomes.js';

const fake = new FakeBinance()
  .set('BTCUSDT', { bid: ['97000.01000000', '0.50000000'], ask: ['97000.02000000', '1.25000000'] })
  .set('ETHUSDT', { bid: ['3000.10000000', '2.00000000'], ask: ['3000.20000000', '3.00000000'] })
  .set('SHIBBTC', { bid: ['0.00000001', '0.00000001'], ask: ['0.00000002', '123456789.00000000'] })
  .set('NOASKBTC', { bid: ['1.00000000', '1.00000000'], ask: null });
let api: BinanceExchange;

useFakeVenue(fake, (options) => {
  fake.otherWeight = 0;
  api = new BinanceExchange(options);
});

describe('binance bookTicker', () => {
  it('reads the documented example verbatim, with the receipt time marked and no sequence', async () => {
    const before = new Date().toISOString();
    const out = await api.fetchL1(['LTC-BTC', 'BTC-USDT']);
    const s = snapshotOf(out, 'LTC-BTC');
    expect(s).toMatchObject({
      exchange: 'binance',
      product_id: 'LTC-BTC',
      native_symbol: 'LTCBTC',
      bids: [['4.00000000', '431.00000000']],
      asks: [['4.00000200', '9.00000000']],
      sequence: '',
      timestamp_source: 'received',
    });
    expect(s.timestamp).toMatch(FIXED_TIMESTAMP);
    expect(s.timestamp).toBe(s.received_at);
    expect(s.timestamp >= before.slice(0, 19)).toBe(true);
    expect(snapshotOf(out, 'BTC-USDT').bids).toEqual([['97000.01000000', '0.50000000']]);
  });

  it('serves a whole batch with ONE symbols=[…] request (weight 4)', async () => {
    const out = await api.fetchL1(['BTC-USDT', 'ETH-USDT', 'LTC-BTC', 'SHIB-BTC']);
    expect(out.size).toBe(4);
    expect(fake.count()).toBe(1);
    const [req] = fake.requests;
    expect(JSON.parse(req?.query.get('symbols') ?? '')).toEqual(['BTCUSDT', 'ETHUSDT', 'LTCBTC', 'SHIBBTC']);
    expect(req?.userAgent).toMatch(/^l1-orderbook\//);
    expect(api.requestCost(4)).toBe(4);
  });

  it('asks for one product with symbol= (weight 2)', async () => {
    const out = await api.fetchL1(['ETH-USDT']);
    expect(snapshotOf(out, 'ETH-USDT').asks).toEqual([['3000.20000000', '3.00000000']]);
    expect(fake.requests[0]?.query.get('symbol')).toBe('ETHUSDT');
    expect(api.requestCost(1)).toBe(2);
  });

  it('keeps 0.00000001 exactly and turns a zero-quantity side into []', async () => {
    const out = await api.fetchL1(['SHIB-BTC', 'NOASK-BTC']);
    expect(snapshotOf(out, 'SHIB-BTC').bids).toEqual([['0.00000001', '0.00000001']]);
    expect(snapshotOf(out, 'SHIB-BTC').asks).toEqual([['0.00000002', '123456789.00000000']]);
    expect(snapshotOf(out, 'NOASK-BTC').asks).toEqual([]);
    expect(snapshotOf(out, 'NOASK-BTC').bids).toEqual([['1.00000000', '1.00000000']]);
  });

  it('reports not_found for just the unknown symbol of a batch, serves the others, and skips it next time', async () => {
    const followUps: number[] = [];
    const gate = async (cost: number) => {
      followUps.push(cost);
    };
    const out = await api.fetchL1(['BTC-USDT', 'NOPE-USDT', 'ETH-USDT'], undefined, gate);
    expect(snapshotOf(out, 'BTC-USDT').native_symbol).toBe('BTCUSDT');
    expect(snapshotOf(out, 'ETH-USDT').native_symbol).toBe('ETHUSDT');
    const err = errorOf(out, 'NOPE-USDT');
    expect(err.kind).toBe('not_found');
    expect(err.message).toMatch(/NOPE-USDT.*does not exist.*NOPEUSDT/);
    // The rejected batch, then the all-symbols ticker once, paced through the limiter gate.
    expect(fake.count()).toBe(2);
    expect(fake.requests[1]?.query.toString()).toBe('');
    expect(followUps).toEqual([4]);

    const again = await api.fetchL1(['BTC-USDT', 'NOPE-USDT', 'ETH-USDT'], undefined, gate);
    expect(errorOf(again, 'NOPE-USDT').kind).toBe('not_found');
    expect(snapshotOf(again, 'ETH-USDT').product_id).toBe('ETH-USDT');
    expect(fake.count()).toBe(3); // one request: the unknown symbol is left out of the batch
    expect(JSON.parse(fake.requests[2]?.query.get('symbols') ?? '')).toEqual(['BTCUSDT', 'ETHUSDT']);
  });

  it('a single unknown symbol is not_found after one request', async () => {
    const out = await api.fetchL1(['NOPE-USDT']);
    expect(errorOf(out, 'NOPE-USDT').kind).toBe('not_found');
    expect(fake.count()).toBe(1);
  });

  it('an id that is not BASE-QUOTE is not_found without a request', async () => {
    const out = await api.fetchL1(['BTC-USDT-PERP']);
    expect(errorOf(out, 'BTC-USDT-PERP').message).toMatch(/not a spot pair/);
    expect(fake.count()).toBe(0);
  });

  it('429 with Retry-After → rate_limited', async () => {
    fake.inject(fake.rateLimited('7'));
    const err = await rejection(() => api.fetchL1(['BTC-USDT', 'ETH-USDT']), 'rate_limited');
    expect(err.retryAfterMs).toBe(7000);
    expect(err.status).toBe(429);
  });

  it('418 with Retry-After → banned', async () => {
    fake.inject(fake.banned('120'));
    const err = await rejection(() => api.fetchL1(['BTC-USDT', 'ETH-USDT']), 'banned');
    expect(err.retryAfterMs).toBe(120_000);
  });

  it('451 → geo_blocked, suggesting Binance.US', async () => {
    fake.inject(fake.geoBlocked());
    const err = await rejection(() => api.fetchL1(['BTC-USDT']), 'geo_blocked');
    expect(err.message).toContain('--base-url binance=https://api.binance.us');
    expect(err.message).toContain('restricted location');
  });

  it('5xx → server; an HTML error page → bad_response; a reset → network', async () => {
    fake.inject({
      status: 503,
      body: '{"code":-1000,"msg":"Unknown error, please check your request or try again later."}',
    });
    await rejection(() => api.fetchL1(['BTC-USDT', 'ETH-USDT']), 'server');
    fake.inject({ status: 200, body: '<html>proxy error</html>' });
    await rejection(() => api.fetchL1(['BTC-USDT', 'ETH-USDT']), 'bad_response');
    fake.inject({ reset: true });
    await rejection(() => api.fetchL1(['BTC-USDT', 'ETH-USDT']), 'network');
  });

  it('other {code,msg} errors → client, with the venue message', async () => {
    fake.inject({
      status: 400,
      body: '{"code":-1100,"msg":"Illegal characters found in parameter \'symbols\'"}',
    });
    const err = await rejection(() => api.fetchL1(['BTC-USDT', 'ETH-USDT']), 'client');
    expect(err.message).toContain('-1100');
  });

  it('X-MBX-USED-WEIGHT-1M near 6000 asks the limiter to wait for the next minute', async () => {
    fake.otherWeight = 5990;
    await api.fetchL1(['BTC-USDT', 'ETH-USDT']);
    const hint = api.takePauseHint();
    expect(hint).toBeGreaterThan(1000);
    expect(hint).toBeLessThanOrEqual(61_000);
    expect(api.takePauseHint()).toBeUndefined();
    fake.otherWeight = 0;
    await api.fetchL1(['BTC-USDT', 'ETH-USDT']);
    expect(api.takePauseHint()).toBeUndefined();
  });

  it('through the shared runner: a 429 is retried after the limiter pause, then succeeds', async () => {
    fake.inject(fake.rateLimited('0'));
    const limiter = new RateLimiter(
      { ratePerSec: 90, burst: 600 },
      { safetyMargin: 0.9, defaultPenaltyMs: 10 },
    );
    const requests: number[] = [];
    const out = await fetchWithRetry(api, ['BTC-USDT', 'ETH-USDT'], {
      limiter,
      policy: { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 1000 },
      events: { onRequest: (_venue, n) => requests.push(n) },
    });
    limiter.close();
    expect(snapshotOf(out, 'ETH-USDT').native_symbol).toBe('ETHUSDT');
    expect(requests).toEqual([2, 2]);
    expect(limiter.penalties).toBe(1);
  });
});
