// --base-url URL | --base-url NAME=URL (repeatable) | L1_BASE_URL_<NAME>, flags winning.
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { baseUrlEnvVar, DEFAULT_BASE_URLS, parseBaseUrlOverrides } from '../../src/exchanges/base-urls.js';
import { EXCHANGE_IDS } from '../../src/exchanges/exchange-ids.js';

function usageError(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return err as UsageError;
  }
  throw new Error('expected a UsageError');
}

describe('parseBaseUrlOverrides', () => {
  it('nothing given → no overrides', () => {
    expect(parseBaseUrlOverrides([], {})).toEqual({});
  });

  it('a bare URL keeps meaning Coinbase', () => {
    expect(parseBaseUrlOverrides(['https://api-public.sandbox.exchange.coinbase.com'], {})).toEqual({
      coinbase: 'https://api-public.sandbox.exchange.coinbase.com',
    });
  });

  it('NAME=URL sets one venue, repeatable, names case-insensitive; a URL with = in its path stays whole', () => {
    expect(
      parseBaseUrlOverrides(
        ['kraken=http://127.0.0.1:9001', 'Binance=https://api.binance.us', 'http://127.0.0.1:9000/x=y'],
        {},
      ),
    ).toEqual({
      kraken: 'http://127.0.0.1:9001',
      binance: 'https://api.binance.us',
      coinbase: 'http://127.0.0.1:9000/x=y',
    });
  });

  it('reads L1_BASE_URL_<NAME>; a flag wins over the environment; empty variables are ignored', () => {
    const env = {
      L1_BASE_URL_OKX: 'http://127.0.0.1:9003',
      L1_BASE_URL_BYBIT: 'http://127.0.0.1:9004',
      L1_BASE_URL_KRAKEN: '',
      PATH: '/usr/bin',
    };
    expect(parseBaseUrlOverrides(['bybit=http://127.0.0.1:9999'], env)).toEqual({
      okx: 'http://127.0.0.1:9003',
      bybit: 'http://127.0.0.1:9999',
    });
    expect(EXCHANGE_IDS.map(baseUrlEnvVar)).toEqual([
      'L1_BASE_URL_COINBASE',
      'L1_BASE_URL_KRAKEN',
      'L1_BASE_URL_BINANCE',
      'L1_BASE_URL_OKX',
      'L1_BASE_URL_BYBIT',
    ]);
  });

  it('an unknown venue is a UsageError naming the flag and listing the supported venues', () => {
    const err = usageError(() => parseBaseUrlOverrides(['krakn=https://api.kraken.com'], {}));
    expect(err.message).toContain('--base-url');
    expect(err.message).toContain("'krakn'");
    expect(err.message).toContain('coinbase, kraken, binance, okx, bybit');
    expect(err.exitCode).toBe(2);
  });

  it('an unknown venue in the environment is a UsageError naming the variable', () => {
    const err = usageError(() => parseBaseUrlOverrides([], { L1_BASE_URL_FTX: 'https://ftx.com' }));
    expect(err.message).toContain('L1_BASE_URL_FTX');
    expect(err.message).toContain('coinbase, kraken, binance, okx, bybit');
  });

  it('an invalid URL is a UsageError naming the flag or variable', () => {
    expect(usageError(() => parseBaseUrlOverrides(['kraken=not a url'], {})).message).toMatch(
      /^--base-url kraken=: 'not a url' is not a URL/,
    );
    expect(usageError(() => parseBaseUrlOverrides(['ftp://example.com'], {})).message).toMatch(
      /^--base-url: .*http:\/\/ or https:\/\//,
    );
    expect(usageError(() => parseBaseUrlOverrides(['okx=https://www.okx.com?x=1'], {})).message).toMatch(
      /query/,
    );
    expect(usageError(() => parseBaseUrlOverrides([], { L1_BASE_URL_OKX: 'www.okx.com' })).message).toMatch(
      /^L1_BASE_URL_OKX: /,
    );
  });

  it('the same venue twice with different URLs is a UsageError', () => {
    expect(
      usageError(() => parseBaseUrlOverrides(['kraken=http://127.0.0.1:1', 'kraken=http://127.0.0.1:2'], {}))
        .message,
    ).toMatch(/kraken is given twice/);
    expect(parseBaseUrlOverrides(['kraken=http://127.0.0.1:1', 'kraken=http://127.0.0.1:1'], {})).toEqual({
      kraken: 'http://127.0.0.1:1',
    });
  });

  it('has a default base URL for every venue', () => {
    for (const id of EXCHANGE_IDS) expect(DEFAULT_BASE_URLS[id]).toMatch(/^https:\/\//);
  });
});
