/**
 * Per-venue URL overrides from repeatable `NAME=URL` flags and `<PREFIX><VENUE>` environment
 * variables, written once for `--base-url` (REST) and `--ws-url` (streams). A flag wins over the
 * environment. An unknown venue, a URL of the wrong scheme, or one with a query or fragment is a
 * UsageError (exit 2) naming the flag or variable.
 */
import { UsageError } from '../errors.js';
import { type ExchangeId, isExchangeId, SUPPORTED_EXCHANGES } from './exchange-ids.js';

export interface VenueUrlSpec {
  flag: string;
  envPrefix: string;
  /** Accepted schemes, e.g. ['http:', 'https:']. */
  protocols: readonly string[];
  defaults: Readonly<Record<ExchangeId, string>>;
  /** The venue a bare URL (no NAME=) means; undefined: a bare URL is an error. */
  bareVenue: ExchangeId | undefined;
}

/** `name=URL`: a name of letters, digits, '_' or '-' before the first '='. A bare URL has ':' first. */
const NAMED = /^([A-Za-z][A-Za-z0-9_-]*)=(.*)$/s;

export function venueUrlEnvVar(spec: VenueUrlSpec, exchange: ExchangeId): string {
  return `${spec.envPrefix}${exchange.toUpperCase()}`;
}

export function parseVenueUrls(
  spec: VenueUrlSpec,
  flagValues: readonly string[],
  env: NodeJS.ProcessEnv,
): Partial<Record<ExchangeId, string>> {
  const out: Partial<Record<ExchangeId, string>> = {};

  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(spec.envPrefix) || raw === undefined || raw.trim() === '') continue;
    const venue = name.slice(spec.envPrefix.length).toLowerCase();
    if (!isExchangeId(venue)) {
      throw new UsageError(
        `${name}: unknown exchange '${venue}'; supported: ${SUPPORTED_EXCHANGES} (e.g. ${venueUrlEnvVar(spec, 'kraken')}=${spec.defaults.kraken})`,
      );
    }
    out[venue] = checkUrl(spec, raw.trim(), name, venue);
  }

  const fromFlags = new Map<ExchangeId, string>();
  for (const value of flagValues) {
    const text = value.trim();
    const named = NAMED.exec(text);
    const bare = spec.bareVenue;
    if (!named && bare === undefined) {
      throw new UsageError(
        `${spec.flag}: '${text}' does not name a venue; write ${spec.flag} NAME=URL, e.g. ${spec.flag} kraken=${spec.defaults.kraken} (venues: ${SUPPORTED_EXCHANGES})`,
      );
    }
    const venue = named ? (named[1] ?? '').toLowerCase() : (bare ?? '');
    const url = named ? (named[2] ?? '').trim() : text;
    if (!isExchangeId(venue)) {
      const bareNote = bare ? `; a bare URL means ${bare}` : '';
      throw new UsageError(
        `${spec.flag}: unknown exchange '${named?.[1] ?? venue}' in '${text}'; supported: ${SUPPORTED_EXCHANGES} ` +
          `(write ${spec.flag} NAME=URL, e.g. ${spec.flag} kraken=${spec.defaults.kraken}${bareNote})`,
      );
    }
    const where = named ? `${spec.flag} ${venue}=` : spec.flag;
    const checked = checkUrl(spec, url, where, venue);
    const earlier = fromFlags.get(venue);
    if (earlier !== undefined && earlier !== checked) {
      throw new UsageError(
        `${spec.flag}: ${venue} is given twice ('${earlier}' and '${checked}'); give it once`,
      );
    }
    fromFlags.set(venue, checked);
  }
  for (const [venue, url] of fromFlags) out[venue] = url;
  return out;
}

function checkUrl(spec: VenueUrlSpec, url: string, where: string, venue: ExchangeId): string {
  const example = `e.g. ${spec.defaults[venue]}`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`${where}: '${url}' is not a URL; use ${example}`);
  }
  if (!spec.protocols.includes(parsed.protocol)) {
    const schemes = spec.protocols.map((p) => `${p}//`).join(' or ');
    throw new UsageError(`${where}: '${url}' must start with ${schemes} (${example})`);
  }
  if (parsed.search !== '' || parsed.hash !== '') {
    throw new UsageError(
      `${where}: '${url}' must not carry a query or fragment; give the base URL only (${example})`,
    );
  }
  return url;
}
