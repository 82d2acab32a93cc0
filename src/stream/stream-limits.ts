/**
 * Each venue's documented WebSocket limits, in one place (facts and sources:
 * shared/reference/streaming.md and exchanges.md), and what the connections do about them.
 */
import type { ExchangeId } from '../exchanges/exchange-ids.js';
import type { RateLimitSpec } from '../exchanges/rate-limiter.js';

export interface StreamLimits {
  /** Products carried by one connection (a venue's stream cap, or a size that keeps snapshots small). */
  productsPerConnection: number;
  /** Products named in one subscribe message. */
  productsPerSubscribe: number;
  /** New connections per IP: paced by one bucket per venue (used at 90 %, as for REST). */
  connects: RateLimitSpec;
  /** Messages we send per connection (subscribes, pings). */
  outgoing: RateLimitSpec;
  /** A connection that delivers nothing at all (not even a heartbeat or pong) for this long is dead. */
  silenceTimeoutMs: number;
  /** Reconnect proactively before the venue's forced cut-off; undefined when there is none. */
  maxConnectionAgeMs: number | undefined;
}

export const STREAM_LIMITS: Record<ExchangeId, StreamLimits> = {
  // Coinbase Exchange: 8 connection requests/s per IP (burst 20), 100 client messages/s per IP,
  // subscribe within 5 s; `heartbeat` once a second per product. A BTC-USD level2 snapshot is ~1 MB,
  // so a connection carries few products to keep a reconnect's snapshot burst small.
  coinbase: {
    productsPerConnection: 25,
    productsPerSubscribe: 25,
    connects: { ratePerSec: 8, burst: 20 },
    outgoing: { ratePerSec: 20, burst: 20 },
    silenceTimeoutMs: 10_000,
    maxConnectionAgeMs: undefined,
  },
  // Binance: 1024 streams per connection, at most 5 incoming messages/s per connection (pongs
  // included), 300 connection attempts per 5 min per IP, connections cut at 24 h; the server pings
  // every 20 s (ws answers), so silence past a minute means a dead socket.
  binance: {
    productsPerConnection: 200,
    productsPerSubscribe: 200,
    connects: { ratePerSec: 1, burst: 5 },
    outgoing: { ratePerSec: 4, burst: 4 },
    silenceTimeoutMs: 60_000,
    maxConnectionAgeMs: 23 * 3_600_000,
  },
  // Kraken v2: heartbeat about once a second on a connection with subscriptions; no documented
  // per-connection cap for ticker; every symbol is acknowledged on its own.
  kraken: {
    productsPerConnection: 100,
    productsPerSubscribe: 50,
    connects: { ratePerSec: 1, burst: 5 },
    outgoing: { ratePerSec: 5, burst: 5 },
    silenceTimeoutMs: 10_000,
    maxConnectionAgeMs: undefined,
  },
  // OKX: 3 connection requests/s per IP, 480 subscribe operations per hour per connection; the
  // server closes a connection silent for 30 s, so we send 'ping' every 20 s.
  okx: {
    productsPerConnection: 100,
    productsPerSubscribe: 50,
    connects: { ratePerSec: 3, burst: 3 },
    outgoing: { ratePerSec: 5, burst: 5 },
    silenceTimeoutMs: 30_000,
    maxConnectionAgeMs: undefined,
  },
  // Bybit: 500 connections per 5 min per IP, at most 10 args per subscribe, ping every 20 s; level-1
  // books are re-pushed every 3 s even when unchanged, so 30 s of silence means a dead feed.
  bybit: {
    productsPerConnection: 50,
    productsPerSubscribe: 10,
    connects: { ratePerSec: 1.5, burst: 5 },
    outgoing: { ratePerSec: 5, burst: 5 },
    silenceTimeoutMs: 30_000,
    maxConnectionAgeMs: undefined,
  },
};
