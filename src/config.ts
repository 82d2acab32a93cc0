/**
 * Every tunable of the tools with its default, in one place. The CLIs read flags and environment
 * into these; nothing else hard-codes a number. (Write-queue bounds live with the queue:
 * DEFAULT_WRITE_QUEUE in capture/write-queue.ts; venue limits in exchanges/rate-limits.ts.)
 */
import type { RetryPolicy } from './exchanges/fetch-runner.js';
import { DEFAULT_REDIS_URL } from './store/redis-url.js';

/** `--retries` (maxRetries); backoff is full jitter in [0, min(maxDelayMs, baseDelayMs·2^n)]. */
export const DEFAULT_RETRY: RetryPolicy = {
  maxRetries: 4,
  baseDelayMs: 250,
  maxDelayMs: 8_000,
  /** A venue asking to wait longer than this fails the request instead. */
  maxRetryAfterMs: 120_000,
};

export const DEFAULTS = {
  /** `--redis-url`, else REDIS_URL, else this. */
  redisUrl: DEFAULT_REDIS_URL,
  /** `--timeout`: per HTTP request. */
  timeoutMs: 5_000,
  /** `--concurrency`: requests in flight at once in a one-shot run (the limiter still paces them). */
  concurrency: 8,
  /** Fraction of each venue's documented limit the limiter uses (none with `--rate-limit`). */
  safetyMargin: 0.9,
  /** `--stale-after`. */
  staleAfterMs: 60_000,
  /** `--flush-timeout`: how long shutdown keeps writing what is queued. */
  flushTimeoutMs: 10_000,
  /** `--max-spool`: most disk a `--spool-dir` spool uses; 64 KiB at least. */
  maxSpoolBytes: 1024 ** 3,
  minSpoolBytes: 64 * 1024,
} as const;

/** `--stream`: reconnects, REST fallback and connection timeouts (venue limits: stream/stream-limits.ts). */
export const DEFAULT_STREAM = {
  /** Reconnect delay: full jitter up to base·2^(failures-1), capped; a healthy connection's close retries within base. */
  backoff: { baseDelayMs: 500, maxDelayMs: 30_000 },
  /** Consecutive failed connection attempts after which a connection's products are polled over REST. */
  fallbackAfterFailures: 3,
  /** `--fallback-interval`: the polling cadence while a stream is unreachable. */
  fallbackIntervalMs: 1_000,
  /** WebSocket opening handshake timeout. */
  handshakeTimeoutMs: 10_000,
} as const;

/** `--redis-url`, else REDIS_URL, else the default. */
export function resolveRedisUrl(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return flag ?? (env.REDIS_URL || undefined) ?? DEFAULTS.redisUrl;
}
