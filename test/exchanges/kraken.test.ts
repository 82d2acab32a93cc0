// The Kraken adapter over real HTTP against a loopback fake speaking Ticker's wire format.
import { describe, expect, it } from 'vitest';
import { KrakenExchange, krakenError } from '../../src/exchanges/kraken.js';
import { FakeKraken, useFakeVenue } from '../support/fake-venues.js';
import { errorOf, FIXED_TIMESTAMP, rejection, snapshotOf } from '../support/fake-venues-outcomes.js';

const fake = new FakeKraken()
  .add('XXBTZEUR', 'XBTEUR', 'XBT/EUR', ['0.00000001', '0.00000001'], ['90000.1', '0.5'])
  .add('NOBIDUSD', 'NOBIDUSD', 'NOBID/USD', null, ['1.5', '10']);
let api: KrakenExchange;

useFakeVenue(fake, (options) => {
  fake.answerWithWsname = false;
  api = new KrakenExchange(options);
});

describe('kraken Ticker', () => {
  it('reads the documented example: lot volume a[2]/b[2] as size, receipt time, no sequence', async () => {
    const out = await api.fetchL1(['BTC-USD']);
    const s = snapshotOf(out, 'BTC-USD');
    expect(s).toMatchObject({
      exchange: 'kraken',
      product_id: 'BTC-USD',
      native_symbol: 'XXBTZUSD',
      bids: [['2431.37000', '2.000']],
      asks: [['2432.77000', '1.000']],
      sequence: '',
      timestamp_source: 'received',
    });
    expect(s.timestamp).toMatch(FIXED_TIMESTAMP);
    expect(s.timestamp).toBe(s.received_at);
    expect(fake.requests[0]?.query.get('pair')).toBe('XBTUSD');
  });

  it('serves a batch with ONE request and maps every result key back (XXBTZUSD, XETHXXBT, XDGUSD, SOLUSD, USDTZUSD)', async () => {
    const ids = ['BTC-USD', 'ETH-USD', 'ETH-BTC', 'DOGE-USD', 'SOL-USD', 'USDT-USD'];
    const out = await api.fetchL1(ids);
    expect(fake.count()).toBe(1);
    expect(fake.requests[0]?.query.get('pair')).toBe('XBTUSD,ETHUSD,ETHXBT,XDGUSD,SOLUSD,USDTUSD');
    expect(ids.map((id) => snapshotOf(out, id).native_symbol)).toEqual([
      'XXBTZUSD',
      'XETHZUSD',
      'XETHXXBT',
      'XDGUSD',
      'SOLUSD',
      'USDTZUSD',
    ]);
    expect(snapshotOf(out, 'DOGE-USD').asks).toEqual([['0.1003600', '1361.44813783']]);
    expect(snapshotOf(out, 'ETH-BTC').bids).toEqual([['0.023470', '59.580']]);
  });

  it('maps answers keyed by wsname (XBT/USD) back too', async () => {
    fake.answerWithWsname = true;
    const out = await api.fetchL1(['BTC-USD', 'DOGE-USD']);
    expect(snapshotOf(out, 'BTC-USD').native_symbol).toBe('XBT/USD');
    expect(snapshotOf(out, 'DOGE-USD').native_symbol).toBe('XDG/USD');
  });

  it('keeps 0.00000001 exactly and turns an empty (zero-volume) side into []', async () => {
    const out = await api.fetchL1(['BTC-EUR', 'NOBID-USD']);
    expect(snapshotOf(out, 'BTC-EUR').bids).toEqual([['0.00000001', '0.00000001']]);
    expect(snapshotOf(out, 'NOBID-USD').bids).toEqual([]);
    expect(snapshotOf(out, 'NOBID-USD').asks).toEqual([['1.5', '10']]);
  });

  it('EQuery:Unknown asset pair in a batch: not_found for that product only, the others served, skipped next time', async () => {
    const followUps: number[] = [];
    const gate = async (cost: number) => {
      followUps.push(cost);
    };
    const out = await api.fetchL1(['BTC-USD', 'NOPE-USD', 'ETH-BTC'], undefined, gate);
    expect(snapshotOf(out, 'BTC-USD').native_symbol).toBe('XXBTZUSD');
    expect(snapshotOf(out, 'ETH-BTC').native_symbol).toBe('XETHXXBT');
    const err = errorOf(out, 'NOPE-USD');
    expect(err.kind).toBe('not_found');
    expect(err.message).toMatch(/NOPE-USD.*does not exist.*NOPEUSD/);
    expect(fake.count()).toBe(2); // the rejected batch, then the all-pairs Ticker once
    expect(fake.requests[1]?.query.has('pair')).toBe(false);
    expect(followUps).toEqual([1]);

    const again = await api.fetchL1(['BTC-USD', 'NOPE-USD', 'ETH-BTC'], undefined, gate);
    expect(errorOf(again, 'NOPE-USD').kind).toBe('not_found');
    expect(fake.count()).toBe(3);
    expect(fake.requests[2]?.query.get('pair')).toBe('XBTUSD,ETHXBT');
  });

  it('a single unknown pair is not_found after one request', async () => {
    const out = await api.fetchL1(['NOPE-USD']);
    expect(errorOf(out, 'NOPE-USD').kind).toBe('not_found');
    expect(fake.count()).toBe(1);
  });

  it('EAPI:Rate limit exceeded (HTTP 200) → rate_limited', async () => {
    fake.inject(fake.rateLimited());
    const err = await rejection(() => api.fetchL1(['BTC-USD', 'ETH-USD']), 'rate_limited');
    expect(err.message).toContain('EAPI:Rate limit exceeded');
  });

  it('EService:Unavailable → server; EGeneral:Invalid arguments → client; a 520 page → server', async () => {
    fake.inject(fake.error('EService:Unavailable'));
    await rejection(() => api.fetchL1(['BTC-USD']), 'server');
    fake.inject(fake.error('EGeneral:Invalid arguments'));
    await rejection(() => api.fetchL1(['BTC-USD']), 'client');
    fake.inject({ status: 520, body: '<html>cloudflare</html>', headers: { 'content-type': 'text/html' } });
    await rejection(() => api.fetchL1(['BTC-USD']), 'server');
  });

  it('warnings alone (W…) do not fail the request', async () => {
    fake.inject({
      status: 200,
      body: JSON.stringify({
        error: ['WGeneral:Deprecated'],
        result: { XXBTZUSD: { a: ['1.0', '1', '1.000'], b: ['0.9', '2', '2.000'] } },
      }),
    });
    const out = await api.fetchL1(['BTC-USD']);
    expect(snapshotOf(out, 'BTC-USD').bids).toEqual([['0.9', '2.000']]);
  });

  it('EService:Throttled:<unix time> → rate_limited until that time', () => {
    const err = krakenError(['EService:Throttled: 1700000010'], 1_700_000_000_000);
    expect(err.kind).toBe('rate_limited');
    expect(err.retryAfterMs).toBe(10_000);
    expect(krakenError(['EGeneral:Temporary lockout']).kind).toBe('rate_limited');
  });
});
