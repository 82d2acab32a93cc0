/**
 * End to end at the adapter + store level: a CSV mixing all five venues → targets → fetchAll over
 * real HTTP to five loopback fakes (through the shared limiters and runner) → RedisStore on a real
 * Redis → read back per venue. Counts the requests per venue: one per batch venue per poll, one
 * per product on Coinbase.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fetchAll, outcomeKey } from '../../src/capture/capture-once.js';
import type { Target } from '../../src/capture/targets.js';
import { closeVenueClients, createVenueClients, type VenueClient } from '../../src/capture/venue-clients.js';
import { ExchangeError } from '../../src/errors.js';
import { parseBaseUrlOverrides } from '../../src/exchanges/base-urls.js';
import type { L1Outcome } from '../../src/exchanges/exchange-api.js';
import { EXCHANGE_IDS, type ExchangeId } from '../../src/exchanges/exchange-ids.js';
import { parseProductsCsv } from '../../src/products-csv.js';
import type { L1Snapshot } from '../../src/snapshot.js';
import { RedisStore } from '../../src/store/redis-store.js';
import { FakeCoinbase } from '../support/fake-coinbase.js';
import { FakeBinance, FakeBybit, FakeKraken, FakeOkx } from '../support/fake-venues.js';
import { useTestRedis } from '../support/test-redis.js';

const redis = useTestRedis();

const COINBASE = [
  'BTC-USD',
  'ETH-USD',
  'SOL-USD',
  'DOGE-USD',
  'ADA-USD',
  'XRP-USD',
  'LTC-USD',
  'DOT-USD',
  'AVAX-USD',
  'LINK-USD',
];
const KRAKEN = [
  'BTC-USD',
  'ETH-USD',
  'ETH-BTC',
  'DOGE-USD',
  'SOL-USD',
  'USDT-USD',
  'XRP-USD',
  'LTC-USD',
  'ADA-USD',
  'BTC-EUR',
];
const BINANCE = [
  'LTC-BTC',
  'BTC-USDT',
  'ETH-USDT',
  'SOL-USDT',
  'BNB-USDT',
  'XRP-USDT',
  'DOGE-USDT',
  'ADA-USDT',
  'SHIB-BTC',
  'PEPE-USDT',
];
const OKX = [
  'ETH-BTC',
  'BTC-USDT',
  'ETH-USDT',
  'SOL-USDT',
  'OKB-USDT',
  'XRP-USDT',
  'DOGE-USDT',
  'ADA-USDT',
  'TON-USDT',
  'PEPE-USDT',
];
const BYBIT = [
  'BTC-USDT',
  'ETH-USDT',
  'SOL-USDT',
  'XRP-USDT',
  'DOGE-USDT',
  'ADA-USDT',
  'TON-USDT',
  'MNT-USDT',
  'LINK-USDT',
  'PEPE-USDT',
];

// A fresh Coinbase fake per test: it enforces 10 req/s, burst 15, and each test starts a fresh limiter.
let coinbase: FakeCoinbase;
const kraken = new FakeKraken()
  .add('XXRPZUSD', 'XRPUSD', 'XRP/USD', ['2.1000', '100.00000000'], ['2.1001', '50.00000000'])
  .add('XLTCZUSD', 'LTCUSD', 'LTC/USD', ['90.10', '1.00000000'], ['90.12', '2.00000000'])
  .add('ADAUSD', 'ADAUSD', 'ADA/USD', ['0.700000', '1000.00000000'], ['0.700100', '900.00000000'])
  .add('XXBTZEUR', 'XBTEUR', 'XBT/EUR', ['90000.0', '0.10000000'], ['90000.1', '0.00000001']);
const binance = new FakeBinance();
const okx = new FakeOkx();
const bybit = new FakeBybit();
for (const [i, id] of BINANCE.entries())
  if (id !== 'LTC-BTC')
    binance.set(id.replace('-', ''), { bid: [`${i}.00000001`, '0.00000001'], ask: [`${i}.1`, '2'] });
for (const [i, id] of OKX.entries())
  if (id !== 'ETH-BTC')
    okx.set(id, { bid: [`${i}.5`, '0.00000001'], ask: [`${i}.6`, '3'] }, String(1764000000000 + i));
for (const [i, id] of BYBIT.entries())
  if (id !== 'BTC-USDT')
    bybit.set(id.replace('-', ''), { bid: [`${i}.25`, '4'], ask: [`${i}.26`, '0.00000001'] });

const CSV_ROWS: [ExchangeId, string[]][] = [
  ['coinbase', COINBASE],
  ['kraken', KRAKEN],
  ['binance', BINANCE],
  ['okx', OKX],
  ['bybit', BYBIT],
];

let clients: Map<ExchangeId, VenueClient>;

beforeAll(async () => {
  await Promise.all([kraken.start(), binance.start(), okx.start(), bybit.start()]);
});
afterAll(async () => {
  await Promise.all([kraken.stop(), binance.stop(), okx.stop(), bybit.stop()]);
});
beforeEach(async () => {
  await redis.flush();
  for (const f of [kraken, binance, okx, bybit]) f.requests.length = 0;
  coinbase = new FakeCoinbase().addProducts(COINBASE);
  await coinbase.start();
});
afterEach(() => coinbase.stop());

function csvTargets(extra: string[] = []): Target[] {
  // Coinbase rows leave the exchange cell empty: the default.
  const lines = CSV_ROWS.flatMap(([venue, ids]) =>
    ids.map((id) => `${venue === 'coinbase' ? '' : venue},${id}`),
  );
  return parseProductsCsv(
    Buffer.from(`exchange,product_id\n${[...lines, ...extra].join('\n')}\n`),
    'mixed.csv',
  ).targets;
}

function makeClients(): Map<ExchangeId, VenueClient> {
  // Coinbase by the bare --base-url, three venues by NAME=URL, Bybit from the environment.
  const baseUrls = parseBaseUrlOverrides(
    [coinbase.url, `kraken=${kraken.url}`, `binance=${binance.url}`, `okx=${okx.url}`],
    { L1_BASE_URL_BYBIT: bybit.url },
  );
  return createVenueClients(EXCHANGE_IDS, { baseUrls, timeoutMs: 3000, safetyMargin: 0.9 });
}

async function poll(targets: Target[]) {
  const requests = new Map<ExchangeId, number>();
  const outcomes = await fetchAll(targets, {
    clients,
    retry: { maxRetries: 1, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 1000 },
    concurrency: 8,
    events: {
      onRequest: (venue) => requests.set(venue as ExchangeId, (requests.get(venue as ExchangeId) ?? 0) + 1),
    },
  });
  return { outcomes, requests };
}

function split(targets: Target[], outcomes: Map<string, L1Outcome>) {
  const ok: L1Snapshot[] = [];
  const failed = new Map<string, ExchangeError>();
  for (const t of targets) {
    const o = outcomes.get(outcomeKey(t.exchange, t.productId));
    if (o === undefined) throw new Error(`no outcome for ${t.exchange}:${t.productId}`);
    if (o instanceof ExchangeError) failed.set(`${t.exchange}:${t.productId}`, o);
    else ok.push(o);
  }
  return { ok, failed };
}

describe('five venues, one poll, into Redis', () => {
  it('50 products over five venues: 14 requests (10 Coinbase + 1 per batch venue), all stored and read back per venue', async () => {
    clients = makeClients(); // the documented limits
    try {
      const targets = csvTargets();
      expect(targets).toHaveLength(50);
      const { outcomes, requests } = await poll(targets);
      const { ok, failed } = split(targets, outcomes);
      expect([...failed].map(([k, e]) => `${k}: ${e.message}`)).toEqual([]);
      expect(ok).toHaveLength(50);

      // Requests per poll, counted by the runner and by the fakes themselves.
      expect(Object.fromEntries(requests)).toEqual({ coinbase: 10, kraken: 1, binance: 1, okx: 1, bybit: 1 });
      expect([coinbase.requests.length, kraken.count(), binance.count(), okx.count(), bybit.count()]).toEqual(
        [10, 1, 1, 1, 1],
      );

      const store = new RedisStore(redis.client());
      const written = await store.write(ok);
      expect(written.written).toBe(50);

      for (const t of targets) {
        const rows = [];
        for await (const s of store.range({ exchange: t.exchange, productId: t.productId })) rows.push(s);
        expect(rows, `${t.exchange}:${t.productId}`).toHaveLength(1);
        const [s] = rows;
        expect(s?.exchange).toBe(t.exchange);
        expect(s?.product_id).toBe(t.productId);
      }

      // What each venue's snapshot holds in timestamp and sequence.
      const one = async (exchange: ExchangeId, productId: string) => {
        const s = await store.latest({ exchange, productId });
        if (!s) throw new Error(`nothing stored for ${exchange}:${productId}`);
        return s;
      };
      const cb = await one('coinbase', 'BTC-USD');
      expect(cb.key).toMatch(/^orderbook:BTC-USD:\d{4}-\d\d-\d\dT[\d:.]+Z$/);
      expect(cb.sequence).toMatch(/^\d{16}$/);
      expect(cb.timestamp_source).toBeUndefined(); // exchange time

      const kr = await one('kraken', 'BTC-USD');
      expect(kr.key).toMatch(/^orderbook:kraken:BTC-USD:/);
      expect(kr).toMatchObject({ native_symbol: 'XXBTZUSD', sequence: '', timestamp_source: 'received' });
      expect(kr.timestamp).toBe(kr.received_at);
      expect(kr.bids).toEqual([['2431.37000', '2.000']]);
      expect((await one('kraken', 'BTC-EUR')).asks).toEqual([['90000.1', '0.00000001']]);

      const bn = await one('binance', 'SHIB-BTC');
      expect(bn).toMatchObject({ native_symbol: 'SHIBBTC', sequence: '', timestamp_source: 'received' });
      expect(bn.bids).toEqual([['8.00000001', '0.00000001']]);

      const ox = await one('okx', 'ETH-BTC');
      expect(ox).toMatchObject({ sequence: '', timestamp: '2021-05-19T16:09:43.784000Z' });
      expect(ox.native_symbol ?? ox.product_id).toBe('ETH-BTC'); // the store keeps it only when it differs
      expect(ox.timestamp_source).toBeUndefined(); // exchange time
      expect(ox.key).toBe('orderbook:okx:ETH-BTC:2021-05-19T16:09:43.784000Z');

      const by = await one('bybit', 'BTC-USDT');
      expect(by).toMatchObject({
        native_symbol: 'BTCUSDT',
        sequence: '',
        timestamp: '2023-01-16T08:51:27.947000Z',
      });
      expect((await one('bybit', 'PEPE-USDT')).asks).toEqual([['9.26', '0.00000001']]);

      // The same product id on two venues never shares a key or an index.
      expect(cb.key).not.toBe(kr.key);
      const products = await store.products();
      expect(products.filter((p) => p.productId === 'BTC-USD').map((p) => p.exchange)).toEqual([
        'coinbase',
        'kraken',
      ]);
    } finally {
      closeVenueClients(clients);
    }
  });

  it('unknown products: not_found for just those, the others stored; one follow-up on Binance and Kraken, then skipped', async () => {
    clients = makeClients(); // Kraken's follow-up waits its turn at ~1 request/s
    try {
      const targets = csvTargets([
        'kraken,NOPE-USD',
        'binance,NOPE-USDT',
        'okx,NOPE-USDT',
        'bybit,NOPE-USDT',
      ]);
      expect(targets).toHaveLength(54);
      const first = await poll(targets);
      const { ok, failed } = split(targets, first.outcomes);
      expect(ok).toHaveLength(50);
      expect([...failed.keys()].sort()).toEqual([
        'binance:NOPE-USDT',
        'bybit:NOPE-USDT',
        'kraken:NOPE-USD',
        'okx:NOPE-USDT',
      ]);
      for (const e of failed.values()) {
        expect(e.kind).toBe('not_found');
        expect(e.message).toMatch(/does not exist/);
      }
      expect(Object.fromEntries(first.requests)).toEqual({
        coinbase: 10,
        kraken: 2,
        binance: 2,
        okx: 1,
        bybit: 1,
      });
      // The follow-up went through Kraken's limiter (1 request/s × 0.9), not straight out.
      const [k1, k2] = kraken.requests;
      expect((k2?.at ?? 0) - (k1?.at ?? 0)).toBeGreaterThan(900);

      const store = new RedisStore(redis.client());
      expect((await store.write(ok)).written).toBe(50);
      expect(await store.latest({ exchange: 'binance', productId: 'NOPE-USDT' })).toBeUndefined();
      expect((await store.latest({ exchange: 'binance', productId: 'BTC-USDT' }))?.native_symbol).toBe(
        'BTCUSDT',
      );

      // The next poll leaves the unknown symbols out: back to one request per batch venue.
      const second = await poll(targets);
      expect(split(targets, second.outcomes).ok).toHaveLength(50);
      expect(Object.fromEntries(second.requests)).toEqual({
        coinbase: 10,
        kraken: 1,
        binance: 1,
        okx: 1,
        bybit: 1,
      });
    } finally {
      closeVenueClients(clients);
    }
  });
});
