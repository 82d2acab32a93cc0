/**
 * Kraken spot: GET /0/public/Ticker?pair=XBTUSD,ETHUSD, ONE request for every product of a poll.
 * Answer (ccxt kraken.ts parseTicker comment; docs.kraken.com get-ticker-information):
 *   {"error":[],"result":{"XXBTZUSD":{"a":["2432.77000","1","1.000"],"b":["2431.37000","2","2.000"],"c":[...],...}}}
 * `a`/`b` = [price, whole lot volume, lot volume]; the size used is the lot volume, index 2.
 *
 * What the snapshot holds:
 *   timestamp  the receipt time, with timestamp_source 'received': Ticker carries no time.
 *   sequence   '' : Ticker carries no sequence.
 *   bids/asks  [[b[0], b[2]]] / [[a[0], a[2]]] verbatim; a missing side or a zero volume is [].
 *   native_symbol  the result key Kraken answered with (XXBTZUSD, XDGUSD, SOLUSD).
 *
 * Symbols: unified BTC-USD → request name XBTUSD (Kraken calls BTC "XBT" and DOGE "XDG"). Kraken
 * answers under its own key, often the legacy X/Z-prefixed form (XXBTZUSD, XETHXXBT), sometimes
 * the plain name (SOLUSD, XDGUSD) or the wsname (XBT/USD). Each key is matched back to the pair it
 * answers through those known forms; in a batch answer, which lists exactly the pairs asked for, a
 * single key left over after that belongs to the single pair left over.
 *
 * Errors come with HTTP 200 in the `error` array: `EQuery:Unknown asset pair` fails the whole
 * batch, so the adapter then reads the all-pairs Ticker once, serves the good products from it,
 * reports not_found for the rest and leaves them out of later batches for a while;
 * `EAPI:Rate limit exceeded` / `EGeneral:Temporary lockout` / `EService:Throttled:<unix time>` →
 * rate_limited; `EService:Unavailable|Busy` → server.
 */

import { z } from 'zod';
import { ExchangeError } from '../errors.js';
import { nowTimestamp } from '../timestamp.js';
import { BatchTickerAdapter, type ReadTicker, type WantedSymbols } from './batch-adapter.js';
import type { ExchangeApiOptions, FollowUpGate, L1Outcome } from './exchange-api.js';
import type { HttpResponse } from './http-client.js';
import {
  badShape,
  badTicker,
  type Pair,
  parseJson,
  splitPair,
  statusError,
  tickerSide,
  UnknownSymbols,
} from './venue-support.js';

/** Kraken's own codes for assets whose common code differs (ccxt commonCurrencies, cryptofeed). */
const TO_KRAKEN: Readonly<Record<string, string>> = { BTC: 'XBT', DOGE: 'XDG' };
const FROM_KRAKEN: Readonly<Record<string, string>> = { XBT: 'BTC', XDG: 'DOGE' };

/** Legacy fiat codes Kraken prefixes with Z (ZUSD); other legacy assets take X (XXBT, XETH). */
const FIAT = new Set(['USD', 'EUR', 'GBP', 'JPY', 'CAD', 'CHF', 'AUD']);

const envelopeSchema = z.object({
  error: z.array(z.string()).optional(),
  result: z.record(z.string(), z.unknown()).optional(),
});
const tickerSchema = z.object({
  a: z.array(z.unknown()).optional(),
  b: z.array(z.unknown()).optional(),
});

/** BTC-USD → {base: 'XBT', quote: 'USD'}: the pair in Kraken's asset codes. */
export function krakenPair(productId: string): Pair | undefined {
  const pair = splitPair(productId);
  if (!pair) return undefined;
  return { base: TO_KRAKEN[pair.base] ?? pair.base, quote: TO_KRAKEN[pair.quote] ?? pair.quote };
}

/** BTC-USD → XBTUSD, the name to request (Kraken's altname). */
export function krakenPairName(productId: string): string | undefined {
  const pair = krakenPair(productId);
  return pair ? `${pair.base}${pair.quote}` : undefined;
}

