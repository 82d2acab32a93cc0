/**
 * Each venue's documented public REST limit, in one place (sources in
 * shared/reference/exchanges.md). The limiter runs at these figures times the safety margin.
 *
 * Units are what the venue counts: requests, or Binance's request weight. Where the venue counts
 * in a window W (fixed or rolling) rather than a bucket, the figures keep burst + rate·W within
 * the window's allowance, so even a full bucket spent at the start of a window plus a whole
 * window of refill cannot exceed it.
 */
import type { ExchangeId } from './exchange-ids.js';
import type { RateLimitSpec } from './rate-limiter.js';

export const VENUE_RATE_LIMITS: Record<ExchangeId, RateLimitSpec> = {
  // docs.cdp.coinbase.com/exchange/rest-api/rate-limits: public endpoints 10 req/s per IP, bursts up to 15.
  coinbase: { ratePerSec: 10, burst: 15 },
  // support.kraken.com/articles/206548367: public calls "1 per second (or less)" stay within the limit.
  kraken: { ratePerSec: 1, burst: 1 },
  // binance-spot-api-docs enums.md: REQUEST_WEIGHT 6000 per fixed minute per IP; 600 + 60·90 = 6000.
  binance: { ratePerSec: 90, burst: 600 },
  // OKX v5 market/tickers: 20 requests per 2 s per IP (ccxt, hummingbot); 4 + 2·8 = 20.
  okx: { ratePerSec: 8, burst: 4 },
  // Bybit v5 rate-limit.mdx: 600 requests / 5 s per IP, and passing it bans the IP for 10 minutes;
  // so far below that (10 + 5·10 = 60), at hummingbot's 10/s per endpoint.
  bybit: { ratePerSec: 10, burst: 10 },
};
