/**
 * Long-running capture: polls every product on a cadence until a count, a duration or a stop
 * signal, through each venue's shared limiter, and hands snapshots to the write queue.
 *
 * Each venue runs its own schedule, so a slow venue never holds up another. Within a venue, a
 * round's requests are spread evenly across the interval (slot k leaves at start + k·slot), not
 * sent in a burst; when the products need more requests per second than the venue allows, the
 * round is stretched to what the limit allows and the effective interval is reported once. A
 * request still busy (retrying, or held by the limiter after a 429) skips its next slot rather
 * than piling up.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ExchangeError } from '../errors.js';
import type { ExchangeId } from '../exchanges/exchange-ids.js';
import { fetchWithRetry, type RetryPolicy } from '../exchanges/fetch-runner.js';
import type { L1Snapshot } from '../snapshot.js';
import type { RunStats } from './run-stats.js';
import { planRequests, type RequestPlan, type Target } from './targets.js';
import type { VenueClient } from './venue-clients.js';

export interface PollOptions {
  intervalMs: number;
  /** Polls per product; undefined = until stopped. */
  count?: number | undefined;
  /** Store a snapshot only when the book changed since the last one stored for the product. */
  skipUnchanged: boolean;
  retry: RetryPolicy;
}

export interface VenueSchedule {
  exchange: ExchangeId;
  products: number;
  requestsPerRound: number;
  /** The round length the schedule runs at (≥ the asked interval). */
  roundMs: number;
  /** Units per second the round needs at the asked interval, and what the limiter allows. */
  neededRate: number;
  allowedRate: number;
}

/** Where polled snapshots go: the write queue, or the streamer's change filter (REST fallback). */
export interface SnapshotSink {
  push(snapshot: L1Snapshot): void;
}

export interface PollerEvents {
  onSnapshot?(s: L1Snapshot): void;
  onError?(target: Target, error: ExchangeError): void;
  onVenueDown?(error: ExchangeError): void;
  onVenueUp?(exchange: string, downMs: number): void;
}

export class Poller {
  private readonly plans: Map<ExchangeId, RequestPlan[]>;
  readonly schedules: VenueSchedule[] = [];

  constructor(
    targets: readonly Target[],
    private readonly clients: Map<ExchangeId, VenueClient>,
    private readonly sink: SnapshotSink,
    private readonly stats: RunStats,
    private readonly options: PollOptions,
    private readonly events: PollerEvents = {},
  ) {
    const apis = new Map([...clients].map(([id, c]) => [id, c.api]));
    this.plans = new Map();
    for (const plan of planRequests(targets, apis)) {
      const list = this.plans.get(plan.api.id) ?? [];
      list.push(plan);
      this.plans.set(plan.api.id, list);
    }
    for (const [exchange, plans] of this.plans) {
      const client = clients.get(exchange);
      if (!client) continue;
      const units = plans.reduce((sum, p) => sum + p.api.requestCost(p.productIds.length), 0);
      const neededRate = (units * 1000) / options.intervalMs;
      const allowedRate = client.limiter.ratePerSec;
      const roundMs = Math.max(options.intervalMs, (units * 1000) / allowedRate);
      const products = plans.reduce((sum, p) => sum + p.productIds.length, 0);
      this.schedules.push({
        exchange,
        products,
        requestsPerRound: plans.length,
        roundMs,
        neededRate,
        allowedRate,
      });
    }
  }

  /** Runs until every venue finished its rounds, or `stop` aborted. */
  async run(stop: AbortSignal): Promise<void> {
    await Promise.all(this.schedules.map((s) => this.runVenue(s, stop)));
  }

