/**
 * Per-venue base URL overrides, for a proxy, a regional endpoint (Binance.US) or a local fake:
 *
 *   --base-url URL              Coinbase (what the flag has always meant)
 *   --base-url kraken=URL       one venue; repeatable, one per venue
 *   L1_BASE_URL_KRAKEN=URL      the same from the environment (L1_BASE_URL_COINBASE, _BINANCE, …)
 *
 * A flag wins over the environment; parsing and its errors: venue-urls.ts.
 */
import type { ExchangeId } from './exchange-ids.js';
import { parseVenueUrls, type VenueUrlSpec, venueUrlEnvVar } from './venue-urls.js';

/**
 * Each venue's public REST base, in one place. Held here rather than in the adapters so that
 * parsing flags (and `--help`) does not load the adapters, zod and axios: a CLI's cold start.
 */
export const DEFAULT_BASE_URLS: Readonly<Record<ExchangeId, string>> = {
  coinbase: 'https://api.exchange.coinbase.com',
  kraken: 'https://api.kraken.com',
  binance: 'https://api.binance.com',
  okx: 'https://www.okx.com',
  bybit: 'https://api.bybit.com',
};

const SPEC: VenueUrlSpec = {
  flag: '--base-url',
  envPrefix: 'L1_BASE_URL_',
  protocols: ['http:', 'https:'],
  defaults: DEFAULT_BASE_URLS,
  bareVenue: 'coinbase',
};

/** The environment variable that overrides a venue's base URL: L1_BASE_URL_KRAKEN. */
export function baseUrlEnvVar(exchange: ExchangeId): string {
  return venueUrlEnvVar(SPEC, exchange);
}

export function parseBaseUrlOverrides(
  flagValues: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Partial<Record<ExchangeId, string>> {
  return parseVenueUrls(SPEC, flagValues, env);
}
