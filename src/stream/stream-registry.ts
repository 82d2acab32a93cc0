/** The one place that maps a venue to its stream adapter. A new venue is one line here. */
import { BinanceStream } from '../exchanges/binance-stream.js';
import { BybitStream } from '../exchanges/bybit-stream.js';
import { CoinbaseStream } from '../exchanges/coinbase-stream.js';
import type { ExchangeId } from '../exchanges/exchange-ids.js';
import { KrakenStream } from '../exchanges/kraken-stream.js';
import { OkxStream } from '../exchanges/okx-stream.js';
import type { StreamAdapter } from './stream-adapter.js';

const FACTORIES: Record<ExchangeId, () => StreamAdapter> = {
  coinbase: () => new CoinbaseStream(),
  kraken: () => new KrakenStream(),
  binance: () => new BinanceStream(),
  okx: () => new OkxStream(),
  bybit: () => new BybitStream(),
};

export function createStreamAdapter(id: ExchangeId): StreamAdapter {
  return FACTORIES[id]();
}
