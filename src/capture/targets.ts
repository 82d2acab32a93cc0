/** What to capture: a product on a venue, and grouping of products into requests per venue. */
import type { ExchangeApi } from '../exchanges/exchange-api.js';
import type { ExchangeId } from '../exchanges/exchange-ids.js';

export interface Target {
  exchange: ExchangeId;
  productId: string;
}

/** One request's worth of products on one venue (1 for Coinbase; many for batch tickers). */
export interface RequestPlan {
  api: ExchangeApi;
  productIds: string[];
}

export function targetName(t: Target): string {
  return t.exchange === 'coinbase' ? t.productId : `${t.exchange}:${t.productId}`;
}

/** Groups targets by venue and splits each venue's list into requests of its batch size. */
export function planRequests(
  targets: readonly Target[],
  apis: ReadonlyMap<ExchangeId, ExchangeApi>,
): RequestPlan[] {
  const byVenue = new Map<ExchangeId, string[]>();
  for (const t of targets) {
    const list = byVenue.get(t.exchange) ?? [];
    list.push(t.productId);
    byVenue.set(t.exchange, list);
  }
  const plans: RequestPlan[] = [];
  for (const [venue, ids] of byVenue) {
    const api = apis.get(venue);
    if (!api) throw new Error(`no adapter for ${venue}`);
    for (let i = 0; i < ids.length; i += api.maxProductsPerRequest) {
      plans.push({ api, productIds: ids.slice(i, i + api.maxProductsPerRequest) });
    }
  }
  return plans;
}
