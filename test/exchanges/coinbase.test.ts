/** The Coinbase adapter against a loopback fake speaking the documented wire format. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ExchangeError } from '../../src/errors.js';
import { CoinbaseExchange } from '../../src/exchanges/coinbase.js';
import { parseRetryAfter } from '../../src/exchanges/http-client.js';
import { FakeCoinbase } from '../support/fake-coinbase.js';

const fake = new FakeCoinbase({ enforceLimit: false });
let api: CoinbaseExchange;
beforeAll(async () => {
  await fake.start();
  api = new CoinbaseExchange({ baseUrl: fake.url, timeoutMs: 400 });
});
afterAll(() => fake.stop());
beforeEach(() => {
  fake.books.clear();
  fake.faults.clear();
  fake.addProducts(['BTC-USD']);
});

async function one(productId = 'BTC-USD') {
  try {
    return (await api.fetchL1([productId])).get(productId);
  } catch (err) {
    return err;
  }
}

describe('CoinbaseExchange', () => {
  it('parses the documented book into a snapshot, decimals verbatim, sequence past 2^53 exact', async () => {
    const s = await one();
    expect(s).toMatchObject({
      exchange: 'coinbase',
      product_id: 'BTC-USD',
      bids: [['100.01', '1.50000000', 3]],
      asks: [['100.05', '0.25000000', 1]],
      sequence: '9007199254740991',
    });
    const snapshot = s as { timestamp: string; received_at: string };
    expect(snapshot.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}123Z$/);
    expect(snapshot.received_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(fake.requests.at(-1)?.userAgent).toMatch(/^l1-orderbook\/\d+\.\d+\.\d+/);
  });

  it('keeps an empty side as [] rather than failing', async () => {
    fake.setFault('BTC-USD', { kind: 'empty-book' });
    expect(await one()).toMatchObject({ bids: [], asks: [] });
  });

  it('uses the receipt time, marked as such, when the body has no time', async () => {
    fake.setFault('BTC-USD', { kind: 'no-time' });
    const s = (await one()) as { timestamp: string; received_at: string; timestamp_source: string };
    expect(s.timestamp_source).toBe('received');
    expect(s.timestamp).toBe(s.received_at);
  });

  it('reports an unknown product as not_found, naming it, without throwing', async () => {
    const e = await one('NOPE-USD');
    expect(e).toBeInstanceOf(ExchangeError);
    expect(e).toMatchObject({ kind: 'not_found', status: 404, productId: 'NOPE-USD', retryable: false });
    expect((e as Error).message).toContain("'NOPE-USD' does not exist");
  });

  it('throws rate_limited with the Retry-After delay on 429', async () => {
    fake.setFault('BTC-USD', { kind: '429', retryAfter: '3' });
    expect(await one()).toMatchObject({
      kind: 'rate_limited',
      status: 429,
      retryAfterMs: 3000,
      retryable: true,
    });
  });

  it('throws server on 500, timeout past the timeout, bad_response on malformed JSON', async () => {
    fake.setFault('BTC-USD', { kind: '500' });
    expect(await one()).toMatchObject({ kind: 'server', status: 500, retryable: true });
    fake.setFault('BTC-USD', { kind: 'slow', delayMs: 1000 });
    expect(await one()).toMatchObject({ kind: 'timeout', retryable: true });
    fake.setFault('BTC-USD', { kind: 'malformed' });
    const bad = await one();
    expect(bad).toMatchObject({ kind: 'bad_response', retryable: true });
    expect((bad as Error).message).toMatch(/not JSON/);
    fake.setFault('BTC-USD', {
      kind: 'malformed',
      body: '{"sequence": 1, "bids": [[1.5, "2", 1]], "asks": []}',
    });
    expect((await one()) as Error).toMatchObject({ kind: 'bad_response' });
  });

  it('reports a reset connection as network', async () => {
    fake.setFault('BTC-USD', { kind: 'reset' });
    expect(await one()).toMatchObject({ kind: 'network', retryable: true });
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter('0.5')).toBe(500);
    const now = Date.parse('2026-11-24T10:00:00Z');
    expect(parseRetryAfter('Tue, 24 Nov 2026 10:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Tue, 24 Nov 2026 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});
