// The products CSV's optional `exchange` column, the default venue, and (exchange, product) dedupe.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError, UsageError } from '../../src/errors.js';
import { parseExchangeName } from '../../src/exchanges/exchange-ids.js';
import { parseProductsCsv, readProductsCsv } from '../../src/products-csv.js';

const csv = (text: string) => parseProductsCsv(Buffer.from(text), 'products.csv');

function inputError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return err as InputError;
  }
  throw new Error('expected an InputError');
}

describe('products CSV exchange column', () => {
  it('without the column every product is on coinbase; productIds still lists them', () => {
    const out = csv('product_id\nBTC-USD\neth-usd\n');
    expect(out.targets).toEqual([
      { exchange: 'coinbase', productId: 'BTC-USD' },
      { exchange: 'coinbase', productId: 'ETH-USD' },
    ]);
    expect(out.productIds).toEqual(['BTC-USD', 'ETH-USD']);
  });

  it('reads the column in any position and case; an empty cell means coinbase', () => {
    const out = csv(
      'Exchange,product_id,note\nKraken,btc-usd,x\n,BTC-USD,\n BINANCE ,BTC-USDT,\nokx,ETH-USDT,\nbybit,ETH-USDT,\n',
    );
    expect(out.targets).toEqual([
      { exchange: 'kraken', productId: 'BTC-USD' },
      { exchange: 'coinbase', productId: 'BTC-USD' },
      { exchange: 'binance', productId: 'BTC-USDT' },
      { exchange: 'okx', productId: 'ETH-USDT' },
      { exchange: 'bybit', productId: 'ETH-USDT' },
    ]);
    // Only the Coinbase ids, for callers that still read productIds.
    expect(out.productIds).toEqual(['BTC-USD']);
  });

  it('the default exchange (--exchange) applies to a CSV without the column and to empty cells', () => {
    expect(
      parseProductsCsv(Buffer.from('product_id\nBTC-USD\n'), 'p.csv', { defaultExchange: 'kraken' }).targets,
    ).toEqual([{ exchange: 'kraken', productId: 'BTC-USD' }]);
    expect(
      parseProductsCsv(Buffer.from('product_id,exchange\nBTC-USD,\nBTC-USDT,binance\n'), 'p.csv', {
        defaultExchange: 'okx',
      }).targets,
    ).toEqual([
      { exchange: 'okx', productId: 'BTC-USD' },
      { exchange: 'binance', productId: 'BTC-USDT' },
    ]);
  });

  it('dedupes by (exchange, product): the same product on two venues is kept twice', () => {
    const out = csv('product_id,exchange\nBTC-USD,kraken\nBTC-USD,coinbase\nbtc-usd,KRAKEN\nBTC-USD,\n');
    expect(out.targets).toEqual([
      { exchange: 'kraken', productId: 'BTC-USD' },
      { exchange: 'coinbase', productId: 'BTC-USD' },
    ]);
    expect(out.warnings).toEqual([
      'products.csv:4: duplicate product BTC-USD on kraken (first on line 2) ignored',
      'products.csv:5: duplicate product BTC-USD on coinbase (first on line 3) ignored',
    ]);
  });

  it('an unknown exchange is an InputError (exit 2) naming file:line and the supported names', () => {
    const err = inputError(() => csv('product_id,exchange\nBTC-USD,kraken\nBTC-USD,ftx\n'));
    expect(err.message).toBe(
      "products.csv:3: unknown exchange 'ftx'; supported: coinbase, kraken, binance, okx, bybit (leave it empty for coinbase)",
    );
    expect(err.exitCode).toBe(2);
  });

  it('readProductsCsv passes the default exchange through', () => {
    const dir = mkdtempSync(join(tmpdir(), 'l1-csv-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'p.csv');
    writeFileSync(path, 'product_id\nSOL-USD\n');
    expect(readProductsCsv(path, { defaultExchange: 'bybit' }).targets).toEqual([
      { exchange: 'bybit', productId: 'SOL-USD' },
    ]);
  });

  it('parseExchangeName reads --exchange, a UsageError listing the names otherwise', () => {
    expect(parseExchangeName(' Kraken ')).toBe('kraken');
    expect(() => parseExchangeName('ftx')).toThrow(UsageError);
    expect(() => parseExchangeName('ftx')).toThrow('--exchange: unknown exchange');
  });
});
