/**
 * Bybit spot (API v5): GET /v5/market/tickers?category=spot, ONE request that answers for every
 * spot symbol, so it serves all products of a poll. Answer (bybit-exchange/docs v5/market/tickers):
 *   {"retCode":0,"retMsg":"OK","result":{"category":"spot","list":[{"symbol":"BTCUSDT","bid1Price":"20517.96",
 *    "bid1Size":"2","ask1Price":"20527.77","ask1Size":"1.862172",...}]},"retExtInfo":{},"time":1673859087947}
 *
 * What the snapshot holds:
 *   timestamp  the envelope's `time` (Bybit's server clock in ms when it answered; the tickers carry
 *              no time of their own), timestamp_source 'exchange'; the receipt time, marked
 *              'received', if `time` is missing.
 *   sequence   '' : the tickers carry no update id (only /v5/market/orderbook has `u`/`seq`).
 *   bids/asks  [[bid1Price, bid1Size]] / [[ask1Price, ask1Size]] verbatim; an empty side is [].
 *   native_symbol  BTCUSDT (BASE + QUOTE, upper case).
 *
 * Errors: retCode 0 = success. 10006 "Too many visits!" → rate_limited (until
 * X-Bapi-Limit-Reset-Timestamp); 10018 → rate_limited; 10009 → banned; 10024 (compliance) →
 * geo_blocked; 10000 / 10016 → server. HTTP 403 is either the IP ban for passing 600 requests / 5 s
 * ("access too frequent"; wait at least 10 minutes) → banned, or a restricted location such as a
 * U.S. IP → geo_blocked; 429 → rate_limited.
 */

import { z } from 'zod';
import { ExchangeError } from '../errors.js';
import { nowTimestamp } from '../timestamp.js';
import { BatchTickerAdapter, type ReadTicker, type WantedSymbols } from './batch-adapter.js';
import type { ExchangeApiOptions, L1Outcome } from './exchange-api.js';
import type { HttpResponse } from './http-client.js';
import {
  badShape,
  parseJson,
  splitPair,
  statusError,
  tickerSide,
  timestampFromMillis,
  tryParseJson,
} from './venue-support.js';

/** Bybit's documented wait after an IP ban for passing 600 requests / 5 s. */
export const BYBIT_IP_BAN_MS = 10 * 60_000;

const envelopeSchema = z.object({
  retCode: z.number(),
  retMsg: z.string().optional(),
  result: z
    .object({ list: z.array(z.unknown()).optional() })
    .partial()
    .nullish(),
  time: z.unknown().optional(),
});
const tickerSchema = z.object({
  symbol: z.string(),
  bid1Price: z.unknown().optional(),
  bid1Size: z.unknown().optional(),
  ask1Price: z.unknown().optional(),
  ask1Size: z.unknown().optional(),
});

/** `BTC-USDT` → `BTCUSDT`; undefined for an id that is not BASE-QUOTE. */
export function bybitSymbol(productId: string): string | undefined {
  const pair = splitPair(productId);
  return pair ? `${pair.base}${pair.quote}` : undefined;
}

export class BybitExchange extends BatchTickerAdapter<'bybit'> {
  /** The tickers endpoint answers for every spot symbol at once, however many we want. */
  readonly maxProductsPerRequest = 1000;
  protected readonly examplePair = 'BTC-USDT';
  protected readonly unreadableSides = 'prices/sizes are not decimal strings';

  constructor(options: ExchangeApiOptions) {
    super('bybit', options);
  }

  /** `wanted`: symbol (BTCUSDT) → product ids. */
  protected async fetchWanted(wanted: WantedSymbols, out: Map<string, L1Outcome>): Promise<void> {
    const res = await this.http.get(`${this.baseUrl}/v5/market/tickers?category=spot`, undefined);
    const receivedAt = nowTimestamp();
    const { list, time } = this.read(res);
    const exchangeTimestamp = timestampFromMillis(time);
    const read = (item: unknown) => readTicker(item, exchangeTimestamp);
    for (const symbol of this.serveTickerList(list, read, wanted, out, receivedAt))
      this.markNotListed(symbol, wanted, out);
  }

  protected nativeSymbol(productId: string): string | undefined {
    return bybitSymbol(productId);
  }

  protected notListedHint(): string {
    return `check the id against GET ${this.baseUrl}/v5/market/instruments-info?category=spot`;
  }

