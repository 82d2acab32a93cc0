/**
 * Every tunable of the tools, with its default, in one place. The CLIs read flags and environment
 * into these; nothing else hard-codes a number.
 */
import type { RetryPolicy } from './exchanges/fetch-runner.js';
import { DEFAULT_REDIS_URL } from './store/redis-connection.js';

export interface CaptureConfig {
  /** Redis to write to. `--redis-url`, else REDIS_URL, else redis://127.0.0.1:6379. */
  redisUrl: string;
  /** Coinbase base URL. `--base-url`; default https://api.exchange.coinbase.com. */
  baseUrl: string | undefined;
  /** Per-request HTTP timeout. `--timeout`; default 5000 ms. */
  timeoutMs: number;
  /** Requests in flight at once per venue (the rate limiter still paces them). Default 8. */
  concurrency: number;
  /** Fraction of each venue's documented limit the limiter uses. Default 0.9. */
  safetyMargin: number;
  retry: RetryPolicy;
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxRetries: 4,
  baseDelayMs: 250,
  maxDelayMs: 8_000,
  maxRetryAfterMs: 120_000,
};

export const DEFAULTS = {
  redisUrl: DEFAULT_REDIS_URL,
  timeoutMs: 5_000,
  concurrency: 8,
  safetyMargin: 0.9,
  staleAfterMs: 60_000,
  flushTimeoutMs: 10_000,
} as const;

/** `--redis-url`, else REDIS_URL, else the default. */
export function resolveRedisUrl(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return flag ?? (env.REDIS_URL || undefined) ?? DEFAULTS.redisUrl;
}
