/**
 * A venue host that does not resolve is the venue's failure: one request probes it while the
 * venue's other requests wait, instead of every product retrying on its own. The adapter here is a
 * stand-in that fails the way http-client.ts reports ENOTFOUND; the runner and the gate are real.
 */
import { describe, expect, it } from 'vitest';
import { ExchangeError } from '../../src/errors.js';
import { DnsGate } from '../../src/exchanges/dns-gate.js';
import type { ExchangeApi, L1Outcome } from '../../src/exchanges/exchange-api.js';
import { fetchWithRetry, type RetryPolicy } from '../../src/exchanges/fetch-runner.js';
import { RateLimiter } from '../../src/exchanges/rate-limiter.js';
import type { L1Snapshot } from '../../src/snapshot.js';

const PRODUCTS = ['BTC-USD', 'ETH-USD', 'SOL-USD', 'LTC-USD', 'DOGE-USD', 'AVAX-USD', 'LINK-USD', 'ETH-BTC'];
const POLICY: RetryPolicy = { maxRetries: 4, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 1000 };

class FlakyDnsVenue implements ExchangeApi {
  readonly id = 'coinbase' as const;
  readonly maxProductsPerRequest = 1;
  readonly baseUrl = 'http://l1-no-such-host.invalid';
  calls = 0;
  constructor(public failuresLeft: number) {}
  requestCost(): number {
    return 1;
  }
  async fetchL1(productIds: readonly string[]): Promise<Map<string, L1Outcome>> {
    this.calls += 1;
    await new Promise((resolve) => setTimeout(resolve, 2));
    if (this.failuresLeft > 0) {
      this.failuresLeft -= 1;
      throw new ExchangeError({
        kind: 'dns',
        exchange: 'coinbase',
        message: 'coinbase: cannot resolve l1-no-such-host.invalid (ENOTFOUND: no such host)',
      });
    }
    const id = productIds[0] as string;
    const snapshot: L1Snapshot = {
      exchange: 'coinbase',
      product_id: id,
      bids: [['1.0', '1']],
      asks: [['1.1', '1']],
      timestamp: '2026-11-24T10:00:00.000000Z',
      sequence: '1',
      received_at: '2026-11-24T10:00:00.000000Z',
    };
    return new Map([[id, snapshot]]);
  }
}

function runAll(venue: FlakyDnsVenue, gate: DnsGate, signal?: AbortSignal) {
  const limiter = new RateLimiter({ ratePerSec: 1000, burst: 100 }, { safetyMargin: 1 });
  const events = { down: 0, up: 0, retries: 0 };
  const runs = PRODUCTS.map((id) =>
    fetchWithRetry(venue, [id], {
      limiter,
      gate,
      policy: POLICY,
      signal,
      events: {
        onVenueDown: () => {
          events.down += 1;
        },
        onVenueUp: () => {
          events.up += 1;
        },
        onRetry: () => {
          events.retries += 1;
        },
      },
    }),
  );
  return { done: Promise.all(runs).finally(() => limiter.close()), events };
}

describe('a host that does not resolve', () => {
  it('is probed by one request while the others wait, then all go on', async () => {
    // All 8 first requests fail (nothing is known yet), then the probe fails twice more.
    const venue = new FlakyDnsVenue(10);
    const gate = new DnsGate();
    const { done, events } = runAll(venue, gate);
    const outcomes = await done;
    expect(outcomes.map((m) => ([...m.values()][0] as L1Snapshot).product_id)).toEqual(PRODUCTS);
    // 8 first tries; the probe retries 3 times (2 fail, 1 gets through); the 7 waiting go once each.
    expect(venue.calls).toBe(8 + 3 + 7);
    expect(events).toEqual({ down: 1, up: 1, retries: 3 });
    expect(gate.isDown).toBe(false);
  });

  it('when the probe gives up, every waiting product fails with its error without being sent', async () => {
    const venue = new FlakyDnsVenue(Number.POSITIVE_INFINITY);
    const gate = new DnsGate();
    const { done, events } = runAll(venue, gate);
    const outcomes = await done;
    for (const m of outcomes) {
      const o = [...m.values()][0];
      expect(o).toBeInstanceOf(ExchangeError);
      expect((o as ExchangeError).kind).toBe('dns');
    }
    expect(venue.calls).toBe(8 + POLICY.maxRetries);
    expect(events.down).toBe(1);
    expect(events.up).toBe(0);
    // Still down: the next request probes again, with no second report.
    expect(gate.isDown).toBe(true);
    expect(gate.claimProbe(new ExchangeError({ kind: 'dns', exchange: 'coinbase', message: 'x' }))).toBe(
      'probe',
    );
  });

  it('a stop signal releases the waiting requests with no outcome', async () => {
    const venue = new FlakyDnsVenue(Number.POSITIVE_INFINITY);
    const stop = new AbortController();
    const { done } = runAll(venue, new DnsGate(), stop.signal);
    setTimeout(() => stop.abort(new Error('SIGTERM')), 15);
    const outcomes = await done;
    expect(outcomes.filter((m) => m.size === 0).length).toBeGreaterThan(0);
  });
});
