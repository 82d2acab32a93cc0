/**
 * Streaming capture (`l1-fetch --stream`): the counterpart of the Poller. Every product is carried
 * by a WebSocket to its venue (stream/feed-connection.ts does the connection work), every quote goes
 * through the change filter (stream/top-filter.ts), and every change becomes one snapshot in the same
 * write queue polling uses: one write path, one snapshot type.
 *
 * Per connection, a stream that cannot be reached (refused, blocked, geo-blocked) falls back to REST
 * polling of its products, with one warning, and back to the stream when data flows again. Venue
 * counters (reconnects, resyncs, gaps, malformed messages …) feed the live status and the summary.
 */

import { formatDuration } from '../duration.js';
import { ExchangeError } from '../errors.js';
import type { ExchangeId } from '../exchanges/exchange-ids.js';
import type { RetryPolicy } from '../exchanges/fetch-runner.js';
import { RateLimiter } from '../exchanges/rate-limiter.js';
import { notASpotPair } from '../exchanges/venue-support.js';
import type { L1Snapshot } from '../snapshot.js';
import {
  type DownInfo,
  FeedConnection,
  type FeedHandler,
  type ReconnectBackoff,
} from '../stream/feed-connection.js';
import type { Quote, StreamAdapter, StreamEvent, StreamProduct } from '../stream/stream-adapter.js';
import { createStreamAdapter } from '../stream/stream-registry.js';
import { TopFilter } from '../stream/top-filter.js';
import { DEFAULT_WS_URLS } from '../stream/ws-urls.js';
import { fromEpochMicros } from '../timestamp.js';
import type { CaptureLog } from './capture-log.js';
import { type LinkedAbort, linkedAbort } from './linked-abort.js';
import { Poller, type PollerEvents, type SnapshotSink } from './poller.js';
import type { ProductStats, RunStats } from './run-stats.js';
import { type Target, targetName } from './targets.js';
import type { VenueClient } from './venue-clients.js';

export interface StreamOptions {
  /** Per-venue WebSocket URL overrides (--ws-url). */
  wsUrls: Partial<Record<ExchangeId, string>>;
  /** At most one snapshot per product per this many ms (0: every change). */
  minIntervalMs: number;
  /** Replaces every venue's silence timeout (--feed-timeout). */
  feedTimeoutMs: number | undefined;
  backoff: ReconnectBackoff;
  /** Consecutive failed attempts after which a connection's products are polled over REST. */
  fallbackAfterFailures: number;
  /** Polling interval while in REST fallback. */
  fallbackIntervalMs: number;
  retry: RetryPolicy;
  handshakeTimeoutMs: number;
}

/** What a venue's streams did during the run: the summary and --log-format json report it. */
export interface VenueStreamStats {
  exchange: ExchangeId;
  connections: number;
  /** Connections open right now. */
  open: number;
  reconnects: number;
  /** Connections replaced make-before-break (rotation, announced close): no gap. */
  handovers: number;
  /** Products re-snapshotted after their state was found inconsistent. */
  resyncs: number;
  /** Proven missed updates, resets and restarts. */
  gaps: number;
  /** The same update id again (re-pushes). */
  duplicates: number;
  malformed: number;
  unknown: number;
  venueErrors: number;
  /** Times a connection fell back to REST polling, and connections polling now. */
  fallbacks: number;
  polling: number;
}

interface Carried {
  conn: FeedConnection;
  adapter: StreamAdapter;
  venue: VenueStreamStats;
  stats: Map<string, ProductStats>;
  /** Products quoted since the socket opened (a REST snapshot must not overwrite a newer quote). */
  quoted: Set<string>;
  fallback: { run: LinkedAbort; done: Promise<void> } | undefined;
}

export class Streamer implements FeedHandler {
  readonly venues = new Map<ExchangeId, VenueStreamStats>();
  private readonly carried = new Map<FeedConnection, Carried>();
  private readonly filter: TopFilter;
  private readonly said = new Map<string, number>();
  private signal: AbortSignal = new AbortController().signal;

  constructor(
    private readonly targets: readonly Target[],
    private readonly clients: Map<ExchangeId, VenueClient>,
    queue: SnapshotSink,
    private readonly stats: RunStats,
    private readonly options: StreamOptions,
    private readonly log: CaptureLog,
    /** A product's failure, and a venue's host that stops or starts resolving (REST, as polling reports them). */
    private readonly events: Required<Pick<PollerEvents, 'onError' | 'onVenueDown' | 'onVenueUp'>>,
  ) {
    this.filter = new TopFilter((s) => queue.push(s), options.minIntervalMs);
    this.plan();
  }

