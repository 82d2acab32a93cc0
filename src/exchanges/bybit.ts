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
import type { ExchangeApi, ExchangeApiOptions, L1Outcome } from './exchange-api.js';
import { HttpClient, type HttpResponse } from './http-client.js';
import {
  badShape,
  badTicker,
  notASpotPair,
  notListed,
  parseJson,
  splitPair,
  statusError,
  tickerSide,
  tickerSnapshot,
  timestampFromMillis,
} from './venue-support.js';

export const BYBIT_BASE_URL = 'https://api.bybit.com';

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

export class BybitExchange implements ExchangeApi {
  readonly id = 'bybit' as const;
  /** The tickers endpoint answers for every spot symbol at once, however many we want. */
  readonly maxProductsPerRequest = 1000;
  readonly baseUrl: string;
  private readonly http: HttpClient;

  constructor(options: ExchangeApiOptions) {
    this.baseUrl = (options.baseUrl ?? BYBIT_BASE_URL).replace(/\/+$/, '');
    this.http = new HttpClient(this.id, options.timeoutMs);
  }

  requestCost(): number {
    return 1;
  }

  async fetchL1(productIds: readonly string[]): Promise<Map<string, L1Outcome>> {
    const out = new Map<string, L1Outcome>();
    const wanted = new Map<string, string[]>(); // symbol → product ids
    for (const productId of productIds) {
      const symbol = bybitSymbol(productId);
      if (symbol === undefined) out.set(productId, notASpotPair(this.id, productId, 'BTC-USDT'));
      else wanted.set(symbol, [...(wanted.get(symbol) ?? []), productId]);
    }
    if (wanted.size === 0) return out;

    const res = await this.http.get(`${this.baseUrl}/v5/market/tickers?category=spot`, undefined);
    const receivedAt = nowTimestamp();
    const { list, time } = this.read(res);
    const exchangeTimestamp = timestampFromMillis(time);
    const seen = new Set<string>();
    for (const item of list) {
      const parsed = tickerSchema.safeParse(item);
      if (!parsed.success) continue;
      const t = parsed.data;
      const ids = wanted.get(t.symbol);
      if (!ids) continue;
      seen.add(t.symbol);
      const bids = tickerSide(t.bid1Price, t.bid1Size);
      const asks = tickerSide(t.ask1Price, t.ask1Size);
      for (const productId of ids) {
        if (bids === undefined || asks === undefined) {
          out.set(productId, badTicker(this.id, productId, t.symbol, 'prices/sizes are not decimal strings'));
          continue;
        }
        out.set(
          productId,
          tickerSnapshot({
            exchange: this.id,
            productId,
            nativeSymbol: t.symbol,
            bids,
            asks,
            exchangeTimestamp,
            receivedAt,
          }),
        );
      }
    }
    for (const [symbol, ids] of wanted) {
      if (seen.has(symbol)) continue;
      for (const productId of ids)
        out.set(
          productId,
          notListed(
            this.id,
            productId,
            symbol,
            `check the id against GET ${this.baseUrl}/v5/market/instruments-info?category=spot`,
          ),
        );
    }
    return out;
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
  try {
    const json = JSON.parse(body) as { retCode?: unknown; retMsg?: unknown };
    return typeof json.retMsg === 'string' ? `retCode ${String(json.retCode)} ${json.retMsg}` : undefined;
  } catch {
    return undefined;
  }
}
