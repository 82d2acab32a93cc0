/**
 * Coinbase Exchange: GET /products/{id}/book?level=1, one product per request.
 * Response (docs, "Get product book"):
 *   {"sequence":13051505638,"bids":[["6247.58","6.3578146",2]],"asks":[["6251.52","2",1]],"time":"2021-02-12T01:09:23.334Z"}
 * Errors are JSON {"message": "..."}; an unknown product is 404 {"message":"NotFound"}.
 */

import { z } from 'zod';
import { ExchangeError } from '../errors.js';
import { type L1Snapshot, levelSchema } from '../snapshot.js';
import { normalizeTimestamp, nowTimestamp } from '../timestamp.js';
import { DEFAULT_BASE_URLS } from './base-urls.js';
import type { ExchangeApi, ExchangeApiOptions, L1Outcome } from './exchange-api.js';
import { HttpClient, type HttpResponse, parseRetryAfter } from './http-client.js';
import { preview, tryParseJson } from './venue-support.js';

const bookSchema = z.object({
  bids: z.array(levelSchema),
  asks: z.array(levelSchema),
  sequence: z.union([z.number().nonnegative(), z.string().regex(/^\d+$/)]), // digits re-read from the raw text
  time: z.string().optional(),
  auction_mode: z.boolean().optional(),
});

const errorBodySchema = z.object({ message: z.string() });

export class CoinbaseExchange implements ExchangeApi {
  readonly id = 'coinbase' as const;
  readonly maxProductsPerRequest = 1;
  readonly baseUrl: string;
  private readonly http: HttpClient;

  constructor(options: ExchangeApiOptions) {
    this.baseUrl = (options.baseUrl ?? DEFAULT_BASE_URLS.coinbase).replace(/\/+$/, '');
    this.http = new HttpClient(this.id, options.timeoutMs);
  }

  requestCost(): number {
    return 1;
  }

  async fetchL1(productIds: readonly string[], signal?: AbortSignal): Promise<Map<string, L1Outcome>> {
    const out = new Map<string, L1Outcome>();
    for (const productId of productIds) {
      const url = `${this.baseUrl}/products/${encodeURIComponent(productId)}/book?level=1`;
      const res = await this.http.get(url, productId, signal);
      const outcome = this.interpret(productId, res);
      if (outcome instanceof ExchangeError && outcome.kind !== 'not_found' && outcome.kind !== 'client')
        throw outcome;
      out.set(productId, outcome);
    }
    return out;
  }

  private interpret(productId: string, res: HttpResponse): L1Outcome {
    const receivedAt = nowTimestamp();
    if (res.status === 200) return this.parseBook(productId, res.body, receivedAt);
    const venueMessage = readMessage(res.body);
    const base = { exchange: this.id, productId, status: res.status };
    if (res.status === 404) {
      return new ExchangeError({
        ...base,
        kind: 'not_found',
        message: `coinbase: product '${productId}' does not exist (404 ${venueMessage ?? 'NotFound'}); check the id against GET /products`,
      });
    }
    if (res.status === 429) {
      return new ExchangeError({
        ...base,
        kind: 'rate_limited',
        retryAfterMs: parseRetryAfter(res.headers['retry-after']),
        message: `coinbase ${productId}: rate limited (429${venueMessage ? ` ${venueMessage}` : ''})`,
      });
    }
    if (res.status >= 500) {
      return new ExchangeError({
        ...base,
        kind: 'server',
        retryAfterMs: parseRetryAfter(res.headers['retry-after']),
        message: `coinbase ${productId}: server error ${res.status}${venueMessage ? ` (${venueMessage})` : ''}`,
      });
    }
    return new ExchangeError({
      ...base,
      kind: 'client',
      message: `coinbase ${productId}: request refused with ${res.status}${venueMessage ? ` (${venueMessage})` : ''}`,
    });
  }

  private parseBook(productId: string, body: string, receivedAt: string): L1Outcome {
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      return this.badResponse(productId, `the body is not JSON: ${preview(body)}`);
    }
    const parsed = bookSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return this.badResponse(
        productId,
        `unexpected shape at '${issue?.path.join('.') ?? ''}': ${issue?.message ?? ''}`,
      );
    }
    const book = parsed.data;
    const timestamp = book.time === undefined ? undefined : normalizeTimestamp(book.time);
    if (book.time !== undefined && timestamp === undefined) {
      return this.badResponse(productId, `unreadable time '${book.time}'`);
    }
    const snapshot: L1Snapshot = {
      exchange: this.id,
      product_id: productId,
      bids: book.bids.slice(0, 1),
      asks: book.asks.slice(0, 1),
      timestamp: timestamp ?? receivedAt,
      // JSON.parse would round a sequence past 2^53, so the digits are read from the raw text.
      sequence: rawSequence(body) ?? String(book.sequence),
      received_at: receivedAt,
    };
    if (timestamp === undefined) snapshot.timestamp_source = 'received';
    return snapshot;
  }

  private badResponse(productId: string, detail: string): ExchangeError {
    return new ExchangeError({
      kind: 'bad_response',
      exchange: this.id,
      productId,
      status: 200,
      message: `coinbase ${productId}: ${detail}`,
    });
  }
}

function rawSequence(body: string): string | undefined {
  const m = /"sequence"\s*:\s*"?(\d+)"?/.exec(body);
  return m?.[1];
}

function readMessage(body: string): string | undefined {
  const parsed = errorBodySchema.safeParse(tryParseJson(body));
  return parsed.success ? parsed.data.message : undefined;
}
