/**
 * The small interface every venue adapter implements, and the HTTP behaviour they share.
 *
 * An adapter knows its venue's URLs, symbols, response shape and error shape, and nothing else:
 * it makes ONE HTTP attempt per call (plus, on a batch venue, at most one limiter-paced follow-up
 * to isolate an unknown symbol; see fetchL1). Rate limiting, retries and backoff live in the request
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
   *
   * A batch venue that rejects a whole batch for one unknown symbol (Binance, Kraken) may need ONE
   * follow-up request in the same call to tell the good products from the bad; it waits on
   * `followUp` first, so the follow-up goes through the venue's limiter and is counted like any
   * other request. Without `followUp` the adapter sends it unpaced.
   */
  fetchL1(
    productIds: readonly string[],
    signal?: AbortSignal,
    followUp?: FollowUpGate,
  ): Promise<Map<string, L1Outcome>>;
  /**
   * Optional: how long (ms) the venue's limiter should hold every request back, read from the
   * venue's own usage headers after the last response (Binance X-MBX-USED-WEIGHT-1M near its
   * limit → wait for the next minute window). Reading the hint clears it.
   */
  takePauseHint?(): number | undefined;
}

/** Waits on the venue's limiter for a follow-up request of `cost` units. */
export type FollowUpGate = (cost: number) => Promise<void>;

export interface ExchangeApiOptions {
  /** Overrides the venue's default base URL (a sandbox, a proxy, a local fake). */
  baseUrl?: string | undefined;
  /** Per-request timeout in ms. */
  timeoutMs: number;
}