  /** Connections per venue, for the start line. */
  get connectionCount(): number {
    return this.carried.size;
  }

  async run(stop: AbortSignal): Promise<void> {
    this.signal = stop;
    try {
      await Promise.all([...this.carried.values()].map((c) => c.conn.run(stop)));
      await Promise.all([...this.carried.values()].map((c) => this.stopFallback(c, false)));
    } finally {
      // A min-interval window still open holds the product's latest top: it is written too.
      this.filter.flush();
    }
  }

  /** Venue counters as plain objects, for logs and the summary. */
  venueReport(): VenueStreamStats[] {
    return [...this.venues.values()].map((v) => ({ ...v }));
  }

  private plan(): void {
    const byVenue = new Map<ExchangeId, Target[]>();
    for (const t of this.targets) {
      const list = byVenue.get(t.exchange) ?? [];
      list.push(t);
      byVenue.set(t.exchange, list);
    }
    for (const [exchange, targets] of byVenue) {
      const adapter = createStreamAdapter(exchange);
      const venue: VenueStreamStats = {
        exchange,
        connections: 0,
        open: 0,
        reconnects: 0,
        handovers: 0,
        resyncs: 0,
        gaps: 0,
        duplicates: 0,
        malformed: 0,
        unknown: 0,
        venueErrors: 0,
        fallbacks: 0,
        polling: 0,
      };
      this.venues.set(exchange, venue);
      const products: StreamProduct[] = [];
      for (const t of targets) {
        const native = adapter.nativeSymbol(t.productId);
        if (native === undefined) {
          this.onProductError(t, notASpotPair(exchange, t.productId, 'BTC-USD'));
          continue;
        }
        products.push({ productId: t.productId, native });
      }
      const connectLimiter = new RateLimiter(adapter.limits.connects, { safetyMargin: 0.9 });
      const per = adapter.limits.productsPerConnection;
      for (let i = 0; i < products.length; i += per) {
        const share = products.slice(i, i + per);
        venue.connections += 1;
        const conn = new FeedConnection(
          {
            adapter,
            baseUrl: this.options.wsUrls[exchange] ?? DEFAULT_WS_URLS[exchange],
            products: share,
            connectLimiter,
            silenceTimeoutMs: this.options.feedTimeoutMs ?? adapter.limits.silenceTimeoutMs,
            backoff: this.options.backoff,
            handshakeTimeoutMs: this.options.handshakeTimeoutMs,
            label: `${exchange}#${venue.connections}`,
          },
          this,
        );
        const stats = new Map<string, ProductStats>();
        for (const p of share) {
          const s = this.stats.get({ exchange, productId: p.productId });
          if (s) stats.set(p.productId, s);
        }
        this.carried.set(conn, {
          conn,
          adapter,
          venue,
          stats,
          quoted: new Set(),
          fallback: undefined,
        });
      }
    }
  }

  onOpen(conn: FeedConnection, handover: string | undefined): void {
    const c = this.carried.get(conn);
    if (!c) return;
    if (handover) {
      c.venue.handovers += 1;
      // Its predecessor is still open and closes once this one delivers: no gap, no reconnect.
      this.log.info(`${conn.label}: handing over to a fresh connection (${handover}); no gap`, {
        event: 'handover',
        exchange: c.adapter.id,
        connection: conn.label,
        reason: handover,
      });
      return;
    }
    c.venue.open += 1;
    c.quoted.clear();
    // The stream is reachable again: its products leave REST polling (if it fails again, they go back).
    if (c.fallback) void this.stopFallback(c, true);
    if (conn.opens > 1) {
      c.venue.reconnects += 1;
      this.log.info(`${conn.label}: reconnected; subscribing ${conn.wanted.length} product(s) again`, {
        event: 'reconnected',
        exchange: c.adapter.id,
        connection: conn.label,
      });
    }
    if (c.adapter.restSnapshotOnConnect) void this.restSnapshot(c);
  }

  onHandoverFailed(conn: FeedConnection, reason: string, retryInMs: number): void {
    const c = this.carried.get(conn);
    if (!c) return;
    this.log.warn(
      `${conn.label}: a fresh connection failed (${reason}); the current one goes on, trying again in ${formatDuration(retryInMs)}`,
      { event: 'handover_failed', exchange: c.adapter.id, connection: conn.label, reason },
    );
  }

