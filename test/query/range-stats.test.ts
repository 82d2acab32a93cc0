import { describe, expect, it } from 'vitest';
import { spreadBps } from '../../src/decimal.js';
import { RangeStats, renderStatsText } from '../../src/query/range-stats.js';
import type { StoredSnapshot } from '../../src/store/redis-store.js';
import { toEpochMicros } from '../../src/timestamp.js';
import { type SnapOptions, snap } from './fixtures.js';

const REF = { exchange: 'coinbase', productId: 'BTC-USD' };

function stored(second: number, o: SnapOptions): StoredSnapshot {
  const timestamp = `2026-11-24T10:00:0${second}.000000Z`;
  return { ...snap(timestamp, o), key: `orderbook:BTC-USD:${timestamp}` };
}

// Known data: a 3 s gap between 2 s and 5 s; sequences around 2^53 (Number cannot tell them apart)
// with one step of +1, one jump of +3, one repeat, a snapshot without a sequence, one step back.
const DATA: StoredSnapshot[] = [
  stored(0, { bid: '100.00', ask: '100.01', sequence: '9007199254740991' }),
  stored(1, { bid: '100.00', ask: '100.03', sequence: '9007199254740992' }),
  stored(2, { bid: '100.01', ask: '100.03', sequence: '9007199254740995' }),
  stored(5, { bid: '100.00', ask: '100.10', sequence: '9007199254740995' }),
  stored(6, { bid: '100.00', ask: undefined, sequence: '' }),
  stored(7, { bid: '99.99', ask: '100.00', sequence: '9007199254740990' }),
  stored(8, { bid: '99.99', ask: '100.00', sequence: '9007199254740989' }),
];

describe('RangeStats', () => {
  it('computes the statistics of a known data set', () => {
    const stats = new RangeStats('asc');
    for (const s of DATA) stats.add(s);
    const r = stats.result(REF, { fromMicros: toEpochMicros('2026-11-24T10:00:00.000000Z') });
    expect(r).toMatchObject({
      exchange: 'coinbase',
      product_id: 'BTC-USD',
      from: '2026-11-24T10:00:00.000000Z',
      to: null,
      count: 7,
      first: '2026-11-24T10:00:00.000000Z',
      last: '2026-11-24T10:00:08.000000Z',
      quoted: 6,
      spread_min: '0.01',
      spread_max: '0.10',
      // (0.01 + 0.03 + 0.02 + 0.10 + 0.01 + 0.01) / 6 = 0.03, two more decimals than the prices
      spread_mean: '0.0300',
      largest_gap_us: 3_000_000,
      largest_gap: '3s',
      largest_gap_start: '2026-11-24T10:00:02.000000Z',
      largest_gap_end: '2026-11-24T10:00:05.000000Z',
      with_sequence: 6,
      sequence_jumps: 1,
      sequence_repeats: 1,
      sequence_backwards: 1,
      largest_sequence_jump: '3',
    });
    // min/max bps are exactly what the rows print for the snapshots that have them
    expect(r.spread_bps_min).toBe(spreadBps('100.00', '100.01', 4));
    expect(r.spread_bps_min).toBe('1.0000'); // 0.99995000…: 99.99/100.00 gives 1.00005
    expect(r.spread_bps_max).toBe(spreadBps('100.00', '100.10', 4));
    expect(r.spread_bps_max).toBe('9.9950');
    const bps = [
      ['100.00', '100.01'],
      ['100.00', '100.03'],
      ['100.01', '100.03'],
      ['100.00', '100.10'],
      ['99.99', '100.00'],
      ['99.99', '100.00'],
    ].map(([b, a]) => ((Number(a) - Number(b)) / ((Number(a) + Number(b)) / 2)) * 10_000);
    const mean = bps.reduce((x, y) => x + y, 0) / bps.length;
    expect(Math.abs(Number(r.spread_bps_mean) - mean)).toBeLessThan(0.00006);
  });

  it('gives the same result fed newest first', () => {
    const asc = new RangeStats('asc');
    const desc = new RangeStats('desc');
    for (const s of DATA) asc.add(s);
    for (const s of [...DATA].reverse()) desc.add(s);
    expect(desc.result(REF)).toEqual(asc.result(REF));
  });

  it('compares sequences beyond 2^64 exactly', () => {
    const stats = new RangeStats();
    stats.add(stored(0, { sequence: '18446744073709551615' }));
    stats.add(stored(1, { sequence: '18446744073709551625' }));
    stats.add(stored(2, { sequence: '18446744073709551626' }));
    expect(stats.result(REF)).toMatchObject({ sequence_jumps: 1, largest_sequence_jump: '10' });
  });

  it('rounds the mean half to even and keeps exact decimals', () => {
    const stats = new RangeStats();
    // spreads 0.001 and 0.002: mean 0.0015 at 5 decimals → 0.00150
    stats.add(stored(0, { bid: '1.000', ask: '1.001' }));
    stats.add(stored(1, { bid: '1.000', ask: '1.002' }));
    expect(stats.result(REF).spread_mean).toBe('0.00150');
  });

  it('reports nothing but the count for an empty range', () => {
    const r = new RangeStats().result(REF);
    expect(r).toMatchObject({
      count: 0,
      first: null,
      last: null,
      spread_min: null,
      spread_mean: null,
      largest_gap: null,
      largest_sequence_jump: null,
    });
    expect(renderStatsText(r)).toContain('snapshots             0');
  });

  it('renders a readable block', () => {
    const stats = new RangeStats();
    for (const s of DATA) stats.add(s);
    const text = renderStatsText(stats.result(REF));
    expect(text).toContain('product               coinbase BTC-USD');
    expect(text).toContain(
      'largest gap           3s (2026-11-24T10:00:02.000000Z → 2026-11-24T10:00:05.000000Z)',
    );
    expect(text).toContain('sequence jumps        1 (largest +3)');
  });
});
