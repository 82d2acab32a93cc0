// The Bybit adapter over real HTTP against a loopback fake speaking market/tickers' wire format.
import { describe, expect, it } from 'vitest';
import { BYBIT_IP_BAN_MS, BybitExchange } from '../../src/exchanges/bybit.js';
import { FakeBybit, useFakeVenue } from '../support/fake-venues.js';
import { errorOf, rejection, snapshotOf } from '../support/fake-venues-outcomes.js';

const fake = new FakeBybit()
  .set('ETHUSDT', { bid: ['3000.1', '2'], ask: ['3000.2', '3'] })
  .set('PEPEUSDT', { bid: ['0.00000001', '0.00000001'], ask: ['0.00000002', '500000000'] })
  .set('THINUSDT', { bid: null, ask: ['5', '1'] });
let api: BybitExchange;

useFakeVenue(fake, (options) => {
  fake.time = 1673859087947;
  api = new BybitExchange(options);
});

describe('bybit market/tickers', () => {
  it("reads the documented example with the envelope's time as timestamp, and no sequence", async () => {
    const out = await api.fetchL1(['BTC-USDT']);
    expect(snapshotOf(out, 'BTC-USDT')).toMatchObject({
      exchange: 'bybit',
      product_id: 'BTC-USDT',
      native_symbol: 'BTCUSDT',
      bids: [['20517.96', '2']],
      asks: [['20527.77', '1.862172']],
      timestamp: '2023-01-16T08:51:27.947000Z',
      timestamp_source: 'exchange',
      sequence: '',
    });
    expect(fake.requests[0]?.query.get('category')).toBe('spot');
  });

  it('serves every product with ONE request; a symbol Bybit does not list is not_found, the others succeed', async () => {
    const out = await api.fetchL1(['BTC-USDT', 'ETH-USDT', 'NOPE-USDT']);
    expect(fake.count()).toBe(1);
    expect(snapshotOf(out, 'ETH-USDT').asks).toEqual([['3000.2', '3']]);
    expect(errorOf(out, 'NOPE-USDT').kind).toBe('not_found');
  });

  it('keeps 0.00000001 exactly; an empty side is []; no envelope time → receipt time, marked', async () => {
    fake.time = null;
    const out = await api.fetchL1(['PEPE-USDT', 'THIN-USDT']);
    expect(snapshotOf(out, 'PEPE-USDT').bids).toEqual([['0.00000001', '0.00000001']]);
    expect(snapshotOf(out, 'THIN-USDT').bids).toEqual([]);
    const s = snapshotOf(out, 'THIN-USDT');
    expect(s.timestamp_source).toBe('received');
    expect(s.timestamp).toBe(s.received_at);
  });

  it('403 "access too frequent" → banned for the documented 10 minutes', async () => {
    fake.inject(fake.ipBanned());
    const err = await rejection(() => api.fetchL1(['BTC-USDT']), 'banned');
    expect(err.retryAfterMs).toBe(BYBIT_IP_BAN_MS);
    expect(err.message).toMatch(/600 requests \/ 5 s/);
  });

  it('403 from a restricted location (U.S. IP) → geo_blocked, suggesting a regional endpoint', async () => {
    fake.inject(fake.usIp());
    const err = await rejection(() => api.fetchL1(['BTC-USDT']), 'geo_blocked');
    expect(err.message).toContain('--base-url bybit=');
    expect(err.message).toContain('block access from your country');
  });

  it('retCode 10006 → rate_limited until X-Bapi-Limit-Reset-Timestamp; HTTP 429 → rate_limited', async () => {
    fake.inject(fake.tooManyVisits(Date.now() + 3000));
    const err = await rejection(() => api.fetchL1(['BTC-USDT']), 'rate_limited');
    expect(err.retryAfterMs).toBeGreaterThan(1000);
    expect(err.retryAfterMs).toBeLessThanOrEqual(3000);
    fake.inject({ status: 429, body: '' });
    await rejection(() => api.fetchL1(['BTC-USDT']), 'rate_limited');
  });

  it('retCode 10016 → server; 10001 → client; 10024 (compliance) → geo_blocked', async () => {
    fake.inject(fake.retCode(10016, 'Server error'));
    await rejection(() => api.fetchL1(['BTC-USDT']), 'server');
    fake.inject(fake.retCode(10001, 'params error'));
    const err = await rejection(() => api.fetchL1(['BTC-USDT']), 'client');
    expect(err.message).toContain('retCode 10001 params error');
    fake.inject(fake.retCode(10024, 'Compliance rules triggered'));
    await rejection(() => api.fetchL1(['BTC-USDT']), 'geo_blocked');
  });
});
