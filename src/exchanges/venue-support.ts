/**
 * Small pieces every batch-ticker adapter (Kraken, Binance, OKX, Bybit) shares: splitting a unified
 * BASE-QUOTE id, reading a JSON body, turning HTTP statuses into ExchangeError kinds, building a
 * validated snapshot from one ticker, and remembering symbols a venue said it does not list.
 */
import { ExchangeError } from '../errors.js';
import { type L1Snapshot, type Level, l1SnapshotSchema } from '../snapshot.js';
import { fromEpochMillis } from '../timestamp.js';
import type { ExchangeId } from './exchange-ids.js';
import { type HttpResponse, parseRetryAfter } from './http-client.js';

export interface Pair {
  base: string;
  quote: string;
}

/** `BTC-USD` → {base: 'BTC', quote: 'USD'}; undefined unless the id has exactly two parts. */
export function splitPair(productId: string): Pair | undefined {
  const parts = productId.split('-');
  if (parts.length !== 2) return undefined;
  const [base, quote] = parts;
  if (!base || !quote) return undefined;
  return { base, quote };
}

/** The error for an id that cannot be a spot pair on the venue (not BASE-QUOTE). */
export function notASpotPair(exchange: ExchangeId, productId: string, example: string): ExchangeError {
  return new ExchangeError({
    kind: 'not_found',
    exchange,
    productId,
    message: `${exchange}: '${productId}' is not a spot pair; write products as BASE-QUOTE (e.g. ${example})`,
  });
}

export function notListed(
  exchange: ExchangeId,
  productId: string,
  nativeSymbol: string,
  hint: string,
): ExchangeError {
  return new ExchangeError({
    kind: 'not_found',
    exchange,
    productId,
    message: `${exchange}: product '${productId}' does not exist (no spot market '${nativeSymbol}'); ${hint}`,
  });
}

/** Parses a JSON body; a body that is not JSON (a proxy's HTML page) is a retryable bad_response. */
export function parseJson(exchange: ExchangeId, res: HttpResponse): unknown {
  try {
    return JSON.parse(res.body);
  } catch {
    throw new ExchangeError({
      kind: 'bad_response',
      exchange,
      status: res.status,
      message: `${exchange}: the answer (HTTP ${res.status}) is not JSON: ${preview(res.body)}`,
    });
  }
}

/** Parses a JSON body when there is one; undefined otherwise (error pages are often HTML). */
export function tryParseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

export function badShape(exchange: ExchangeId, status: number, detail: string): ExchangeError {
  return new ExchangeError({
    kind: 'bad_response',
    exchange,
    status,
    message: `${exchange}: unexpected answer: ${detail}`,
  });
}

/**
 * The generic meaning of a non-200 status, for what the adapter did not read more specifically:
 * 429 rate_limited (with Retry-After), 418 banned, 451 geo_blocked, 5xx server, other 4xx client.
 */
export function statusError(exchange: ExchangeId, res: HttpResponse, venueMessage?: string): ExchangeError {
  const said = venueMessage ? ` (${venueMessage})` : '';
  const retryAfterMs = parseRetryAfter(res.headers['retry-after']);
  const base = { exchange, status: res.status, retryAfterMs };
  if (res.status === 429)
    return new ExchangeError({
      ...base,
      kind: 'rate_limited',
      message: `${exchange}: rate limited (429${said})`,
    });
  if (res.status === 418)
    return new ExchangeError({
      ...base,
      kind: 'banned',
      message: `${exchange}: this IP is banned for exceeding the rate limit (418${said}); wait before retrying`,
    });
  if (res.status === 451)
    return new ExchangeError({
      ...base,
      kind: 'geo_blocked',
      message: `${exchange}: refused from this location (451${said}); use a regional endpoint with --base-url ${exchange}=URL`,
    });
  if (res.status >= 500)
    return new ExchangeError({
      ...base,
      kind: 'server',
      message: `${exchange}: server error ${res.status}${said}`,
    });
  if (res.status === 404)
    return new ExchangeError({
      ...base,
      kind: 'client',
      message: `${exchange}: endpoint not found (404${said}); check --base-url ${exchange}=URL`,
    });
  return new ExchangeError({
    ...base,
    kind: 'client',
    message: `${exchange}: request refused with ${res.status}${said}`,
  });
}

