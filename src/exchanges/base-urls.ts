/**
 * Per-venue base URL overrides, for a proxy, a regional endpoint (Binance.US) or a local fake:
 *
 *   --base-url URL              Coinbase (what the flag has always meant)
 *   --base-url kraken=URL       one venue; repeatable, one per venue
 *   L1_BASE_URL_KRAKEN=URL      the same from the environment (L1_BASE_URL_COINBASE, _BINANCE, …)
 *
 * A flag wins over the environment. An unknown venue name or a URL that is not http(s) is a
 * UsageError (exit 2) naming the flag or variable and listing the supported venues.
 */
import { UsageError } from '../errors.js';
import { type ExchangeId, isExchangeId, SUPPORTED_EXCHANGES } from './exchange-ids.js';

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

const ENV_PREFIX = 'L1_BASE_URL_';

/** The environment variable that overrides a venue's base URL: L1_BASE_URL_KRAKEN. */
export function baseUrlEnvVar(exchange: ExchangeId): string {
  return `${ENV_PREFIX}${exchange.toUpperCase()}`;
}

/** `name=URL`: a name of letters, digits, '_' or '-' before the first '='. A bare URL has ':' first. */
const NAMED = /^([A-Za-z][A-Za-z0-9_-]*)=(.*)$/s;

export function parseBaseUrlOverrides(
  flagValues: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Partial<Record<ExchangeId, string>> {
  const out: Partial<Record<ExchangeId, string>> = {};

  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || raw === undefined || raw.trim() === '') continue;
    const venue = name.slice(ENV_PREFIX.length).toLowerCase();
    if (!isExchangeId(venue)) {
      throw new UsageError(
        `${name}: unknown exchange '${venue}'; supported: ${SUPPORTED_EXCHANGES} (e.g. ${baseUrlEnvVar('kraken')}=${DEFAULT_BASE_URLS.kraken})`,
      );
    }
    out[venue] = checkUrl(raw.trim(), name, venue);
  }

  const fromFlags = new Map<ExchangeId, string>();
  for (const value of flagValues) {
    const text = value.trim();
    const named = NAMED.exec(text);
    const venue = named ? (named[1] ?? '').toLowerCase() : 'coinbase';
    const url = named ? (named[2] ?? '').trim() : text;
    if (!isExchangeId(venue)) {
      throw new UsageError(
        `--base-url: unknown exchange '${named?.[1] ?? venue}' in '${text}'; supported: ${SUPPORTED_EXCHANGES} ` +
          `(write --base-url NAME=URL, e.g. --base-url kraken=${DEFAULT_BASE_URLS.kraken}; a bare URL means coinbase)`,
      );
    }
    const where = named ? `--base-url ${venue}=` : '--base-url';
    const checked = checkUrl(url, where, venue);
    const earlier = fromFlags.get(venue);
    if (earlier !== undefined && earlier !== checked) {
      throw new UsageError(
        `--base-url: ${venue} is given twice ('${earlier}' and '${checked}'); give it once`,
      );
    }
    fromFlags.set(venue, checked);
  }
  for (const [venue, url] of fromFlags) out[venue] = url;
  return out;
}

function checkUrl(url: string, where: string, venue: ExchangeId): string {
  const example = `e.g. ${DEFAULT_BASE_URLS[venue]}`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`${where}: '${url}' is not a URL; use ${example}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new UsageError(`${where}: '${url}' must start with http:// or https:// (${example})`);
  }
  if (parsed.search !== '' || parsed.hash !== '') {
    throw new UsageError(
      `${where}: '${url}' must not carry a query or fragment; give the base URL only (${example})`,
    );
  }
  return url;
}
