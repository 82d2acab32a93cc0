/**
 * The capture's Prometheus metrics and its health, read from the counters the capture already
 * keeps (RunStats, the WriteQueue) at scrape time, plus what only a wrapper can see: how long
 * each Redis write took.
 *
 * Pull, not push: the capture does not know this module exists. It hands over its state once
 * (`attach`), and anything else that counts per venue (the streaming mode's reconnects, resyncs,
 * gaps; the spool's depth) registers with one call: `counterFrom`, `gaugeFrom`, `setSpoolDepth`.
 *
 * Names follow Prometheus conventions: `l1_` prefix, `_total` for counters, `_seconds` for times;
 * process and Node metrics keep their standard names (`process_…`, `nodejs_…`) so stock
 * dashboards work. Labels are venues, products and outcomes: never a URL, so never a password.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { CaptureRun } from '../capture/capture-loop.js';
import type { RunStats } from '../capture/run-stats.js';
import type { VenueStreamStats } from '../capture/streamer.js';
import type { WriteQueue } from '../capture/write-queue.js';
import type { RedisClient } from '../store/redis-client.js';
import type { RedisStore } from '../store/redis-store.js';
import { type HealthInput, type HealthVerdict, judgeHealth } from './health.js';

/** One labelled value of a metric read at scrape time. */
export type LabelledValue = readonly [labels: Record<string, string>, value: number];

export interface CaptureMetricsOptions {
  /** How long without a successful fetch before /healthz says the capture is not moving. */
  staleAfterMs: number;
}

