/** The one place that maps a venue name to its adapter. A new venue is one line here. */
import { CoinbaseExchange } from './coinbase.js';
import type { ExchangeApi, ExchangeApiOptions } from './exchange-api.js';
import type { ExchangeId } from './exchange-ids.js';

const FACTORIES: Record<ExchangeId, (options: ExchangeApiOptions) => ExchangeApi> = {
  coinbase: (o) => new CoinbaseExchange(o),
};

export function createExchange(id: ExchangeId, options: ExchangeApiOptions): ExchangeApi {
  return FACTORIES[id](options);
}
