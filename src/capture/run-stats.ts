/** Counters of a capture run, per product and in total, for the live status and the summary. */
import type { ExchangeError } from '../errors.js';
import type { L1Snapshot } from '../snapshot.js';
import { type Target, targetName } from './targets.js';

export interface ProductStats {
  target: Target;
  name: string;
  fetched: number;
  stored: number;
  skippedUnchanged: number;
  errors: number;
  lastError: ExchangeError | undefined;
  last: L1Snapshot | undefined;
  /** performance.now() of the last successful fetch, of the last change of the book, and of the last store. */
  lastSuccessAt: number | undefined;
  lastChangeAt: number | undefined;
  lastStoredAt: number | undefined;
  staleWarned: boolean;
  failingWarned: boolean;
  /** The last error message logged for the product, so a repeated error is logged once. */
  lastErrorLogged: string | undefined;
}

export interface VenueStats {
  outcomes: Map<string, number>;
  retries: number;
}

export class RunStats {
  readonly startedAt = performance.now();
  readonly products = new Map<string, ProductStats>();
  requests = 0;
  productsRequested = 0;
  retries = 0;
  rateLimited = 0;
  /** Per venue: answers by outcome ('ok' or an error kind, 429s and bans among them), and retries. */
  readonly venues = new Map<string, VenueStats>();
  /** Request timestamps of the last few seconds, for requests/s. */
  private recent: number[] = [];

  constructor(targets: readonly Target[]) {
    for (const target of targets) {
      const name = targetName(target);
      this.products.set(name, {
        target,
        name,
        fetched: 0,
        stored: 0,
        skippedUnchanged: 0,
        errors: 0,
        lastError: undefined,
        last: undefined,
        lastSuccessAt: undefined,
        lastChangeAt: undefined,
        lastStoredAt: undefined,
        staleWarned: false,
        failingWarned: false,
        lastErrorLogged: undefined,
      });
    }
  }

  get(target: Target): ProductStats | undefined {
    return this.products.get(targetName(target));
  }

  onRequest(productCount: number): void {
    this.requests += 1;
    this.productsRequested += productCount;
    const now = performance.now();
    this.recent.push(now);
    while ((this.recent[0] ?? now) < now - 5000) this.recent.shift();
  }

  onRetry(error: ExchangeError): void {
    this.retries += 1;
    this.venue(error.exchange).retries += 1;
    if (error.kind === 'rate_limited' || error.kind === 'banned') this.rateLimited += 1;
  }

  /** A write to Redis took `batch` (stored, or found already stored). */
  onStored(batch: readonly L1Snapshot[]): void {
    const now = performance.now();
    for (const s of batch) {
      const p = this.get({ exchange: s.exchange, productId: s.product_id });
      if (p) {
        p.stored += 1;
        p.lastStoredAt = now;
      }
    }
  }

  /** One attempt's answer: 'ok' or the error kind. */
  onResponse(exchange: string, outcome: string): void {
    const counts = this.venue(exchange).outcomes;
    counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
  }

  venue(exchange: string): VenueStats {
    let v = this.venues.get(exchange);
    if (!v) {
      v = { outcomes: new Map(), retries: 0 };
      this.venues.set(exchange, v);
    }
    return v;
  }

  /** Requests per second over the last 5 s (or since start). */
  requestsPerSecond(): number {
    const now = performance.now();
    const window = Math.min(5000, now - this.startedAt);
    return window <= 0 ? 0 : (this.recent.filter((t) => t >= now - window).length * 1000) / window;
  }

  get elapsedMs(): number {
    return performance.now() - this.startedAt;
  }

  get stored(): number {
    let n = 0;
    for (const p of this.products.values()) n += p.stored;
    return n;
  }

  /** Requests that batching saved: one per product would have cost productsRequested requests. */
  get requestsSaved(): number {
    return this.productsRequested - this.requests;
  }

  neverSucceeded(): ProductStats[] {
    return [...this.products.values()].filter((p) => p.fetched === 0);
  }
}