/**
 * One side of a ticker as a level list: `[[price, size]]`, both verbatim; `[]` when the venue
 * shows the side as empty (`""`, or a zero size such as Binance's "0.00000000").
 * Undefined when a value is missing or not a decimal string (the caller reports a bad_response).
 */
export function tickerSide(price: unknown, size: unknown): Level[] | undefined {
  if (typeof price !== 'string' || typeof size !== 'string') return undefined;
  if (price === '' || size === '') return [];
  if (!DECIMAL_TEXT.test(price) || !DECIMAL_TEXT.test(size)) return undefined;
  if (isZeroText(size)) return [];
  return [[price, size]];
}

/** A non-negative decimal as venues write it (exponent allowed). */
export const DECIMAL_TEXT = /^\d+(\.\d+)?([eE][-+]?\d+)?$/;
const ZERO_TEXT = /^0*(\.0*)?([eE][-+]?\d+)?$/;

/** '0', '0.0', '0.00000000': a removal (Coinbase), an empty side (Binance). */
export function isZeroText(text: string): boolean {
  return ZERO_TEXT.test(text);
}

/** Epoch milliseconds (number or digit string) → the fixed-width timestamp; undefined if unusable. */
export function timestampFromMillis(value: unknown): string | undefined {
  const ms =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^\d+$/.test(value)
        ? Number(value)
        : NaN;
  // Zero or a date before 2001 is a placeholder, not the venue's clock.
  if (!Number.isSafeInteger(ms) || ms < 978_307_200_000) return undefined;
  return fromEpochMillis(ms);
}

export interface TickerFields {
  exchange: ExchangeId;
  productId: string;
  nativeSymbol: string;
  bids: Level[];
  asks: Level[];
  /** The venue's time for the ticker, when it gives one; else the receipt time is used and marked. */
  exchangeTimestamp: string | undefined;
  receivedAt: string;
}

/** Builds and validates the snapshot of one ticker; a bad_response error if it fails the schema. */
export function tickerSnapshot(f: TickerFields): L1Snapshot | ExchangeError {
  const snapshot: L1Snapshot = {
    exchange: f.exchange,
    product_id: f.productId,
    bids: f.bids,
    asks: f.asks,
    timestamp: f.exchangeTimestamp ?? f.receivedAt,
    // None of these ticker endpoints carries a book sequence; we never invent one.
    sequence: '',
    received_at: f.receivedAt,
    native_symbol: f.nativeSymbol,
    timestamp_source: f.exchangeTimestamp === undefined ? 'received' : 'exchange',
  };
  const checked = l1SnapshotSchema.safeParse(snapshot);
  if (checked.success) return snapshot;
  const issue = checked.error.issues[0];
  return new ExchangeError({
    kind: 'bad_response',
    exchange: f.exchange,
    productId: f.productId,
    message: `${f.exchange} ${f.productId}: unexpected ticker for ${f.nativeSymbol} at '${issue?.path.join('.') ?? ''}': ${issue?.message ?? ''}`,
  });
}

export function badTicker(exchange: ExchangeId, productId: string, nativeSymbol: string, detail: string) {
  return new ExchangeError({
    kind: 'bad_response',
    exchange,
    productId,
    message: `${exchange} ${productId}: unexpected ticker for ${nativeSymbol}: ${detail}`,
  });
}

/**
 * Native symbols a venue said it does not list, remembered for a while so later polls leave them
 * out of the batch (one bad symbol fails a whole Binance or Kraken batch) and report not_found at
 * once. After `ttlMs` a symbol is tried again, in case it was listed since.
 */
export class UnknownSymbols {
  private readonly until = new Map<string, number>();

  constructor(
    private readonly ttlMs: number = 15 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  add(symbol: string): void {
    this.until.set(symbol, this.now() + this.ttlMs);
  }

  has(symbol: string): boolean {
    const until = this.until.get(symbol);
    if (until === undefined) return false;
    if (until <= this.now()) {
      this.until.delete(symbol);
      return false;
    }
    return true;
  }
}

export function preview(body: string): string {
  const flat = body.replace(/\s+/g, ' ').trim();
  return JSON.stringify(flat.length > 80 ? `${flat.slice(0, 80)}…` : flat);
}
