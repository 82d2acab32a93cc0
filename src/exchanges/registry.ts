/** The one place that maps a venue name to its adapter. A new venue is one line here. */
import { BinanceExchange } from './binance.js';
import { BybitExchange } from './bybit.js';
import { CoinbaseExchange } from './coinbase.js';
import type { ExchangeApi, ExchangeApiOptions } from './exchange-api.js';
import type { ExchangeId } from './exchange-ids.js';
import { KrakenExchange } from './kraken.js';
import { OkxExchange } from './okx.js';

const FACTORIES: Record<ExchangeId, (options: ExchangeApiOptions) => ExchangeApi> = {
  coinbase: (o) => new CoinbaseExchange(o),
  kraken: (o) => new KrakenExchange(o),
  binance: (o) => new BinanceExchange(o),
  okx: (o) => new OkxExchange(o),
  bybit: (o) => new BybitExchange(o),
};

export function createExchange(id: ExchangeId, options: ExchangeApiOptions): ExchangeApi {
  return FACTORIES[id](options);
}
