/**
 * Each venue's public WebSocket endpoint, and `--ws-url NAME=URL` / `L1_WS_URL_<VENUE>` overrides
 * for proxies, sandboxes and local fakes (parsing shared with --base-url: exchanges/venue-urls.ts).
 */
import type { ExchangeId } from '../exchanges/exchange-ids.js';
import { parseVenueUrls, type VenueUrlSpec, venueUrlEnvVar } from '../exchanges/venue-urls.js';

export const DEFAULT_WS_URLS: Readonly<Record<ExchangeId, string>> = {
  coinbase: 'wss://ws-feed.exchange.coinbase.com',
  kraken: 'wss://ws.kraken.com/v2',
  // The combined-stream path and the stream names are added per connection (binance-stream.ts).
  binance: 'wss://stream.binance.com:9443',
  okx: 'wss://ws.okx.com:8443/ws/v5/public',
  bybit: 'wss://stream.bybit.com/v5/public/spot',
};

const SPEC: VenueUrlSpec = {
  flag: '--ws-url',
  envPrefix: 'L1_WS_URL_',
  protocols: ['ws:', 'wss:'],
  defaults: DEFAULT_WS_URLS,
  bareVenue: undefined,
};

export function wsUrlEnvVar(exchange: ExchangeId): string {
  return venueUrlEnvVar(SPEC, exchange);
}

export function parseWsUrlOverrides(
  flagValues: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Partial<Record<ExchangeId, string>> {
  return parseVenueUrls(SPEC, flagValues, env);
}
