import { describe, expect, it } from 'vitest';
import { CaptureMetrics } from '../../src/metrics/capture-metrics.js';
import { type HealthInput, judgeHealth } from '../../src/metrics/health.js';

const base: HealthInput = {
  now: 100_000,
  startedAt: 0,
  capturing: true,
  redisUp: true,
  queued: 0,
  lastFetchAt: 99_500,
  staleAfterMs: 60_000,
};

const judge = (o: Partial<HealthInput>) => {
  const v = judgeHealth({ ...base, ...o });
  return { healthy: v.healthy, ...(JSON.parse(v.body) as Record<string, unknown>) };
};

describe('/healthz verdict', () => {
  it('is healthy while Redis is up and some product was fetched within --stale-after', () => {
    expect(judge({})).toEqual({
      healthy: true,
      status: 'ok',
      reason: 'capturing',
      last_fetch_age_seconds: 0.5,
      queued: 0,
    });
  });

  it('is unhealthy when Redis is down, or nothing was fetched for --stale-after', () => {
    expect(judge({ redisUp: false, queued: 42 })).toMatchObject({
      healthy: false,
      reason: 'Redis is unreachable; 42 snapshot(s) wait to be written',
    });
    expect(judge({ lastFetchAt: 30_000 })).toMatchObject({
      healthy: false,
      reason: 'no snapshot fetched for 70 s (more than --stale-after, 60 s)',
    });
    expect(judge({ lastFetchAt: undefined })).toMatchObject({
      healthy: false,
      reason: 'no snapshot fetched in 100 s since the start',
    });
  });

  it('gives a starting capture until --stale-after to fetch its first snapshot', () => {
    expect(judge({ capturing: false, lastFetchAt: undefined })).toMatchObject({
      healthy: true,
      reason: 'starting',
    });
    expect(judge({ lastFetchAt: undefined, now: 10_000 })).toMatchObject({
      healthy: true,
      reason: 'starting: no snapshot fetched yet',
    });
  });
});

describe('CaptureMetrics registration', () => {
  it('exports a counter and a gauge another module keeps, read at each scrape', async () => {
    const metrics = new CaptureMetrics({ staleAfterMs: 60_000 });
    const reconnects = new Map([['kraken', 2]]);
    let spool = 7;
    metrics.counterFrom('l1_example_reconnects_total', 'WebSocket reconnects', ['venue'], () =>
      [...reconnects].map(([venue, n]) => [{ venue }, n] as const),
    );
    metrics.setSpoolDepth(() => spool);
    let text = await metrics.metricsText();
    expect(text).toContain('# TYPE l1_example_reconnects_total counter');
    expect(text).toContain('l1_example_reconnects_total{venue="kraken"} 2');
    expect(text).toContain('l1_spool_depth 7');
    reconnects.set('kraken', 5);
    reconnects.set('okx', 1);
    spool = 0;
    text = await metrics.metricsText();
    expect(text).toContain('l1_example_reconnects_total{venue="kraken"} 5');
    expect(text).toContain('l1_example_reconnects_total{venue="okx"} 1');
    expect(text).toContain('l1_spool_depth 0');
  });
});
