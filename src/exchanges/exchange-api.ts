/**
 * The small interface every venue adapter implements, and the HTTP behaviour they share.
 *
 * An adapter knows its venue's URLs, symbols, response shape and error shape, and nothing else:
 * it makes ONE HTTP attempt per call. Rate limiting, retries and backoff live in the request
 * scheduler (fetch-runner.ts), written once for every venue and driven by ExchangeError.kind.
 */

import type { ExchangeError } from '../errors.js';
import type { L1Snapshot } from '../snapshot.js';
import type { ExchangeId } from './exchange-ids.js';

/** Per-product outcome of one request: a snapshot, or why that product failed. */
export type L1Outcome = L1Snapshot | ExchangeError;

export interface ExchangeApi {
  readonly id: ExchangeId;
  /** How many products one request can serve: 1 for a per-product endpoint, more for batch tickers. */
  readonly maxProductsPerRequest: number;
  /** The base URL in use (the venue default or an override). */
  readonly baseUrl: string;
  /** Limiter units one request for `productCount` products costs (request weight; 1 for most venues). */
  requestCost(productCount: number): number;
  /**
   * Fetches the best bid/ask of `productIds` (unified BASE-QUOTE ids, at most maxProductsPerRequest)
   * in one HTTP request. Resolves with an outcome for every requested id; rejects with an
   * ExchangeError when the request as a whole failed (timeout, 429, 5xx, unparsable body).
   */
  fetchL1(productIds: readonly string[], signal?: AbortSignal): Promise<Map<string, L1Outcome>>;
}

export interface ExchangeApiOptions {
  /** Overrides the venue's default base URL (a sandbox, a proxy, a local fake). */
  baseUrl?: string | undefined;
  /** Per-request timeout in ms. */
  timeoutMs: number;
}