  /** The ticker list and envelope time of a successful answer; throws a typed error otherwise. */
  private read(res: HttpResponse): { list: unknown[]; time: unknown } {
    if (res.status === 403) throw forbidden(res);
    if (res.status !== 200) throw statusError(this.id, res, retMsgOf(res.body));
    const parsed = envelopeSchema.safeParse(parseJson(this.id, res));
    if (!parsed.success) throw badShape(this.id, res.status, "no 'retCode' envelope");
    const { retCode, retMsg = '', result, time } = parsed.data;
    if (retCode === 0) {
      if (!result?.list) throw badShape(this.id, res.status, "retCode 0 without 'result.list'");
      return { list: result.list, time };
    }
    const said = `retCode ${retCode} ${retMsg}`.trim();
    const base = { exchange: this.id, status: res.status };
    if (retCode === 10006 || retCode === 10018) {
      const reset = res.headers['x-bapi-limit-reset-timestamp'];
      const retryAfterMs =
        reset !== undefined && /^\d+$/.test(reset) ? Math.max(0, Number(reset) - Date.now()) : undefined;
      throw new ExchangeError({
        ...base,
        kind: 'rate_limited',
        retryAfterMs,
        message: `bybit: rate limited (${said})`,
      });
    }
    if (retCode === 10009)
      throw new ExchangeError({
        ...base,
        kind: 'banned',
        retryAfterMs: BYBIT_IP_BAN_MS,
        message: `bybit: this IP is banned (${said})`,
      });
    if (retCode === 10024) throw geoBlocked(res.status, said);
    if (retCode === 10000 || retCode === 10016)
      throw new ExchangeError({ ...base, kind: 'server', message: `bybit: server error (${said})` });
    throw new ExchangeError({ ...base, kind: 'client', message: `bybit: request refused (${said})` });
  }
}

/** One item of `result.list` as a ticker, at the envelope's time; undefined for an item that is not one. */
function readTicker(item: unknown, exchangeTimestamp: string | undefined): ReadTicker | undefined {
  const parsed = tickerSchema.safeParse(item);
  if (!parsed.success) return undefined;
  const t = parsed.data;
  return {
    nativeSymbol: t.symbol,
    bids: tickerSide(t.bid1Price, t.bid1Size),
    asks: tickerSide(t.ask1Price, t.ask1Size),
    exchangeTimestamp,
  };
}

/** A 403 is an IP ban ("access too frequent") or a restricted location; the body tells which. */
function forbidden(res: HttpResponse): ExchangeError {
  const text = res.body
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const said = text.length > 200 ? `${text.slice(0, 200)}…` : text;
  if (/too frequent|rate limit/i.test(text)) {
    return new ExchangeError({
      kind: 'banned',
      exchange: 'bybit',
      status: 403,
      retryAfterMs: BYBIT_IP_BAN_MS,
      message: `bybit: this IP is banned for passing 600 requests / 5 s (403 ${said}); Bybit lifts it after at least 10 minutes without requests`,
    });
  }
  if (/U\.?S\.? IP|country|region|location|restricted|jurisdiction|cloudfront/i.test(text)) {
    return geoBlocked(403, said);
  }
  return new ExchangeError({
    kind: 'banned',
    exchange: 'bybit',
    status: 403,
    retryAfterMs: BYBIT_IP_BAN_MS,
    message:
      `bybit: refused with 403${said ? ` (${said})` : ''}: either this IP is banned for passing 600 requests / 5 s ` +
      '(lifted after at least 10 minutes) or Bybit does not serve this location (e.g. U.S. IPs); ' +
      'for the latter use a regional Bybit API host you are eligible for: --base-url bybit=URL',
  });
}

function geoBlocked(status: number, said: string): ExchangeError {
  return new ExchangeError({
    kind: 'geo_blocked',
    exchange: 'bybit',
    status,
    message:
      `bybit: Bybit does not serve this location (${status}${said ? ` ${said}` : ''}); ` +
      'use a regional Bybit API host you are eligible for with --base-url bybit=URL (or L1_BASE_URL_BYBIT)',
  });
}

function retMsgOf(body: string): string | undefined {
  const json = tryParseJson(body) as { retCode?: unknown; retMsg?: unknown } | null | undefined;
  return typeof json?.retMsg === 'string' ? `retCode ${String(json.retCode)} ${json.retMsg}` : undefined;
}
