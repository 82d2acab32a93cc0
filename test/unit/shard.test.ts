// --shard K/N: parsing, and the split itself: N shares partition any CSV exactly, a pair's share
// depends on nothing but the pair and N, and growing N moves only what the new share takes.
import { describe, expect, it } from 'vitest';
import { parseShard, selectShard, shareOf } from '../../src/capture/shard.js';
import type { Target } from '../../src/capture/targets.js';
import { UsageError } from '../../src/errors.js';
import { EXCHANGE_IDS } from '../../src/exchanges/exchange-ids.js';

const targets = (n: number): Target[] =>
  Array.from({ length: n }, (_, i) => ({
    exchange: EXCHANGE_IDS[i % EXCHANGE_IDS.length] as Target['exchange'],
    productId: `X${Math.floor(i / EXCHANGE_IDS.length)}-USD`,
  }));
const name = (t: Target) => `${t.exchange}:${t.productId}`;

describe('parseShard', () => {
  it('reads K/N, spaces allowed', () => {
    expect(parseShard('1/3')).toEqual({ index: 1, count: 3 });
    expect(parseShard(' 3 / 3 ')).toEqual({ index: 3, count: 3 });
    expect(parseShard('1/1')).toEqual({ index: 1, count: 1 });
  });

  it.each(['0/3', '4/3', '1/0', '3', '1/3/5', 'a/b', '-1/3', '1.5/3', '', '1/1025'])(
    "rejects '%s' with one line naming --shard",
    (value) => {
      expect(() => parseShard(value)).toThrow(UsageError);
      expect(() => parseShard(value)).toThrow(
        new RegExp(`^--shard: '${value.replace(/[./]/g, '\\$&')}' must be K/N`),
      );
    },
  );
});

describe('selectShard', () => {
  it('N shares partition the targets exactly, each in CSV order, for N = 1..6', () => {
    const all = targets(500);
    for (let n = 1; n <= 6; n++) {
      const shares = Array.from({ length: n }, (_, k) => selectShard(all, { index: k + 1, count: n }));
      const seen = shares.flat().map(name);
      expect(seen.length).toBe(all.length);
      expect(new Set(seen).size).toBe(all.length);
      for (const share of shares) {
        const positions = share.map((t) => all.indexOf(t));
        expect(positions).toEqual([...positions].sort((a, b) => a - b));
        // Roughly even: no share under half its fair part of 500.
        expect(share.length).toBeGreaterThan(500 / n / 2);
      }
    }
  });

  it('a pair keeps its share when products are added or removed', () => {
    const before = targets(200);
    const after = [...targets(300)].reverse().filter((_, i) => i % 7 !== 0);
    for (const t of after) {
      const old = before.find((b) => name(b) === name(t));
      if (old) expect(shareOf(t, 4)).toBe(shareOf(old, 4));
    }
  });

  it('going from 3 to 4 shares moves only what the 4th share takes', () => {
    const all = targets(1000);
    const moved = all.filter((t) => shareOf(t, 3) !== shareOf(t, 4));
    expect(moved.every((t) => shareOf(t, 4) === 4)).toBe(true);
    expect(moved.length).toBeGreaterThan(150);
    expect(moved.length).toBeLessThan(350);
  });

  it('tells venues apart: the same product on two venues is two pairs', () => {
    const pairs = EXCHANGE_IDS.map((exchange) => ({ exchange, productId: 'BTC-USD' }));
    const shares = new Set(pairs.map((t) => shareOf(t, 2)));
    expect(shares.size).toBe(2); // five venues never all land in one of two shares here
  });
});
