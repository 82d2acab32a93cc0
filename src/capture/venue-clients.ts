/**
 * The adapters and rate limiters of a run: one adapter and ONE limiter per venue, shared by every
 * product and every request to that venue.
 */
import { DnsGate } from '../exchanges/dns-gate.js';
import type { ExchangeApi } from '../exchanges/exchange-api.js';
import type { ExchangeId } from '../exchanges/exchange-ids.js';
import { RateLimiter } from '../exchanges/rate-limiter.js';
import { VENUE_RATE_LIMITS } from '../exchanges/rate-limits.js';
import { createExchange } from '../exchanges/registry.js';

export interface VenueClient {
  api: ExchangeApi;
  limiter: RateLimiter;
  /** While the venue's host does not resolve, one request probes it for all (dns-gate.ts). */
  gate: DnsGate;
}

export interface VenueClientOptions {
  baseUrls: Partial<Record<ExchangeId, string>>;
  timeoutMs: number;
  safetyMargin: number;
  /** Replaces the documented limits (tests and benchmarks against a local fake). */
  rateLimitOverride?: { ratePerSec: number; burst: number } | undefined;
}

export function createVenueClients(
  venues: Iterable<ExchangeId>,
  o: VenueClientOptions,
): Map<ExchangeId, VenueClient> {
  const out = new Map<ExchangeId, VenueClient>();
  for (const venue of venues) {
    if (out.has(venue)) continue;
    const api = createExchange(venue, { baseUrl: o.baseUrls[venue], timeoutMs: o.timeoutMs });
    const limiter = new RateLimiter(o.rateLimitOverride ?? VENUE_RATE_LIMITS[venue], {
      safetyMargin: o.safetyMargin,
    });
    out.set(venue, { api, limiter, gate: new DnsGate() });
  }
  return out;
}

export function closeVenueClients(clients: Map<ExchangeId, VenueClient>): void {
  for (const { limiter } of clients.values()) limiter.close();
}