  onDown(conn: FeedConnection, info: DownInfo): void {
    const c = this.carried.get(conn);
    if (!c) return;
    if (info.opened) c.venue.open -= 1;
    const fields = {
      exchange: c.adapter.id,
      connection: conn.label,
      reason: info.reason,
      retry_in_ms: info.retryInMs,
      failures: info.failures,
    };
    if (info.opened || info.failures === 1 || info.failures % 20 === 0)
      this.log.warn(
        `${conn.label}: ${info.reason}; ${info.failures > 1 ? `${info.failures} attempts in a row; ` : ''}reconnecting in ${formatDuration(info.retryInMs)}`,
        { event: 'disconnected', ...fields },
      );
    if (info.failures >= this.options.fallbackAfterFailures && c.fallback === undefined)
      this.startFallback(c, info);
  }

  onEvents(conn: FeedConnection, events: readonly StreamEvent[], receivedMicros: number): void {
    const c = this.carried.get(conn);
    if (!c) return;
    let receivedAt: string | undefined;
    for (const e of events) {
      switch (e.type) {
        case 'quote':
          receivedAt ??= fromEpochMicros(receivedMicros);
          this.quote(c, e.quote, receivedAt);
          break;
        case 'subscribed':
          for (const id of e.productIds) conn.confirm(id);
          break;
        case 'rejected':
          this.rejected(c, e.productIds, e.message);
          break;
        case 'resync':
          c.venue.resyncs += 1;
          this.sample(`resync:${c.adapter.id}`, 3, () =>
            this.log.warn(
              `${this.name(c, e.productId)}: resynchronising (${e.reason}): a fresh snapshot is requested`,
              {
                event: 'resync',
                product: this.name(c, e.productId),
                reason: e.reason,
              },
            ),
          );
          conn.resync(e.productId);
          break;
        case 'gap':
          c.venue.gaps += 1;
          this.sample(`gap:${c.adapter.id}`, 3, () =>
            this.log.warn(`${this.name(c, e.productId)}: ${e.detail}`, {
              event: 'gap',
              product: this.name(c, e.productId),
              detail: e.detail,
            }),
          );
          break;
        case 'duplicate':
          c.venue.duplicates += 1;
          break;
        case 'malformed':
          c.venue.malformed += 1;
          this.sample(`malformed:${c.adapter.id}`, 3, () =>
            this.log.warn(`${c.adapter.id}: skipped a malformed message (${e.detail})`, {
              event: 'malformed',
              exchange: c.adapter.id,
              detail: e.detail,
            }),
          );
          break;
        case 'unknown':
          c.venue.unknown += 1;
          this.sample(`unknown:${c.adapter.id}`, 1, () =>
            this.log.info(`${c.adapter.id}: skipped a message of a kind not used (${e.detail})`, {
              event: 'unknown_message',
              exchange: c.adapter.id,
            }),
          );
          break;
        case 'venue_error':
          c.venue.venueErrors += 1;
          this.sample(`venue_error:${c.adapter.id}`, 10, () =>
            this.log.warn(e.message, { event: 'venue_error', exchange: c.adapter.id }),
          );
          break;
        case 'closing':
        case 'heartbeat':
          break;
      }
    }
  }

  private quote(c: Carried, q: Quote, receivedAt: string): void {
    const product = c.stats.get(q.productId);
    if (!product) return;
    c.conn.confirm(q.productId);
    c.quoted.add(q.productId);
    const snapshot: L1Snapshot = {
      exchange: c.adapter.id,
      product_id: q.productId,
      bids: q.bid ? [q.bid] : [],
      asks: q.ask ? [q.ask] : [],
      timestamp: q.timestamp ?? receivedAt,
      sequence: q.sequence,
      received_at: receivedAt,
      native_symbol: c.conn.nativeOf(q.productId),
      timestamp_source: q.timestamp === undefined ? 'received' : 'exchange',
    };
    product.fetched += 1;
    product.lastSuccessAt = performance.now();
    this.offer(product, snapshot);
  }

  /** The change filter, and the product's counters. */
  private offer(product: ProductStats, snapshot: L1Snapshot): void {
    if (this.filter.offer(snapshot) === 'unchanged') {
      product.skippedUnchanged += 1;
      return;
    }
    product.lastChangeAt = performance.now();
    product.staleWarned = false;
    product.last = snapshot;
  }

