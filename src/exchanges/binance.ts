/**
 * Binance spot: GET /api/v3/ticker/bookTicker, ONE request for every product of a poll
 * (`symbols=["BTCUSDT","ETHUSDT"]`, weight 4 whatever the count; `symbol=BTCUSDT` for a single
 * product, weight 2). Answer (binance-spot-api-docs rest-api.md):
 *   {"symbol":"LTCBTC","bidPrice":"4.00000000","bidQty":"431.00000000","askPrice":"4.00000200","askQty":"9.00000000"}
 * (an array of these for `symbols`).
 *
 * What the snapshot holds:
 *   timestamp  the receipt time, with timestamp_source 'received': bookTicker carries no time.
 *   sequence   '' : bookTicker carries no update id (only /depth and the WS stream have one).
 *   bids/asks  [[bidPrice, bidQty]] / [[askPrice, askQty]] verbatim; a side with a zero quantity
 *              ("0.00000000", an empty book side) is [].
 *   native_symbol  BTCUSDT (BASE + QUOTE, no separator).
 *
 * Errors are `{"code":-1121,"msg":"Invalid symbol."}`: an unknown symbol fails the WHOLE batch, so
 * the adapter then reads the all-symbols bookTicker once (same weight 4), serves the good products
 * from it, reports not_found for the bad ones and leaves those out of later batches for a while.
 * 429 + Retry-After → rate_limited; 418 + Retry-After → banned; 451 → geo_blocked (suggests
 * Binance.US); 403 (WAF) → client. X-MBX-USED-WEIGHT-1M near the limit pauses the limiter until the
 * next minute window (Binance counts weight per fixed UTC minute).
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
  parseJson,
  splitPair,
  statusError,
  tickerSide,
  tryParseJson,
  UnknownSymbols,
} from './venue-support.js';

/** Binance.US: a separate exchange for US residents, USD-quoted symbols (BTCUSD). */
export const BINANCE_US_BASE_URL = 'https://api.binance.us';

/** Request weight per fixed minute: 6000 on binance.com; Binance.US has used 1200. */
const WEIGHT_LIMIT = 6000;
const WEIGHT_LIMIT_US = 1200;
/** Above this share of the minute's weight, hold requests until the next window. */
const WEIGHT_HOLD_SHARE = 0.9;
const WEIGHT_ONE_SYMBOL = 2;
const WEIGHT_MANY_SYMBOLS = 4;

const bookTickerSchema = z.object({
  symbol: z.string(),
  bidPrice: z.unknown().optional(),
  bidQty: z.unknown().optional(),
  askPrice: z.unknown().optional(),
  askQty: z.unknown().optional(),
});
const errorSchema = z.object({ code: z.number(), msg: z.string() });

/** `BTC-USDT` → `BTCUSDT`; undefined for an id that is not BASE-QUOTE. */
export function binanceSymbol(productId: string): string | undefined {
  const pair = splitPair(productId);
  return pair ? `${pair.base}${pair.quote}` : undefined;
}

export class BinanceExchange extends BatchTickerAdapter<'binance'> {
  /** Binance caps no symbols count; 100 keeps the URL short (~1.5 kB). */
  readonly maxProductsPerRequest = 100;
  protected readonly examplePair = 'BTC-USDT';
  protected readonly unreadableSides = 'prices/quantities are not decimal strings';
  private readonly weightLimit: number;
  private pauseHintMs: number | undefined;

  constructor(options: ExchangeApiOptions) {
    super('binance', options, new UnknownSymbols());
    this.weightLimit = hostOf(this.baseUrl).endsWith('binance.us') ? WEIGHT_LIMIT_US : WEIGHT_LIMIT;
  }

  override requestCost(productCount: number): number {
    return productCount === 1 ? WEIGHT_ONE_SYMBOL : WEIGHT_MANY_SYMBOLS;
  }

  takePauseHint(): number | undefined {
    const hint = this.pauseHintMs;
    this.pauseHintMs = undefined;
    return hint;
  }

  /** `wanted`: native symbol (BTCUSDT) → product ids. */
  protected async fetchWanted(
    wanted: WantedSymbols,
    out: Map<string, L1Outcome>,
    followUp: FollowUpGate | undefined,
  ): Promise<void> {
    const symbols = [...wanted.keys()];
    const res = await this.get(this.tickerUrl(symbols));
    if (res.status === 200) {
      this.collect(parseJson(this.id, res), wanted, out, nowTimestamp(), res.status);
      return;
    }
    const failure = this.errorOf(res);
    if (!isInvalidSymbol(res)) throw failure;
    if (symbols.length === 1) {
      // A one-symbol request names its culprit.
      for (const symbol of symbols) this.markNotListed(symbol, wanted, out);
      return;
    }
    // One unknown symbol fails the whole batch and Binance does not say which: read every
    // symbol's book ticker once (weight 4, the same as the batch) and pick ours from it.
    await this.waitForFollowUp(followUp, WEIGHT_MANY_SYMBOLS, failure);
    const all = await this.get(`${this.baseUrl}/api/v3/ticker/bookTicker`);
    if (all.status !== 200) throw this.errorOf(all);
    this.collect(parseJson(this.id, all), wanted, out, nowTimestamp(), all.status, true);
  }

