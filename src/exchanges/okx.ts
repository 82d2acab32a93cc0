/**
 * OKX spot (API v5): GET /api/v5/market/tickers?instType=SPOT, ONE request that answers for every
 * spot instrument, so it serves all products of a poll. Answer (ccxt okx.ts; OKX v5 docs):
 *   {"code":"0","msg":"","data":[{"instType":"SPOT","instId":"ETH-BTC","last":"0.07319","askPx":"0.07322",
 *    "askSz":"4.2","bidPx":"0.0732","bidSz":"6.050058",...,"ts":"1621440583784"}]}
 *
 * What the snapshot holds:
 *   timestamp  the ticker's own `ts` (epoch ms as a string, "ticker data generation time"),
 *              timestamp_source 'exchange'; the receipt time, marked 'received', if `ts` is missing.
 *   sequence   '' : the REST tickers carry no sequence.
 *   bids/asks  [[bidPx, bidSz]] / [[askPx, askSz]] verbatim; an empty side (`""`) is [].
 *   native_symbol  the instId, which is already BASE-QUOTE (BTC-USDT).
 *
 * Errors: `code` is a string, "0" = success. 51001 (instrument does not exist) → not_found;
 * 429 or 50011 / 50061 → rate_limited; 50001 / 50004 / 50013 / 50026 → server; other codes → client.
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

const envelopeSchema = z.object({
  code: z.union([z.string(), z.number()]).transform(String),
  msg: z.string().optional(),
  data: z.array(z.unknown()).optional(),
});
const tickerSchema = z.object({
  instId: z.string(),
  bidPx: z.unknown().optional(),
  bidSz: z.unknown().optional(),
  askPx: z.unknown().optional(),
  askSz: z.unknown().optional(),
  ts: z.unknown().optional(),
});

const RATE_LIMIT_CODES = new Set(['50011', '50061']);
const SERVER_CODES = new Set(['50001', '50004', '50013', '50026']);

/** `BTC-USDT` → `BTC-USDT` (OKX spot instIds are already BASE-QUOTE); undefined otherwise. */
export function okxInstId(productId: string): string | undefined {
  const pair = splitPair(productId);
  return pair ? `${pair.base}-${pair.quote}` : undefined;
}

export class OkxExchange extends BatchTickerAdapter<'okx'> {
  /** The tickers endpoint answers for every spot instrument at once, however many we want. */
  readonly maxProductsPerRequest = 1000;
  protected readonly examplePair = 'BTC-USDT';
  protected readonly unreadableSides = 'prices/sizes are not decimal strings';

  constructor(options: ExchangeApiOptions) {
    super('okx', options);
  }

  /** `wanted`: instId → product ids. */
  protected async fetchWanted(wanted: WantedSymbols, out: Map<string, L1Outcome>): Promise<void> {
    const res = await this.http.get(`${this.baseUrl}/api/v5/market/tickers?instType=SPOT`, undefined);
    const receivedAt = nowTimestamp();
    const data = this.read(res, wanted, out);
    if (data === undefined) return;
    for (const instId of this.serveTickerList(data, readTicker, wanted, out, receivedAt))
      this.markNotListed(instId, wanted, out);
  }

  protected nativeSymbol(productId: string): string | undefined {
    return okxInstId(productId);
  }

  /** The `data` array of a successful answer; per-product outcomes for 51001; throws otherwise. */
  private read(res: HttpResponse, wanted: WantedSymbols, out: Map<string, L1Outcome>): unknown[] | undefined {
    const envelope = envelopeSchema.safeParse(
      res.status === 200 ? parseJson(this.id, res) : tryParseJson(res.body),
    );
    if (res.status === 200 && !envelope.success)
      throw badShape(this.id, res.status, "no 'code'/'data' envelope");
    const code = envelope.success ? envelope.data.code : undefined;
    const said = envelope.success ? `${envelope.data.code} ${envelope.data.msg ?? ''}`.trim() : undefined;
    if (code === '0' && res.status === 200) {
      if (!envelope.data?.data) throw badShape(this.id, res.status, "code 0 without 'data'");
      return envelope.data.data;
    }
    const base = { exchange: this.id, status: res.status };
    if (code === '51001') {
      for (const instId of wanted.keys()) this.markNotListed(instId, wanted, out);
      return undefined;
    }
    if (res.status === 429 || (code !== undefined && RATE_LIMIT_CODES.has(code))) {
      const err = statusError(this.id, { ...res, status: 429 }, said);
      throw new ExchangeError({
        ...base,
        kind: 'rate_limited',
        retryAfterMs: err.retryAfterMs,
        message: err.message,
      });
    }
    if (code !== undefined && SERVER_CODES.has(code))
      throw new ExchangeError({ ...base, kind: 'server', message: `okx: service unavailable (${said})` });
    if (res.status !== 200) throw statusError(this.id, res, said);
    throw new ExchangeError({ ...base, kind: 'client', message: `okx: request refused (${said})` });
  }

  protected notListedHint(): string {
    return `check the id against GET ${this.baseUrl}/api/v5/public/instruments?instType=SPOT`;
  }
}

/** One item of `data` as a ticker; undefined for an item that is not one. */
function readTicker(item: unknown): ReadTicker | undefined {
  const parsed = tickerSchema.safeParse(item);
  if (!parsed.success) return undefined;
  const t = parsed.data;
  return {
    nativeSymbol: t.instId,
    bids: tickerSide(t.bidPx, t.bidSz),
    asks: tickerSide(t.askPx, t.askSz),
    exchangeTimestamp: timestampFromMillis(t.ts),
  };
}