/** XBT/USD (a wsname) or XBT + USD → BTC-USD, the unified id. */
export function unifiedFromKraken(base: string, quote: string): string {
  return `${FROM_KRAKEN[base] ?? base}-${FROM_KRAKEN[quote] ?? quote}`;
}

/**
 * Every key Kraken may answer a pair under, most likely first: the request name (XBTUSD), the
 * legacy prefixed forms (XXBTZUSD, XETHXXBT, USDTZUSD, XXDGZUSD), and the wsname (XBT/USD).
 */
export function krakenResultKeys(pair: Pair): string[] {
  const { base, quote } = pair;
  const bases = base.length === 3 ? [base, `X${base}`] : [base];
  // Fiat takes Z in the legacy codes (ZUSD), crypto X (XXBT); the likelier prefix is tried first.
  const prefixes = FIAT.has(quote) ? ['Z', 'X'] : ['X', 'Z'];
  const quotes = quote.length === 3 ? [quote, ...prefixes.map((p) => `${p}${quote}`)] : [quote];
  const keys: string[] = [];
  for (const b of bases) for (const q of quotes) keys.push(`${b}${q}`);
  keys.push(
    `${pair.base}/${pair.quote}`,
    `${FROM_KRAKEN[pair.base] ?? pair.base}/${FROM_KRAKEN[pair.quote] ?? pair.quote}`,
  );
  return [...new Set(keys)];
}

/**
 * Matches result keys to requested pair names. `batch`: the answer lists exactly the pairs asked
 * for, so one key and one pair both left unmatched belong together.
 */
export function matchKrakenKeys(
  requested: ReadonlyMap<string, Pair>,
  keys: readonly string[],
  batch: boolean,
): Map<string, string> {
  const present = new Set(keys);
  const matched = new Map<string, string>(); // request name → result key
  for (const [name, pair] of requested) {
    const key = krakenResultKeys(pair).find((k) => present.has(k));
    if (key !== undefined) matched.set(name, key);
  }
  if (batch) {
    const usedKeys = new Set(matched.values());
    const leftKeys = keys.filter((k) => !usedKeys.has(k));
    const leftNames = [...requested.keys()].filter((n) => !matched.has(n));
    const [onlyKey] = leftKeys;
    const [onlyName] = leftNames;
    if (leftKeys.length === 1 && leftNames.length === 1 && onlyKey && onlyName)
      matched.set(onlyName, onlyKey);
  }
  return matched;
}

export class KrakenExchange extends BatchTickerAdapter<'kraken'> {
  /** Kraken caps no pair count; 100 keeps the URL short. */
  readonly maxProductsPerRequest = 100;
  protected readonly examplePair = 'BTC-USD';
  protected readonly unreadableSides = "'a'/'b' are not [price, whole lot volume, lot volume]";

  constructor(options: ExchangeApiOptions) {
    super('kraken', options, new UnknownSymbols());
  }

  /** `wanted`: request name (XBTUSD) → product ids. */
  protected async fetchWanted(
    wanted: WantedSymbols,
    out: Map<string, L1Outcome>,
    followUp: FollowUpGate | undefined,
  ): Promise<void> {
    const names = [...wanted.keys()];
    const res = await this.http.get(`${this.baseUrl}/0/public/Ticker?pair=${names.join(',')}`, undefined);
    const answer = this.read(res);
    if (answer.kind === 'result') {
      this.collect(answer.result, wanted, out, nowTimestamp(), true);
      return;
    }
    if (names.length === 1) {
      for (const name of names) this.markNotListed(name, wanted, out);
      return;
    }
    // One unknown pair fails the whole batch and Kraken does not say which: read the all-pairs
    // Ticker once and pick ours from it.
    await this.waitForFollowUp(followUp, 1, answer.error);
    const all = this.read(await this.http.get(`${this.baseUrl}/0/public/Ticker`, undefined));
    if (all.kind !== 'result') throw all.error;
    this.collect(all.result, wanted, out, nowTimestamp(), false);
  }

  protected nativeSymbol(productId: string): string | undefined {
    return krakenPairName(productId);
  }

