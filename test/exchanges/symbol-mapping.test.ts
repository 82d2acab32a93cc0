// Unified BASE-QUOTE ids ↔ each venue's native symbols, both ways, without the network.
import { describe, expect, it } from 'vitest';
import { binanceSymbol } from '../../src/exchanges/binance.js';
import { bybitSymbol } from '../../src/exchanges/bybit.js';
import {
  krakenPair,
  krakenPairName,
  krakenResultKeys,
  matchKrakenKeys,
  unifiedFromKraken,
} from '../../src/exchanges/kraken.js';
import { okxInstId } from '../../src/exchanges/okx.js';

describe('unified → native', () => {
  it.each([
    ['BTC-USDT', 'BTCUSDT', 'BTC-USDT', 'BTCUSDT', 'XBTUSDT'],
    ['ETH-BTC', 'ETHBTC', 'ETH-BTC', 'ETHBTC', 'ETHXBT'],
    ['DOGE-USD', 'DOGEUSD', 'DOGE-USD', 'DOGEUSD', 'XDGUSD'],
    ['BTC-USD', 'BTCUSD', 'BTC-USD', 'BTCUSD', 'XBTUSD'],
    ['1INCH-USD', '1INCHUSD', '1INCH-USD', '1INCHUSD', '1INCHUSD'],
  ])('%s → binance %s, okx %s, bybit %s, kraken %s', (id, binance, okx, bybit, kraken) => {
    expect(binanceSymbol(id)).toBe(binance);
    expect(okxInstId(id)).toBe(okx);
    expect(bybitSymbol(id)).toBe(bybit);
    expect(krakenPairName(id)).toBe(kraken);
  });

  it('refuses ids that are not BASE-QUOTE spot pairs', () => {
    for (const id of ['BTC-USD-PERP', 'BTCUSD', 'BTC-USDT-SWAP']) {
      expect(binanceSymbol(id)).toBeUndefined();
      expect(okxInstId(id)).toBeUndefined();
      expect(bybitSymbol(id)).toBeUndefined();
      expect(krakenPairName(id)).toBeUndefined();
    }
  });
});

describe('kraken result keys → unified', () => {
  it.each([
    ['BTC-USD', 'XXBTZUSD'],
    ['ETH-USD', 'XETHZUSD'],
    ['ETH-BTC', 'XETHXXBT'],
    ['DOGE-USD', 'XDGUSD'],
    ['DOGE-USD', 'XXDGZUSD'],
    ['SOL-USD', 'SOLUSD'],
    ['USDT-USD', 'USDTZUSD'],
    ['BTC-USDT', 'XBTUSDT'],
    ['BTC-USD', 'XBT/USD'],
    ['BTC-EUR', 'XXBTZEUR'],
  ])('%s is answered as %s', (id, key) => {
    const pair = krakenPair(id);
    expect(pair).toBeDefined();
    if (!pair) return;
    expect(krakenResultKeys(pair)).toContain(key);
    expect(
      matchKrakenKeys(new Map([[`${pair.base}${pair.quote}`, pair]]), [key], false).get(
        `${pair.base}${pair.quote}`,
      ),
    ).toBe(key);
  });

  it('maps XBT and XDG back to BTC and DOGE', () => {
    expect(unifiedFromKraken('XBT', 'USD')).toBe('BTC-USD');
    expect(unifiedFromKraken('XDG', 'XBT')).toBe('DOGE-BTC');
    expect(unifiedFromKraken('SOL', 'EUR')).toBe('SOL-EUR');
  });

  it('matches a batch answer by its keys, whatever their order', () => {
    const requested = new Map(
      ['BTC-USD', 'ETH-BTC', 'DOGE-USD', 'SOL-USD'].map((id) => {
        const pair = krakenPair(id);
        if (!pair) throw new Error(id);
        return [`${pair.base}${pair.quote}`, pair] as const;
      }),
    );
    const matched = matchKrakenKeys(requested, ['SOLUSD', 'XDGUSD', 'XETHXXBT', 'XXBTZUSD'], true);
    expect(Object.fromEntries(matched)).toEqual({
      XBTUSD: 'XXBTZUSD',
      ETHXBT: 'XETHXXBT',
      XDGUSD: 'XDGUSD',
      SOLUSD: 'SOLUSD',
    });
  });

  it('in a batch answer, pairs the one key left over with the one pair left over', () => {
    const btc = krakenPair('BTC-USD');
    const odd = krakenPair('FOO-BAR');
    if (!btc || !odd) throw new Error('pairs');
    const requested = new Map([
      ['XBTUSD', btc],
      ['FOOBAR', odd],
    ]);
    expect(matchKrakenKeys(requested, ['XXBTZUSD', 'FOO.BAR'], true).get('FOOBAR')).toBe('FOO.BAR');
    // Not in an all-pairs answer: there a leftover key says nothing.
    expect(matchKrakenKeys(requested, ['XXBTZUSD', 'FOO.BAR'], false).has('FOOBAR')).toBe(false);
  });
});
