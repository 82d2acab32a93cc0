/**
 * The pieces of --stream that need no socket: the change filter, the local book, sequence checks,
 * and each venue decoder on frames shaped like the venues' documented and recorded ones.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BybitStream } from '../../src/exchanges/bybit-stream.js';
import { CoinbaseStream } from '../../src/exchanges/coinbase-stream.js';
import { KrakenStream } from '../../src/exchanges/kraken-stream.js';
import { OkxStream } from '../../src/exchanges/okx-stream.js';
import type { L1Snapshot } from '../../src/snapshot.js';
import { PriceLevels } from '../../src/stream/price-levels.js';
import { compareSequence, SequenceTracker } from '../../src/stream/sequence-check.js';
import type { StreamAdapter, StreamEvent } from '../../src/stream/stream-adapter.js';
import { sameDecimal, TopFilter } from '../../src/stream/top-filter.js';

function snap(
  bid: [string, string] | undefined,
  ask: [string, string] | undefined,
  productId = 'BTC-USD',
): L1Snapshot {
  return {
    exchange: 'coinbase',
    product_id: productId,
    bids: bid ? [bid] : [],
    asks: ask ? [ask] : [],
    timestamp: '2026-12-04T10:00:00.000000Z',
    sequence: '',
    received_at: '2026-12-04T10:00:00.000100Z',
  };
}

function decode(adapter: StreamAdapter, products: string[], frames: string[]): StreamEvent[] {
  const decoder = adapter.createDecoder(
    products.map((p) => ({ productId: p, native: adapter.nativeSymbol(p) ?? p })),
  );
  const out: StreamEvent[] = [];
  for (const f of frames) decoder.decode(f, out);
  return out;
}

const quotes = (events: StreamEvent[]) => events.flatMap((e) => (e.type === 'quote' ? [e.quote] : []));

describe('change filter', () => {
  afterEach(() => vi.useRealTimers());

  it('compares prices and sizes as decimals but emits the venue text', () => {
    expect(sameDecimal('0.50', '0.5')).toBe(true);
    expect(sameDecimal('1.000', '1')).toBe(true);
    expect(sameDecimal('007.5', '7.50')).toBe(true);
    expect(sameDecimal('1e-2', '0.01')).toBe(true);
    expect(sameDecimal('0.5', '0.05')).toBe(false);
    const emitted: L1Snapshot[] = [];
    const filter = new TopFilter((s) => emitted.push(s));
    expect(filter.offer(snap(['100.10', '0.50'], ['100.20', '1']))).toBe('changed');
    expect(filter.offer(snap(['100.1', '0.5'], ['100.200', '1.0']))).toBe('unchanged');
    expect(filter.offer(snap(['100.1', '0.6'], ['100.2', '1']))).toBe('changed');
    expect(filter.offer(snap(undefined, ['100.2', '1']))).toBe('changed');
    expect(emitted.map((s) => s.bids)).toEqual([[['100.10', '0.50']], [['100.1', '0.6']], []]);
  });

  it('--min-interval: the first change at once, then the latest state of each window, never a superseded one', () => {
    vi.useFakeTimers();
    const emitted: L1Snapshot[] = [];
    const filter = new TopFilter((s) => emitted.push(s), 100);
    filter.offer(snap(['1', '1'], ['2', '1']));
    filter.offer(snap(['1', '2'], ['2', '1']));
    filter.offer(snap(['1', '3'], ['2', '1']));
    expect(emitted).toHaveLength(1);
    vi.advanceTimersByTime(100);
    expect(emitted.map((s) => s.bids[0]?.[1])).toEqual(['1', '3']);
    // A window in which the top went back to what was emitted emits nothing.
    filter.offer(snap(['1', '4'], ['2', '1']));
    filter.offer(snap(['1', '3'], ['2', '1']));
    vi.advanceTimersByTime(100);
    expect(emitted).toHaveLength(2);
    vi.advanceTimersByTime(500);
    filter.offer(snap(['1', '9'], ['2', '1']));
    expect(emitted.map((s) => s.bids[0]?.[1])).toEqual(['1', '3', '9']);
    filter.offer(snap(['1', '10'], ['2', '1']));
    filter.flush();
    expect(emitted.map((s) => s.bids[0]?.[1])).toEqual(['1', '3', '9', '10']);
  });
});

describe('local book side', () => {
  it('keeps the best level first, by value, with the text of the last message that set it', () => {
    const bids = new PriceLevels(true);
    bids.set(100.1, '100.10', '1', false);
    bids.set(100.3, '100.30', '2', false);
    bids.set(100.2, '100.2', '3', false);
    expect(bids.best()).toEqual(['100.30', '2']);
    bids.set(100.3, '100.30000000', '0.00000000', true);
    expect(bids.best()).toEqual(['100.2', '3']);
    bids.set(100.2, '100.20000000', '4.5', false);
    expect(bids.best()).toEqual(['100.20000000', '4.5']);
    bids.set(99, '99', '0', true); // removing an unknown level changes nothing
    expect(bids.size).toBe(2);
    const asks = new PriceLevels(false);
    asks.set(5, '5', '1', false);
    asks.set(4, '4', '1', false);
    expect(asks.best()).toEqual(['4', '1']);
  });
});

describe('sequence checks', () => {
  it('compares ids of any length without parsing, and says first / next / same / back', () => {
    expect(compareSequence('9', '10')).toBe(-1);
    expect(compareSequence('18446744073709551616', '18446744073709551615')).toBe(1);
    const t = new SequenceTracker();
    expect(['5', '9', '9', '7'].map((s) => t.step('A', s))).toEqual(['first', 'next', 'same', 'back']);
  });
});

describe('coinbase level2_batch decoder', () => {
  const cb = new CoinbaseStream();
  it('removes levels whatever the spelling of zero, skips a bad level once, and resyncs a crossed book', () => {
    const events = decode(
      cb,
      ['BTC-USD'],
      [
        '{"type":"l2update","product_id":"BTC-USD","changes":[["buy","1","1"]],"time":"2026-12-04T10:00:00.000001Z"}',
        '{"type":"snapshot","product_id":"BTC-USD","bids":[["10101.10","0.45054140"],["10101.00","0.-10000"],["10100.00","1"]],"asks":[["10102.55","0.57753524"],["10103.00","2"]]}',
        '{"type":"l2update","product_id":"BTC-USD","changes":[["buy","10101.10000000","0.0"],["sell","10102.55","0"]],"time":"2026-12-04T10:00:00.123456Z"}',
        '{"type":"l2update","product_id":"BTC-USD","changes":[["buy","10104.00","1"]],"time":"0001-01-01T00:00:00.000000Z"}',
      ],
    );
    // The update before the snapshot belongs to no book; the bad level is reported, not used.
    expect(events.filter((e) => e.type === 'malformed')).toHaveLength(1);
    expect(quotes(events).map((q) => [q.bid, q.ask, q.timestamp])).toEqual([
      [['10101.10', '0.45054140'], ['10102.55', '0.57753524'], undefined],
      [['10100.00', '1'], ['10103.00', '2'], '2026-12-04T10:00:00.123456Z'],
    ]);
    expect(events.filter((e) => e.type === 'resync')).toEqual([
      { type: 'resync', productId: 'BTC-USD', reason: 'crossed book' },
    ]);
  });

  it('asks again for a snapshot that was unreadable, or that does not come while updates do', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const cb2 = new CoinbaseStream();
    const decoder = cb2.createDecoder([{ productId: 'BTC-USD', native: 'BTC-USD' }]);
    const out: StreamEvent[] = [];
    decoder.decode('{"type":"snapshot","product_id":"BTC-USD","bids":"oops","asks":[]}', out);
    const update =
      '{"type":"l2update","product_id":"BTC-USD","changes":[["buy","1","1"]],"time":"2026-12-04T10:00:00.000001Z"}';
    decoder.decode(update, out);
    vi.advanceTimersByTime(9_000);
    decoder.decode(update, out);
    vi.advanceTimersByTime(2_000);
    decoder.decode(update, out);
    expect(out.filter((e) => e.type === 'resync')).toEqual([
      { type: 'resync', productId: 'BTC-USD', reason: 'unreadable snapshot' },
      { type: 'resync', productId: 'BTC-USD', reason: 'updates but no snapshot for 10 s' },
    ]);
    vi.useRealTimers();
  });

  it('names the refused product of a failed subscribe', () => {
    const events = decode(
      cb,
      ['BTC-USD', 'NOPE-USD'],
      ['{"type":"error","message":"Failed to subscribe","reason":"NOPE-USD is not a valid product"}'],
    );
    expect(events).toEqual([
      {
        type: 'rejected',
        productIds: ['NOPE-USD'],
        message: 'coinbase: Failed to subscribe: NOPE-USD is not a valid product',
      },
    ]);
  });
});

describe('kraken v2 decoder', () => {
  it('keeps numbers as written, and a connection_id past 2^53 does not matter', () => {
    const events = decode(
      new KrakenStream(),
      ['BTC-USD'],
      [
        '{"channel":"status","type":"update","data":[{"api_version":"v2","connection_id":12393906104898154338,"system":"online","version":"2.0.0"}]}',
        '{"channel":"ticker","type":"snapshot","data":[{"symbol":"BTC/USD","bid":97000.10,"bid_qty":0.00000000,"ask":97000.2000,"ask_qty":1.5,"timestamp":"2026-12-04T10:00:00.742648Z"}]}',
      ],
    );
    expect(quotes(events)).toEqual([
      {
        productId: 'BTC-USD',
        bid: undefined,
        ask: ['97000.2000', '1.5'],
        timestamp: '2026-12-04T10:00:00.742648Z',
        sequence: '',
      },
    ]);
  });
});

describe('okx bbo-tbt decoder', () => {
  it('reads seqId from the text (past 2^53 too) and counts a decrease as a gap', () => {
    const events = decode(
      new OkxStream(),
      ['BTC-USDT'],
      [
        '{"arg":{"channel":"bbo-tbt","instId":"BTC-USDT"},"data":[{"asks":[["2","1","0","1"]],"bids":[["1","1","0","1"]],"ts":"1764842400000","seqId":90071992547409931}]}',
        '{"arg":{"channel":"bbo-tbt","instId":"BTC-USDT"},"data":[{"asks":[["2","1","0","1"]],"bids":[["1","2","0","1"]],"ts":"1764842400001","seqId":12}]}',
        'pong',
      ],
    );
    expect(quotes(events).map((q) => q.sequence)).toEqual(['90071992547409931', '12']);
    expect(events.filter((e) => e.type === 'gap')).toHaveLength(1);
  });
});

describe('bybit orderbook.1 decoder', () => {
  it('applies the legacy delta form, and counts the unchanged re-push as a duplicate', () => {
    const f = (type: string, b: string, a: string, u: number) =>
      `{"topic":"orderbook.1.BTCUSDT","ts":"1764842400000","type":"${type}","data":{"s":"BTCUSDT","b":${b},"a":${a},"u":${u},"seq":1},"cts":1764842399999}`;
    const events = decode(
      new BybitStream(),
      ['BTC-USDT'],
      [
        f('delta', '[["1","1"]]', '[]', 7),
        f('snapshot', '[["1","1"]]', '[["2","1"]]', 8),
        f('delta', '[["1","0"],["0.9","3"]]', '[]', 9),
        f('delta', '[]', '[]', 9),
      ],
    );
    expect(events[0]).toEqual({ type: 'resync', productId: 'BTC-USDT', reason: 'delta before any snapshot' });
    expect(quotes(events).map((q) => [q.bid, q.ask, q.timestamp])).toEqual([
      [['1', '1'], ['2', '1'], '2025-12-04T09:59:59.999000Z'],
      [['0.9', '3'], ['2', '1'], '2025-12-04T09:59:59.999000Z'],
      [['0.9', '3'], ['2', '1'], '2025-12-04T09:59:59.999000Z'],
    ]);
    expect(events.filter((e) => e.type === 'duplicate')).toHaveLength(1);
  });
});
