/**
 * Each venue's documented public REST limit, in one place (sources in
 * shared/reference/exchanges.md). The limiter runs at these figures times the safety margin.
 */
import type { ExchangeId } from './exchange-ids.js';
import type { RateLimitSpec } from './rate-limiter.js';

export const VENUE_RATE_LIMITS: Record<ExchangeId, RateLimitSpec> = {
  // docs.cdp.coinbase.com/exchange/rest-api/rate-limits: public endpoints 10 req/s per IP, bursts up to 15.
  coinbase: { ratePerSec: 10, burst: 15 },
};