/** Latency buckets for one Redis write call (a batch of up to 500 snapshots). */
const WRITE_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export class CaptureMetrics {
  readonly registry = new Registry();
  private run: CaptureRun | undefined;
  private redis: RedisClient | undefined;
  private readonly startedAt = performance.now();
  private spoolDepth: () => number = () => 0;
  private readonly writeSeconds: Histogram<'outcome'>;

  constructor(private readonly options: CaptureMetricsOptions) {
    collectDefaultMetrics({ register: this.registry });
    const venues = () => (this.run ? [...this.run.stats.venues] : []);
    this.counterFrom(
      'l1_requests_total',
      'HTTP requests to the venues, by venue and outcome (ok or the error kind)',
      ['venue', 'outcome'],
      () =>
        venues().flatMap(([venue, v]) =>
          [...v.outcomes].map(([outcome, n]) => [{ venue, outcome }, n] as const),
        ),
    );
    this.counterFrom(
      'l1_rate_limited_total',
      'Answers that said slow down (HTTP 429 or a ban), by venue',
      ['venue'],
      () =>
        venues().map(
          ([venue, v]) =>
            [{ venue }, (v.outcomes.get('rate_limited') ?? 0) + (v.outcomes.get('banned') ?? 0)] as const,
        ),
    );
    this.counterFrom('l1_retries_total', 'Requests tried again after a failure, by venue', ['venue'], () =>
      venues().map(([venue, v]) => [{ venue }, v.retries] as const),
    );
    this.counterFrom(
      'l1_snapshots_stored_total',
      'Snapshots written to Redis, by venue and product',
      ['venue', 'product'],
      () =>
        this.products().map(
          (p) => [{ venue: p.target.exchange, product: p.target.productId }, p.stored] as const,
        ),
    );
    this.counterFrom(
      'l1_snapshots_dropped_total',
      'Snapshots dropped because the write queue was full',
      [],
      () => (this.run ? [[{}, this.run.queue.dropped]] : []),
    );
    this.counterFrom(
      'l1_redis_write_errors_total',
      'Redis write calls that failed (the snapshots stay queued)',
      [],
      () => (this.run ? [[{}, this.run.queue.writeErrors]] : []),
    );
    this.gaugeFrom('l1_write_queue_depth', 'Snapshots waiting in memory to be written to Redis', [], () =>
      this.run ? [[{}, this.run.queue.depth]] : [],
    );
    this.gaugeFrom(
      'l1_spool_depth',
      'Snapshots waiting in the on-disk spool to be written to Redis',
      [],
      () => [[{}, this.spoolDepth()]],
    );
    this.gaugeFrom(
      'l1_seconds_since_last_stored',
      'Seconds since the last snapshot of a product was stored (since start if none yet): the staleness signal',
      ['venue', 'product'],
      () => this.staleness(),
    );
    this.gaugeFrom(
      'l1_redis_up',
      '1 while the Redis connection is ready and writes succeed, else 0',
      [],
      () => [[{}, this.redisUp() ? 1 : 0]],
    );
    this.streamMetrics();
    this.writeSeconds = new Histogram({
      name: 'l1_redis_write_duration_seconds',
      help: 'Time of one Redis write call (a batch of snapshots), by outcome',
      labelNames: ['outcome'],
      buckets: WRITE_BUCKETS,
      registers: [this.registry],
    });
  }

  /** `--stream`: the connections' counters by venue (nothing is exported in a polling run). */
  private streamMetrics(): void {
    const streams = () => this.run?.venues?.() ?? [];
    const perVenue = (pick: (v: VenueStreamStats) => number) => () =>
      streams().map((v) => [{ venue: v.exchange }, pick(v)] as const);
    const counters: [string, string, (v: VenueStreamStats) => number][] = [
      [
        'l1_stream_reconnects_total',
        'Stream connections opened again after a close, by venue',
        (v) => v.reconnects,
      ],
      [
        'l1_stream_handovers_total',
        'Stream connections replaced make-before-break (rotation, announced close; no gap), by venue',
        (v) => v.handovers,
      ],
      [
        'l1_stream_resyncs_total',
        'Products re-snapshotted after their book was found inconsistent, by venue',
        (v) => v.resyncs,
      ],
      ['l1_stream_gaps_total', 'Proven missed updates, resets and venue restarts, by venue', (v) => v.gaps],
      [
        'l1_stream_malformed_total',
        'Stream messages that could not be read and were skipped, by venue',
        (v) => v.malformed,
      ],
      [
        'l1_stream_rest_fallbacks_total',
        'Times a stream connection fell back to REST polling, by venue',
        (v) => v.fallbacks,
      ],
    ];
    for (const [name, help, pick] of counters) this.counterFrom(name, help, ['venue'], perVenue(pick));
    this.gaugeFrom(
      'l1_stream_connections_open',
      'Stream connections open now, by venue',
      ['venue'],
      perVenue((v) => v.open),
    );
    this.gaugeFrom(
      'l1_stream_connections_polling',
      'Stream connections whose products are polled over REST now (stream unreachable), by venue',
      ['venue'],
      perVenue((v) => v.polling),
    );
  }

  /** The capture's own state; called once the capture loop has built it. */
  attach(run: CaptureRun): void {
    this.run = run;
  }

  /** The Redis connection whose state /healthz and l1_redis_up report. */
  setRedis(redis: RedisClient): void {
    this.redis = redis;
  }

  /** For the spool: where its depth is read at scrape time. */
  setSpoolDepth(read: () => number): void {
    this.spoolDepth = read;
  }

  /**
   * A counter whose values the caller keeps (e.g. per-venue reconnects), read at every scrape.
   * `read` returns one [labels, value] per label set; values must only grow.
   */
  counterFrom(name: string, help: string, labelNames: string[], read: () => Iterable<LabelledValue>): void {
    new Counter({ name, help, labelNames, registers: [this.registry], collect: refill(read, 'inc') });
  }

  /** A gauge whose values the caller keeps, read at every scrape. */
  gaugeFrom(name: string, help: string, labelNames: string[], read: () => Iterable<LabelledValue>): void {
    new Gauge({ name, help, labelNames, registers: [this.registry], collect: refill(read, 'set') });
  }

  /** The store, with every write timed. Everything else goes to the store untouched. */
  timeWrites(store: RedisStore): RedisStore {
    const write: RedisStore['write'] = async (snapshots) => {
      const started = performance.now();
      try {
        const result = await store.write(snapshots);
        this.writeSeconds.observe({ outcome: 'ok' }, (performance.now() - started) / 1000);
        return result;
      } catch (err) {
        this.writeSeconds.observe({ outcome: 'error' }, (performance.now() - started) / 1000);
        throw err;
      }
    };
    return new Proxy(store, {
      get: (target, property, receiver) =>
        property === 'write' ? write : Reflect.get(target, property, receiver),
    });
  }

  /** Whether the capture is healthy now, with a one-line reason. */
  health(): HealthVerdict {
    const products = this.products();
    let lastFetchAt: number | undefined;
    for (const p of products) {
      if (p.lastSuccessAt !== undefined && (lastFetchAt === undefined || p.lastSuccessAt > lastFetchAt))
        lastFetchAt = p.lastSuccessAt;
    }
    const input: HealthInput = {
      now: performance.now(),
      startedAt: this.run?.stats.startedAt ?? this.startedAt,
      capturing: this.run !== undefined,
      redisUp: this.redisUp(),
      queued: this.run?.queue.depth ?? 0,
      lastFetchAt,
      staleAfterMs: this.options.staleAfterMs,
    };
    return judgeHealth(input);
  }

  metricsText(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private products() {
    return this.run ? [...this.run.stats.products.values()] : [];
  }

  private redisUp(): boolean {
    const ready = this.redis === undefined || this.redis.status === 'ready';
    return ready && !(this.run?.queue.redisDown ?? false);
  }

  private staleness(): LabelledValue[] {
    const now = performance.now();
    const since = this.run?.stats.startedAt ?? this.startedAt;
    return this.products().map(
      (p) =>
        [
          { venue: p.target.exchange, product: p.target.productId },
          (now - (p.lastStoredAt ?? since)) / 1000,
        ] as const,
    );
  }
}

/** A collect function that replaces a metric's values with what `read` returns now. */
function refill<M extends Counter<string> | Gauge<string>>(
  read: () => Iterable<LabelledValue>,
  how: 'inc' | 'set',
) {
  return function (this: M): void {
    this.reset();
    for (const [labels, value] of read()) {
      if (how === 'inc') (this as Counter<string>).inc(labels, value);
      else (this as Gauge<string>).set(labels, value);
    }
  };
}
