/**
 * Sends one adapter request through the venue's shared limiter and retries what is worth
 * retrying, the same way for every venue: exponential backoff with full jitter, capped, or the
 * venue's Retry-After when it gave one. A 429 also slows the shared limiter (see rate-limiter.ts).
 * Errors that retrying cannot fix (404, other 4xx, geo-blocks) come back at once.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ExchangeError } from '../errors.js';
import type { DnsGate } from './dns-gate.js';
import type { ExchangeApi, L1Outcome } from './exchange-api.js';
import type { RateLimiter } from './rate-limiter.js';

export interface RetryPolicy {
  /** Retries after the first attempt (0 = try once). */
  maxRetries: number;
  /** First backoff step in ms; attempt n waits up to base·2^n. */
  baseDelayMs: number;
  /** Cap of one backoff wait in ms. */
  maxDelayMs: number;
  /** Longest Retry-After honoured in ms; a venue asking for more fails the request instead. */
  maxRetryAfterMs: number;
}

export interface RunnerEvents {
  /** One HTTP request is about to leave. */
  onRequest?(exchange: string, productCount: number): void;
  /** A request failed and will be tried again after `delayMs`. */
  onRetry?(error: ExchangeError, attempt: number, delayMs: number): void;
  /** One attempt ended: `ok`, or the kind of error; `seconds` from sending to the answer. */
  onResponse?(exchange: string, outcome: 'ok' | ExchangeError['kind'], seconds: number): void;
  /** The venue's host stopped resolving (reported once per outage; see dns-gate.ts). */
  onVenueDown?(error: ExchangeError): void;
  /** It resolves again after `downMs`. */
  onVenueUp?(exchange: string, downMs: number): void;
}

export interface RunnerContext {
  limiter: RateLimiter;
  policy: RetryPolicy;
  signal?: AbortSignal | undefined;
  events?: RunnerEvents | undefined;
  /** Source of randomness for jitter (injectable for tests). */
  random?: () => number;
  /** The venue's gate for a host that does not resolve: retried per venue, not per request. */
  gate?: DnsGate | undefined;
}

/** Full-jitter backoff (AWS architecture blog): uniform in [0, min(cap, base·2^attempt)]. */
export function backoffDelay(
  attempt: number,
  policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return Math.round(random() * ceiling);
}

/**
 * Fetches `productIds` (one request's worth) with retries. Resolves with an outcome for every id
 * (a snapshot, or the last error for it), or with no outcomes when `signal` stopped it before a
 * request was sent.
 */
export async function fetchWithRetry(
  api: ExchangeApi,
  productIds: readonly string[],
  ctx: RunnerContext,
): Promise<Map<string, L1Outcome>> {
  const random = ctx.random ?? Math.random;
  const cost = api.requestCost(productIds.length);
  // A follow-up request inside one adapter call (finding the unknown symbol of a rejected batch)
  // waits on the same limiter and is counted like any other request; it serves no new product.
  const followUp = async (followUpCost: number): Promise<void> => {
    await ctx.limiter.acquire(followUpCost, ctx.signal);
    ctx.events?.onRequest?.(api.id, 0);
  };
  const gate = ctx.gate;
  const failAll = (error: ExchangeError) => new Map(productIds.map((id) => [id, error]));
  // This request is the one probing a venue whose host does not resolve.
  let probe = false;
  for (let attempt = 0; ; attempt++) {
    try {
      // While another request probes an unresolvable host, wait for its verdict.
      const verdict = gate && !probe ? await gate.wait(ctx.signal) : undefined;
      if (verdict) return failAll(verdict);
      await ctx.limiter.acquire(cost, ctx.signal);
    } catch {
      // Stopped while waiting for the limiter: nothing was sent, so there is no outcome.
      return new Map();
    }
    ctx.events?.onRequest?.(api.id, productIds.length);
    const sentAt = performance.now();
    let failure: ExchangeError;
    try {
      // The signal stops waits and retries, not a request already on the wire: on shutdown,
      // in-flight requests finish (bounded by their timeout) and their snapshots are kept.
      const outcomes = await api.fetchL1(productIds, undefined, followUp);
      ctx.events?.onResponse?.(api.id, 'ok', (performance.now() - sentAt) / 1000);
      if (probe && gate) ctx.events?.onVenueUp?.(api.id, gate.recovered());
      return outcomes;
    } catch (err) {
      failure = asExchangeError(err, api.id, productIds);
      ctx.events?.onResponse?.(api.id, failure.kind, (performance.now() - sentAt) / 1000);
    } finally {
      // The venue's own usage header said the window is nearly spent: hold every request back.
      const pauseMs = api.takePauseHint?.();
      if (pauseMs !== undefined && pauseMs > 0) ctx.limiter.hold(pauseMs);
    }
    if (failure.kind === 'rate_limited' || failure.kind === 'banned')
      ctx.limiter.penalize(failure.retryAfterMs);
    if (gate && failure.kind === 'dns' && !probe) {
      const role = gate.claimProbe(failure);
      if (role === 'wait') {
        attempt -= 1; // not this request's failure: the probe decides
        continue;
      }
      probe = true;
      if (role === 'new') ctx.events?.onVenueDown?.(failure);
    } else if (gate && probe && failure.kind !== 'dns') {
      // Any other answer means the name resolved again.
      probe = false;
      ctx.events?.onVenueUp?.(api.id, gate.recovered());
    }
    const tooLong = failure.retryAfterMs !== undefined && failure.retryAfterMs > ctx.policy.maxRetryAfterMs;
    if (!failure.retryable || attempt >= ctx.policy.maxRetries || tooLong || ctx.signal?.aborted) {
      if (probe) gate?.gaveUp(failure);
      return failAll(failure);
    }
    // After a 429 the limiter already holds every request back for Retry-After; the jitter
    // on top keeps the retries of many products from leaving in one burst when it opens.
    const delay =
      failure.retryAfterMs !== undefined && failure.kind !== 'rate_limited' && failure.kind !== 'banned'
        ? failure.retryAfterMs
        : backoffDelay(attempt, ctx.policy, random);
    ctx.events?.onRetry?.(failure, attempt + 1, delay);
    try {
      await sleep(delay, undefined, ctx.signal ? { signal: ctx.signal } : {});
    } catch {
      if (probe) gate?.gaveUp(failure);
      return failAll(failure);
    }
  }
}

function asExchangeError(err: unknown, exchange: string, productIds: readonly string[]): ExchangeError {
  if (err instanceof ExchangeError) return err;
  // An adapter bug must fail this request, not the run; say so plainly.
  const detail = err instanceof Error ? err.message : String(err);
  return new ExchangeError({
    kind: 'bad_response',
    exchange,
    productId: productIds.length === 1 ? productIds[0] : undefined,
    message: `${exchange}: unexpected error: ${detail}`,
    cause: err,
  });
}