  private async runVenue(schedule: VenueSchedule, signal: AbortSignal): Promise<void> {
    const plans = this.plans.get(schedule.exchange) ?? [];
    const client = this.clients.get(schedule.exchange);
    if (!client || plans.length === 0) return;
    const slotMs = schedule.roundMs / plans.length;
    const busy = new Set<RequestPlan>();
    const inFlight = new Set<Promise<void>>();
    const start = performance.now();
    const rounds = this.options.count ?? Number.POSITIVE_INFINITY;
    for (let slot = 0; slot < rounds * plans.length && !signal.aborted; slot++) {
      const wait = start + slot * slotMs - performance.now();
      if (wait > 0) {
        try {
          await sleep(wait, undefined, { signal });
        } catch {
          break;
        }
      }
      const plan = plans[slot % plans.length];
      if (!plan || busy.has(plan)) continue;
      busy.add(plan);
      const task = this.fetchPlan(plan, client, signal).finally(() => {
        busy.delete(plan);
        inFlight.delete(task);
      });
      inFlight.add(task);
    }
    // Requests already sent finish (their timeout bounds this); waits and retries were aborted.
    await Promise.all(inFlight);
  }

  private async fetchPlan(plan: RequestPlan, client: VenueClient, signal: AbortSignal): Promise<void> {
    const outcomes = await fetchWithRetry(plan.api, plan.productIds, {
      limiter: client.limiter,
      gate: client.gate,
      policy: this.options.retry,
      signal,
      events: {
        onRequest: (_exchange, n) => this.stats.onRequest(n),
        onRetry: (err) => this.stats.onRetry(err),
        onResponse: (exchange, outcome) => this.stats.onResponse(exchange, outcome),
        onVenueDown: (err) => this.events.onVenueDown?.(err),
        onVenueUp: (exchange, downMs) => this.events.onVenueUp?.(exchange, downMs),
      },
    });
    for (const productId of plan.productIds) {
      const target: Target = { exchange: plan.api.id, productId };
      const outcome = outcomes.get(productId);
      const product = this.stats.get(target);
      if (!product) continue;
      // A wait or retry cut short by shutdown is not the product's failure.
      if (
        signal.aborted &&
        (outcome === undefined || (outcome instanceof ExchangeError && outcome.retryable))
      )
        continue;
      if (outcome === undefined || outcome instanceof ExchangeError) {
        const error =
          outcome ??
          new ExchangeError({
            kind: 'bad_response',
            exchange: target.exchange,
            productId,
            message: `${target.exchange} ${productId}: the venue's answer did not include this product`,
          });
        product.errors += 1;
        product.lastError = error;
        this.events.onError?.(target, error);
        continue;
      }
      const now = performance.now();
      const previous = product.last;
      product.fetched += 1;
      product.lastSuccessAt = now;
      const changed = previous === undefined || bookMoved(previous, outcome);
      if (changed) {
        product.lastChangeAt = now;
        product.staleWarned = false;
      }
      product.last = outcome;
      this.events.onSnapshot?.(outcome);
      if (this.options.skipUnchanged && previous !== undefined && sameBook(previous, outcome)) {
        product.skippedUnchanged += 1;
        continue;
      }
      this.sink.push(outcome);
    }
  }
}

/** Same book: the same sequence where the venue gives one, else the same best levels. */
export function sameBook(a: L1Snapshot, b: L1Snapshot): boolean {
  if (a.sequence !== '' && b.sequence !== '') return a.sequence === b.sequence;
  return (
    JSON.stringify(a.bids) === JSON.stringify(b.bids) && JSON.stringify(a.asks) === JSON.stringify(b.asks)
  );
}

/**
 * Whether the venue's data moved: the book changed (sequence, or levels where there is no
 * sequence) and, where the venue stamps its own time, that time advanced. A frozen sequence or a
 * repeated exchange timestamp both mean the venue may be serving stale data.
 */
export function bookMoved(a: L1Snapshot, b: L1Snapshot): boolean {
  const exchangeTime = a.timestamp_source !== 'received' && b.timestamp_source !== 'received';
  return !sameBook(a, b) && (!exchangeTime || a.timestamp !== b.timestamp);
}
