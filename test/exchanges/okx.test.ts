// The OKX adapter over real HTTP against a loopback fake speaking market/tickers' wire format.
import { describe, expect, it } from 'vitest';
import { OkxExchange } from '../../src/exchanges/okx.js';
import { FakeOkx, useFakeVenue } from '../support/fake-venues.js';
import { errorOf, rejection, snapshotOf } from '../support/fake-venues-outcomes.js';

const fake = new FakeOkx()
  .set('BTC-USDT', { bid: ['97000.1', '0.5'], ask: ['97000.2', '1.25'] }, '1764000000123')
  .set('PEPE-USDT', { bid: ['0.00000001', '0.00000001'], ask: ['0.00000002', '500000000'] }, '1764000000456')
  .set('THIN-USDT', { bid: ['1.5', '3'], ask: null }, '1764000000789')
  .set('NOTS-USDT', { bid: ['2', '1'], ask: ['3', '1'] }, '');
let api: OkxExchange;

useFakeVenue(fake, (options) => {
  api = new OkxExchange(options);
});

describe('okx market/tickers', () => {
  it("reads the documented example with the ticker's own ts as timestamp, and no sequence", async () => {
    const out = await api.fetchL1(['ETH-BTC']);
    expect(snapshotOf(out, 'ETH-BTC')).toMatchObject({
      exchange: 'okx',
      product_id: 'ETH-BTC',
      native_symbol: 'ETH-BTC',
      bids: [['0.0732', '6.050058']],
      asks: [['0.07322', '4.2']],
      timestamp: '2021-05-19T16:09:43.784000Z',
      timestamp_source: 'exchange',
      sequence: '',
    });
    expect(fake.requests[0]?.query.get('instType')).toBe('SPOT');
  });

  it('serves every product with ONE request; a product OKX does not list is not_found, the others succeed', async () => {
    const out = await api.fetchL1(['BTC-USDT', 'ETH-BTC', 'NOPE-USDT', 'PEPE-USDT']);
    expect(fake.count()).toBe(1);
    expect(snapshotOf(out, 'BTC-USDT').timestamp).toBe('2025-11-24T16:00:00.123000Z');
    expect(snapshotOf(out, 'ETH-BTC').native_symbol).toBe('ETH-BTC');
    const err = errorOf(out, 'NOPE-USDT');
    expect(err.kind).toBe('not_found');
    expect(err.message).toMatch(/NOPE-USDT.*does not exist/);
  });

  it('keeps 0.00000001 exactly; an empty side ("") is []; a missing ts falls back to the receipt time, marked', async () => {
    const out = await api.fetchL1(['PEPE-USDT', 'THIN-USDT', 'NOTS-USDT']);
    expect(snapshotOf(out, 'PEPE-USDT').bids).toEqual([['0.00000001', '0.00000001']]);
    expect(snapshotOf(out, 'THIN-USDT').asks).toEqual([]);
    expect(snapshotOf(out, 'THIN-USDT').bids).toEqual([['1.5', '3']]);
    const noTs = snapshotOf(out, 'NOTS-USDT');
    expect(noTs.timestamp_source).toBe('received');
    expect(noTs.timestamp).toBe(noTs.received_at);
  });

  it('a malformed ticker fails only its own product (bad_response); the others succeed', async () => {
    fake.inject({
      status: 200,
      body: JSON.stringify({
        code: '0',
        msg: '',
        data: [
          {
            instType: 'SPOT',
            instId: 'BTC-USDT',
            bidPx: 'n/a',
            bidSz: '1',
            askPx: '2',
            askSz: '1',
            ts: '1764000000123',
          },
          {
            instType: 'SPOT',
            instId: 'ETH-BTC',
            bidPx: '0.0732',
            bidSz: '6',
            askPx: '0.07322',
            askSz: '4.2',
            ts: '1621440583784',
          },
        ],
      }),
    });
    const out = await api.fetchL1(['BTC-USDT', 'ETH-BTC']);
    expect(errorOf(out, 'BTC-USDT').kind).toBe('bad_response');
    expect(snapshotOf(out, 'ETH-BTC').bids).toEqual([['0.0732', '6']]);
  });

  it('HTTP 429 with code 50011 → rate_limited; code 50011 with HTTP 200 too', async () => {
    fake.inject(fake.rateLimited());
    const err = await rejection(() => api.fetchL1(['BTC-USDT']), 'rate_limited');
    expect(err.message).toContain('50011');
    fake.inject(fake.code('50011', 'Rate limit reached.'));
    await rejection(() => api.fetchL1(['BTC-USDT']), 'rate_limited');
  });

  it('code 51001 → not_found for the products asked', async () => {
    fake.inject(fake.code('51001', 'Instrument ID does not exist'));
    const out = await api.fetchL1(['BTC-USDT']);
    expect(errorOf(out, 'BTC-USDT').kind).toBe('not_found');
  });

  it('50013 (busy) → server; any other code → client; a body that is not JSON → bad_response', async () => {
    fake.inject(fake.code('50013', 'Systems are busy. Please try again later.'));
    await rejection(() => api.fetchL1(['BTC-USDT']), 'server');
    fake.inject(fake.code('51000', 'Parameter instType error'));
    const err = await rejection(() => api.fetchL1(['BTC-USDT']), 'client');
    expect(err.message).toContain('51000 Parameter instType error');
    fake.inject({ status: 200, body: '{"code":"0","data":[' });
    await rejection(() => api.fetchL1(['BTC-USDT']), 'bad_response');
    fake.inject({ status: 502, body: 'Bad Gateway' });
    await rejection(() => api.fetchL1(['BTC-USDT']), 'server');
  });
});
