/**
 * What the streaming tests share: starting the built l1-fetch in --stream mode against a fake,
 * reading back what it stored, and comparing that with what the fake showed.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { expect } from 'vitest';
import type { ExchangeId } from '../../src/exchanges/exchange-ids.js';
import { indexKey } from '../../src/store/keys.js';
import { expectedTops } from '../support/fake-stream-venues.js';
import type { ShownTop } from '../support/fake-ws-venue.js';

const dir = mkdtempSync(join(tmpdir(), 'l1-stream-'));

export function writeCsv(rows: readonly (readonly [string, ExchangeId])[]): string {
  const path = join(dir, `p-${Math.random().toString(36).slice(2)}.csv`);
  writeFileSync(path, `product_id,exchange\n${rows.map(([p, e]) => `${p},${e}`).join('\n')}\n`);
  return path;
}

/** l1-fetch's arguments for a stream of `products` on `venue` from a fake at `wsUrl`, into `redisUrl`. */
export function streamArgs(
  venue: ExchangeId,
  wsUrl: string,
  redisUrl: string,
  products: readonly string[],
  more: readonly string[] = [],
): string[] {
  const csv = writeCsv(products.map((p) => [p, venue] as const));
  return ['--csv', csv, '--stream', '--ws-url', `${venue}=${wsUrl}`, '--redis-url', redisUrl, ...more];
}

export interface StoredTop {
  productId: string;
  bid: [string, string] | undefined;
  ask: [string, string] | undefined;
  timestamp: string;
  timestampSource: string;
  sequence: string;
  receivedAt: string;
  nativeSymbol: string | undefined;
}

/** Every snapshot stored for a product, in index (time) order. */
export async function readStored(
  redis: Redis,
  exchange: ExchangeId,
  productId: string,
): Promise<StoredTop[]> {
  const keys = await redis.zrange(indexKey(exchange, productId), 0, -1);
  const pipeline = redis.pipeline();
  for (const k of keys) pipeline.hgetall(k);
  const rows = ((await pipeline.exec()) ?? []).map(([, h]) => h as Record<string, string>);
  return rows.map((h) => {
    const bids = JSON.parse(h.bids ?? '[]') as [string, string][];
    const asks = JSON.parse(h.asks ?? '[]') as [string, string][];
    return {
      productId,
      bid: bids[0],
      ask: asks[0],
      timestamp: h.timestamp ?? '',
      timestampSource: h.timestamp_source ?? 'exchange',
      sequence: h.sequence ?? '',
      receivedAt: h.received_at ?? '',
      nativeSymbol: h.native_symbol,
    };
  });
}

/** Waits until at least `count` snapshots of the product are stored (or fails after `timeoutMs`). */
export async function waitForStored(
  redis: Redis,
  exchange: ExchangeId,
  productId: string,
  count: number,
  timeoutMs = 5000,
): Promise<void> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    const n = await redis.zcard(indexKey(exchange, productId));
    if (n >= count) return;
    if (performance.now() > end)
      throw new Error(`${exchange} ${productId}: ${n} of ${count} snapshots stored`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Asserts that what was stored for each product is exactly what the fake showed, change by change:
 * the same prices and sizes as text, the venue's time (or receipt time where it gives none) and
 * sequence, with no change lost and none stored twice.
 */
export async function expectStoredAsShown(
  redis: Redis,
  exchange: ExchangeId,
  shown: readonly ShownTop[],
): Promise<void> {
  const expected = expectedTops(shown);
  for (const productId of new Set(expected.map((t) => t.productId))) {
    const want = expected.filter((t) => t.productId === productId);
    const stored = await readStored(redis, exchange, productId);
    const view = (t: { bid: unknown; ask: unknown; sequence: string }, timestamp: string | undefined) =>
      JSON.stringify({
        bid: t.bid ?? null,
        ask: t.ask ?? null,
        sequence: t.sequence,
        timestamp: timestamp ?? 'received',
      });
    const got = stored.map((s) => view(s, s.timestampSource === 'received' ? undefined : s.timestamp));
    const wanted = want.map((t) => view(t, t.timestamp));
    // Order within a product can differ only where receipt and venue times interleave; compare as multisets.
    expect([...got].sort(), `${exchange} ${productId}`).toEqual([...wanted].sort());
  }
}

/** The JSON log line with `event` (the last one), from --log-format json output. */
export function logEvent(stderr: string, event: string): Record<string, unknown> | undefined {
  const lines = stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((o) => o.event === event);
  return lines.at(-1);
}

/** One venue's counters from the summary log line. */
export function venueCounters(stderr: string, exchange: ExchangeId): Record<string, number> {
  const summary = logEvent(stderr, 'summary');
  const venues = (summary?.venues ?? []) as Record<string, number | string>[];
  const v = venues.find((x) => x.exchange === exchange);
  if (!v) throw new Error(`no ${exchange} in the summary: ${JSON.stringify(summary)}`);
  return v as Record<string, number>;
}
