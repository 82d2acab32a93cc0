/**
 * A one-shot capture: fetch every target once (concurrently, paced by each venue's limiter, with
 * retries), then store every snapshot in one pipelined write. Each product fails alone.
 */
import { ExchangeError } from '../errors.js';
import type { L1Outcome } from '../exchanges/exchange-api.js';
import type { ExchangeId } from '../exchanges/exchange-ids.js';
import { fetchWithRetry, type RetryPolicy, type RunnerEvents } from '../exchanges/fetch-runner.js';
import type { L1Snapshot } from '../snapshot.js';
import type { RedisStore } from '../store/redis-store.js';
import { planRequests, type Target } from './targets.js';
import type { VenueClient } from './venue-clients.js';

export interface TargetResult {
  target: Target;
  snapshot?: L1Snapshot;
  key?: string;
  error?: ExchangeError;
}

export interface CaptureDeps {
  clients: Map<ExchangeId, VenueClient>;
  retry: RetryPolicy;
  concurrency: number;
  events?: RunnerEvents;
  signal?: AbortSignal;
}

/** Fetches every target once; returns an outcome per target, in input order. */
export async function fetchAll(
  targets: readonly Target[],
  deps: CaptureDeps,
): Promise<Map<string, L1Outcome>> {
  const apis = new Map([...deps.clients].map(([id, c]) => [id, c.api]));
  const plans = planRequests(targets, apis);
  const outcomes = new Map<string, L1Outcome>();
  let next = 0;
  const worker = async () => {
    for (let plan = plans[next++]; plan; plan = plans[next++]) {
      const client = deps.clients.get(plan.api.id);
      if (!client) continue;
      const result = await fetchWithRetry(plan.api, plan.productIds, {
        limiter: client.limiter,
        gate: client.gate,
        policy: deps.retry,
        signal: deps.signal,
        events: deps.events,
      });
      for (const [id, outcome] of result) outcomes.set(outcomeKey(plan.api.id, id), outcome);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(deps.concurrency, plans.length)) }, worker));
  return outcomes;
}

export function outcomeKey(exchange: ExchangeId, productId: string): string {
  return `${exchange}\u0000${productId}`;
}

export async function captureOnce(
  targets: readonly Target[],
  store: RedisStore,
  deps: CaptureDeps,
): Promise<TargetResult[]> {
  const outcomes = await fetchAll(targets, deps);
  const results: TargetResult[] = targets.map((target) => {
    const outcome = outcomes.get(outcomeKey(target.exchange, target.productId));
    if (outcome === undefined) {
      const error = new ExchangeError({
        kind: 'bad_response',
        exchange: target.exchange,
        productId: target.productId,
        message: `${target.exchange} ${target.productId}: the venue's answer did not include this product`,
      });
      return { target, error };
    }
    return outcome instanceof ExchangeError ? { target, error: outcome } : { target, snapshot: outcome };
  });
  const ok = results.filter((r): r is TargetResult & { snapshot: L1Snapshot } => r.snapshot !== undefined);
  if (ok.length > 0) {
    const written = await store.write(ok.map((r) => r.snapshot));
    ok.forEach((r, i) => {
      r.key = written.keys[i];
    });
  }
  return results;
}