  private rejected(c: Carried, productIds: readonly string[], message: string): void {
    c.venue.venueErrors += 1;
    if (productIds.length === 0) {
      this.log.warn(message, { event: 'subscribe_refused', exchange: c.adapter.id });
    }
    c.conn.refuse(productIds);
    for (const productId of productIds) {
      this.onProductError(
        { exchange: c.adapter.id, productId },
        new ExchangeError({ kind: 'not_found', exchange: c.adapter.id, productId, message }),
      );
    }
    if (c.adapter.rejectionFailsWholeSubscribe) c.conn.resubscribePending();
  }

  /**
   * A REST poller of the connection's products, the same one polling uses (limiter, DNS gate,
   * retries, request counters), its snapshots going through the change filter. Products the venue
   * says it does not list are left out of the stream too.
   */
  private restPoller(c: Carried, intervalMs: number, count?: number): Poller {
    const targets = c.conn.wanted.map((p): Target => ({ exchange: c.adapter.id, productId: p.productId }));
    const sink: SnapshotSink = {
      push: (s) => {
        const product = c.stats.get(s.product_id);
        // A quote streamed since the socket opened is newer than a REST answer.
        if (product && !(count !== undefined && c.quoted.has(s.product_id))) this.offer(product, s);
      },
    };
    return new Poller(
      targets,
      this.clients,
      sink,
      this.stats,
      { intervalMs, count, skipUnchanged: false, retry: this.options.retry },
      {
        ...this.events,
        onError: (target, error) => {
          if (error.kind === 'not_found') c.conn.refuse([target.productId]);
          this.events.onError(target, error);
        },
      },
    );
  }

  /** After a (re)connect of a venue whose subscriptions bring no snapshot: each product's top over REST. */
  private async restSnapshot(c: Carried): Promise<void> {
    if (c.conn.wanted.length === 0) return;
    await this.restPoller(c, 1, 1).run(this.signal);
  }

  private startFallback(c: Carried, info: DownInfo): void {
    const products = c.conn.wanted.length;
    if (products === 0 || this.signal.aborted) return;
    c.venue.fallbacks += 1;
    c.venue.polling += 1;
    this.log.warn(
      `${c.conn.label}: the stream cannot be reached (${info.reason}); polling its ${products} product(s) over REST every ${formatDuration(this.options.fallbackIntervalMs)} until it returns`,
      {
        event: 'stream_fallback',
        exchange: c.adapter.id,
        connection: c.conn.label,
        products,
        reason: info.reason,
      },
    );
    const run = linkedAbort(this.signal);
    const poller = this.restPoller(c, this.options.fallbackIntervalMs);
    c.fallback = { run, done: poller.run(run.signal).finally(() => run.dispose()) };
  }

  private async stopFallback(c: Carried, announce: boolean): Promise<void> {
    const fallback = c.fallback;
    if (!fallback) return;
    c.fallback = undefined;
    c.venue.polling -= 1;
    fallback.run.controller.abort();
    if (announce)
      this.log.info(`${c.conn.label}: the stream is back; REST polling of its products stopped`, {
        event: 'stream_restored',
        exchange: c.adapter.id,
        connection: c.conn.label,
      });
    await fallback.done;
  }

  /** Counts a product's failure (as the Poller does) and reports it. */
  private onProductError(target: Target, error: ExchangeError): void {
    const product = this.stats.get(target);
    if (product) {
      product.errors += 1;
      product.lastError = error;
    }
    this.events.onError(target, error);
  }

  /**
   * A product whose connection is delivering (frames, heartbeats, pings) is live even when its
   * market is quiet: called before each staleness check, so only a product whose feed has gone
   * quiet altogether, or whose connection is down, looks dead.
   */
  markLive(): void {
    for (const c of this.carried.values()) {
      const heard = c.conn.lastHeardAt;
      if (heard === undefined) continue;
      for (const p of c.conn.wanted) {
        const product = c.stats.get(p.productId);
        if (product && heard > (product.lastSuccessAt ?? 0)) product.lastSuccessAt = heard;
      }
    }
  }

  private name(c: Carried, productId: string): string {
    return targetName({ exchange: c.adapter.id, productId });
  }

  /** Runs `say` for the first `limit` occurrences of `key`; later ones are only counted. */
  private sample(key: string, limit: number, say: () => void): void {
    const n = (this.said.get(key) ?? 0) + 1;
    this.said.set(key, n);
    if (n <= limit) say();
    else if (n === limit + 1)
      this.log.info(
        `(${key.replace(':', ' on ')}: further occurrences are counted in the summary, not logged)`,
      );
  }
}