  protected nativeSymbol(productId: string): string | undefined {
    return binanceSymbol(productId);
  }

  protected notListedHint(): string {
    return `Binance answers -1121 Invalid symbol; check the id against GET ${this.baseUrl}/api/v3/exchangeInfo`;
  }

  private tickerUrl(symbols: readonly string[]): string {
    const base = `${this.baseUrl}/api/v3/ticker/bookTicker`;
    if (symbols.length === 1) return `${base}?symbol=${encodeURIComponent(symbols[0] ?? '')}`;
    return `${base}?symbols=${encodeURIComponent(JSON.stringify(symbols))}`;
  }

  private async get(url: string): Promise<HttpResponse> {
    const res = await this.http.get(url, undefined);
    this.readUsedWeight(res);
    return res;
  }

  /** X-MBX-USED-WEIGHT-1M: weight this IP used in the current minute, by every client on it. */
  private readUsedWeight(res: HttpResponse): void {
    const header = res.headers['x-mbx-used-weight-1m'];
    if (header === undefined || !/^\d+$/.test(header.trim())) return;
    if (Number(header) < this.weightLimit * WEIGHT_HOLD_SHARE) return;
    // Fixed UTC-minute windows: wait for the next one, plus a second for clock skew (tardis does the same).
    const now = Date.now();
    this.pauseHintMs = 60_000 - (now % 60_000) + 1_000;
  }

  /**
   * Reads a bookTicker answer (one object or an array) into outcomes. With `fromAll`, the answer
   * lists every symbol and a wanted symbol missing from it does not exist.
   */
  private collect(
    json: unknown,
    wanted: WantedSymbols,
    out: Map<string, L1Outcome>,
    receivedAt: string,
    status: number,
    fromAll = false,
  ): void {
    const single = !Array.isArray(json);
    if (single && readTicker(json) === undefined)
      throw badShape(this.id, status, 'a bookTicker without symbol');
    const missing = this.serveTickerList(single ? [json] : json, readTicker, wanted, out, receivedAt);
    for (const symbol of missing) {
      if (fromAll) {
        this.markNotListed(symbol, wanted, out);
        continue;
      }
      for (const productId of wanted.get(symbol) ?? []) {
        out.set(productId, badTicker(this.id, productId, symbol, 'the answer did not include this symbol'));
      }
    }
  }

  private errorOf(res: HttpResponse): ExchangeError {
    const body = errorSchema.safeParse(tryParseJson(res.body));
    const said = body.success ? `${body.data.code} ${body.data.msg}` : undefined;
    if (res.status === 451) {
      return new ExchangeError({
        kind: 'geo_blocked',
        exchange: this.id,
        status: 451,
        message:
          `binance: Binance refuses requests from this location (451${said ? ` ${said}` : ''}); ` +
          `in the US use Binance.US with --base-url binance=${BINANCE_US_BASE_URL} ` +
          '(its products are USD-quoted, e.g. BTC-USD), or L1_BASE_URL_BINANCE',
      });
    }
    if (res.status === 403) {
      return new ExchangeError({
        kind: 'client',
        exchange: this.id,
        status: 403,
        message: `binance: refused by Binance's web application firewall (403${said ? ` ${said}` : ''}); slow down and check --base-url binance=URL`,
      });
    }
    if (res.status === 418 || res.status === 429 || res.status >= 500 || !body.success)
      return statusError(this.id, res, said);
    return new ExchangeError({
      kind: 'client',
      exchange: this.id,
      status: res.status,
      message: `binance: request refused (${res.status} ${said})`,
    });
  }
}

/** One bookTicker as a ticker; undefined for an item that is not one. */
function readTicker(item: unknown): ReadTicker | undefined {
  const parsed = bookTickerSchema.safeParse(item);
  if (!parsed.success) return undefined;
  const t = parsed.data;
  return {
    nativeSymbol: t.symbol,
    bids: tickerSide(t.bidPrice, t.bidQty),
    asks: tickerSide(t.askPrice, t.askQty),
    exchangeTimestamp: undefined, // bookTicker has no time
  };
}

function isInvalidSymbol(res: HttpResponse): boolean {
  const body = errorSchema.safeParse(tryParseJson(res.body));
  return res.status === 400 && body.success && body.data.code === -1121;
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return '';
  }
}