  protected notListedHint(): string {
    return `Kraken answers EQuery:Unknown asset pair; check the id against GET ${this.baseUrl}/0/public/AssetPairs`;
  }

  /** The answer's result, or the unknown-pair error; throws any other error. */
  private read(
    res: HttpResponse,
  ): { kind: 'result'; result: Record<string, unknown> } | { kind: 'unknown_pair'; error: ExchangeError } {
    if (res.status !== 200) throw statusError(this.id, res);
    const parsed = envelopeSchema.safeParse(parseJson(this.id, res));
    if (!parsed.success) throw badShape(this.id, res.status, "no 'error'/'result' envelope");
    const errors = (parsed.data.error ?? []).filter((e) => e.startsWith('E')); // W… are warnings
    if (errors.length === 0) {
      if (!parsed.data.result) throw badShape(this.id, res.status, "no 'result' and no 'error'");
      return { kind: 'result', result: parsed.data.result };
    }
    const error = krakenError(errors);
    if (errors.some((e) => /^EQuery:(Unknown|Invalid) asset pair/.test(e)))
      return { kind: 'unknown_pair', error };
    throw error;
  }

  private collect(
    result: Record<string, unknown>,
    wanted: WantedSymbols,
    out: Map<string, L1Outcome>,
    receivedAt: string,
    batch: boolean,
  ): void {
    const matched = matchKrakenKeys(requestedPairs(wanted), Object.keys(result), batch);
    for (const [name, productIds] of wanted) {
      const key = matched.get(name);
      if (key === undefined) {
        if (batch) {
          for (const productId of productIds)
            out.set(
              productId,
              badTicker(this.id, productId, name, 'the answer has no key that matches this pair'),
            );
        } else {
          this.markNotListed(name, wanted, out);
        }
        continue;
      }
      const parsed = tickerSchema.safeParse(result[key]);
      const ticker: ReadTicker = {
        nativeSymbol: key,
        bids: parsed.success ? tickerSide(parsed.data.b?.[0], parsed.data.b?.[2]) : undefined,
        asks: parsed.success ? tickerSide(parsed.data.a?.[0], parsed.data.a?.[2]) : undefined,
        exchangeTimestamp: undefined, // Ticker has no time
      };
      this.serveTicker(productIds, ticker, out, receivedAt);
    }
  }
}

/** Request name → the pair it asks for (of the last product id, where several share a name). */
function requestedPairs(wanted: WantedSymbols): Map<string, Pair> {
  const requested = new Map<string, Pair>();
  for (const [name, productIds] of wanted) {
    for (const productId of productIds) {
      const pair = krakenPair(productId);
      if (pair) requested.set(name, pair);
    }
  }
  return requested;
}

/** Kraken's `error` strings → one typed error (the first that decides the kind). */
export function krakenError(errors: readonly string[], nowMs: number = Date.now()): ExchangeError {
  const text = errors.join('; ');
  const base = { exchange: 'kraken', status: 200 };
  const throttled = errors.map((e) => /^EService:\s*Throttled:\s*(\d+)/.exec(e)).find((m) => m);
  if (throttled) {
    return new ExchangeError({
      ...base,
      kind: 'rate_limited',
      retryAfterMs: Math.max(0, Number(throttled[1]) * 1000 - nowMs),
      message: `kraken: too many concurrent requests (${text})`,
    });
  }
  if (errors.some((e) => /^EAPI:Rate limit exceeded|^EGeneral:Temporary lockout/.test(e))) {
    return new ExchangeError({ ...base, kind: 'rate_limited', message: `kraken: rate limited (${text})` });
  }
  if (errors.some((e) => /^EQuery:(Unknown|Invalid) asset pair/.test(e))) {
    return new ExchangeError({ ...base, kind: 'not_found', message: `kraken: unknown asset pair (${text})` });
  }
  if (errors.some((e) => /^EService:|^EGeneral:Internal error/.test(e))) {
    return new ExchangeError({ ...base, kind: 'server', message: `kraken: service unavailable (${text})` });
  }
  return new ExchangeError({ ...base, kind: 'client', message: `kraken: request refused (${text})` });
}
