/**
 * The long-running capture (`l1-fetch --interval …` or `--stream`): wires the poller or the
 * streamer, the write queue, the live status and the signals together, and decides the exit code.
 *
 * It never dies on a Redis error: writes that fail stay in the write queue and go in when Redis is
 * back. SIGINT/SIGTERM stop new requests, let in-flight ones finish, flush the queue within a
 * deadline and print a summary; a second signal exits at once.
 */
import type { Writable } from 'node:stream';
import { formatDuration } from '../duration.js';
import { EXIT_FAILURE, EXIT_OK, type ExchangeError, errorMessage } from '../errors.js';
import type { ExchangeId } from '../exchanges/exchange-ids.js';
import type { RetryPolicy } from '../exchanges/fetch-runner.js';
import type { Spool } from '../spool/spool.js';
import type { RedisClient } from '../store/redis-client.js';
import { describeRedisError } from '../store/redis-errors.js';
import type { RedisStore } from '../store/redis-store.js';
import { type Align, renderTable } from '../text-table.js';
import type { CaptureLog } from './capture-log.js';
import { streamTotals, totals } from './capture-log.js';
import { linkedAbort } from './linked-abort.js';
import { Poller } from './poller.js';
import { RunStats } from './run-stats.js';
import type { Streamer, StreamOptions, VenueStreamStats } from './streamer.js';
import { type Target, targetName } from './targets.js';
import type { VenueClient } from './venue-clients.js';
import { WriteQueue, type WriteQueueOptions } from './write-queue.js';

export interface CaptureLoopOptions {
  intervalMs: number;
  count?: number | undefined;
  durationMs?: number | undefined;
  skipUnchanged: boolean;
  /** Warn when a product's data has not moved, or not been fetched, for this long. */
  staleAfterMs: number;
  /** How long shutdown may spend writing what is queued. */
  flushTimeoutMs: number;
  retry: RetryPolicy;
  writeQueue: WriteQueueOptions;
  json: boolean;
  /** Stream instead of polling (`--stream`); `intervalMs`, `count` and `skipUnchanged` then do not apply. */
  stream?: StreamOptions | undefined;
}

/** What a running capture hands to its observers (metrics). */
export interface CaptureRun {
  stats: RunStats;
  queue: WriteQueue;
  /** The streams' per-venue counters, in a --stream run. */
  venues?: (() => VenueStreamStats[]) | undefined;
}

export interface CaptureLoopDeps {
  targets: readonly Target[];
  clients: Map<ExchangeId, VenueClient>;
  redis: RedisClient;
  store: RedisStore;
  log: CaptureLog;
  stdout: Writable;
  /** Handed the run's counters once they exist (metrics read them at scrape time). */
  observe?: ((run: CaptureRun) => void) | undefined;
  /** Background work that runs beside the capture (e.g. --archive-dir), started and stopped with it. */
  background?: { start(): void; stop(): Promise<void> } | undefined;
  /** `--spool-dir`: the backlog lives on disk, and survives a crash. */
  spool?: Spool | undefined;
}

export async function runCaptureLoop(deps: CaptureLoopDeps, options: CaptureLoopOptions): Promise<number> {
  const { log, targets } = deps;
  const stats = new RunStats(targets);
  const stop = new AbortController();
  let spoolFailure: Error | undefined;
  const holding = deps.spool
    ? `keeping snapshots in the spool ${deps.spool.dir}`
    : `holding snapshots in memory (bound ${options.writeQueue.maxQueued})`;
  const writeQueue = { ...options.writeQueue, spool: deps.spool };
  const queue = new WriteQueue(deps.store, writeQueue, {
    onStored: (batch) => stats.onStored(batch),
    onDown: (err, queued) =>
      log.error(
        `Redis write failed (${describeRedisError(err)}); ${holding} (${queued} queued) and retrying`,
        { event: 'redis_down', queued },
      ),
    onUp: (downMs, queued) =>
      log.info(
        `Redis is back after ${formatDuration(Math.round(downMs))}; writing ${queued} queued snapshot(s)`,
        {
          event: 'redis_up',
          down_ms: Math.round(downMs),
          queued,
        },
      ),
    onDropped: (count, total, cause) =>
      log.error(`${cause}: dropped the ${count} oldest snapshot(s) (${total} dropped in all)`, {
        event: 'dropped',
        count,
        total,
      }),
    onSpoolFailed: (err) => {
      spoolFailure = err;
      log.error(`${err.message}; stopping the capture and writing what is queued to Redis`, {
        event: 'spool_failed',
      });
      stop.abort(err);
    },
  });
  // ioredis emits 'error' on every failed reconnect; the queue reports outages once.
  deps.redis.on('error', () => {});

  // From here on a signal stops the run cleanly, also while the stream modules load or a spool
  // left by an earlier run is being written.
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      log.error(`second ${signal}: exiting at once; ${queue.depth} queued snapshot(s) not written`);
      process.exit(EXIT_FAILURE);
    }
    log.info(
      `${signal}: stopping; ${options.stream ? 'closing the streams' : 'finishing requests in flight'} and writing ${queue.depth} queued snapshot(s) (send again to exit at once)`,
    );
    stop.abort(new Error(signal));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const onError = (target: Target, error: ExchangeError) => {
    const p = stats.get(target);
    // A host that does not resolve is the venue's failure, reported once (onVenueDown).
    if (!p || error.kind === 'dns') return;
    // One line when a product starts failing or fails differently; not one per poll.
    if (p.errors === 1 || p.lastErrorLogged !== error.message) {
      p.lastErrorLogged = error.message;
      log.warn(error.message, {
        event: 'fetch_failed',
        product: targetName(target),
        kind: error.kind,
        status: error.status,
      });
    }
  };
  const venueEvents = {
    onVenueDown: (error: ExchangeError) =>
      log.warn(`${error.message}; retrying the venue, not each product`, {
        event: 'venue_unresolved',
        exchange: error.exchange,
      }),
    onVenueUp: (exchange: string, downMs: number) =>
      log.info(`${exchange}: the host resolves again after ${formatDuration(Math.round(downMs))}`, {
        event: 'venue_resolved',
        exchange,
        down_ms: Math.round(downMs),
      }),
  };

  let source: { run(stop: AbortSignal): Promise<void> };
  let streamer: Streamer | undefined;
  if (options.stream) {
    // Loaded only for streams: ws, lossless-json and the stream adapters.
    const { Streamer } = await import('./streamer.js');
    streamer = new Streamer(targets, deps.clients, queue, stats, options.stream, log, {
      ...venueEvents,
      onError,
    });
    announceStream(streamer, options, log, targets.length, deps.spool);
    source = streamer;
  } else {
    const poller = new Poller(targets, deps.clients, queue, stats, options, {
      ...venueEvents,
      onError,
      onSnapshot: (s) => {
        const p = stats.get({ exchange: s.exchange, productId: s.product_id });
        if (p?.lastErrorLogged !== undefined) {
          log.info(`${p.name}: fetching again after ${p.errors} error(s)`, {
            event: 'recovered',
            product: p.name,
          });
          p.lastErrorLogged = undefined;
        }
      },
    });
    announce(poller, options, log, targets.length, deps.spool);
    source = poller;
  }
  const venues = streamer ? () => streamer.venueReport() : undefined;
  deps.observe?.({ stats, queue, venues });
  deps.background?.start();

  const ticker = setInterval(() => {
    streamer?.markLive();
    checkStale(
      stats,
      options.staleAfterMs,
      log,
      options.stream ? 'no live stream or data' : 'no successful fetch',
    );
    log.status({ stats, queue, limits: () => limitsOf(deps.clients), venues });
  }, 1000);

  // --duration ends the run as a signal does, for polling and streaming alike.
  const run = linkedAbort(stop.signal, options.durationMs);
  try {
    await source.run(run.signal);
  } finally {
    run.dispose();
    clearInterval(ticker);
  }
  const lost = await queue.drain(options.flushTimeoutMs);
  await deps.background?.stop();
  log.endLive();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);

  // A product of a venue that never resolved failed, even if the run ended while its probe waited.
  for (const p of stats.products.values()) {
    const down = deps.clients.get(p.target.exchange)?.gate.outage;
    if (p.stored === 0 && p.errors === 0 && down) p.lastError = down;
  }
  const venueReport = streamer?.venueReport();
  printSummary(deps.stdout, stats, options.json, venueReport);
  const t = totals({ stats, queue, limits: () => ({}), venues });
  const never = [...stats.products.values()].filter(
    (p) => p.stored === 0 && (p.errors > 0 || p.lastError !== undefined),
  );
  const notReached = [...stats.products.values()].filter(
    (p) => p.stored === 0 && p.errors === 0 && p.lastError === undefined,
  );
  const storedPart = `${queue.stored} snapshots stored${queue.duplicates ? ` (+${queue.duplicates} already there)` : ''}`;
  const tail = `${queue.dropped} dropped, ${lost} unwritten`;
  if (venueReport) {
    const v = streamTotals(venueReport, 0);
    log.info(
      `done in ${formatDuration(t.elapsed_ms)}: ${t.updates} updates, ${storedPart}, ${sumSkipped(stats)} unchanged not stored, ${tail}; streams: ${v.reconnects} reconnects, ${v.resyncs} resyncs, ${v.gaps} gaps, ${v.malformed} malformed, ${v.rest_fallbacks} REST fallbacks${stats.requests > 0 ? `, ${stats.requests} REST requests` : ''}`,
      {
        event: 'summary',
        ...t,
        stored: queue.stored,
        lost,
        venues: venueReport.map(venueJson),
      },
    );
  } else {
    log.info(
      `done in ${formatDuration(t.elapsed_ms)}: ${stats.requests} requests (${(stats.requests / Math.max(0.001, t.elapsed_ms / 1000)).toFixed(1)}/s), ${stats.rateLimited} rate-limited (429), ${stats.retries} retries, ${storedPart}, ${sumSkipped(stats)} unchanged skipped, ${tail}${stats.requestsSaved > 0 ? `; batching saved ${stats.requestsSaved} requests` : ''}`,
      { event: 'summary', ...t, stored: queue.stored, lost, requests_saved: stats.requestsSaved },
    );
  }
  const kept = queue.spooled;
  if (kept > 0)
    log.warn(
      `${kept} snapshot(s) not yet in Redis stay in the spool ${deps.spool?.dir}; the next start writes them first`,
      { event: 'spool_kept', count: kept },
    );
  if (lost > kept)
    log.error(
      `${lost - kept} snapshot(s) could not be written before the flush deadline; Redis still unreachable?`,
    );
  if (notReached.length > 0) {
    log.warn(
      options.stream
        ? `no data before the run ended (a quiet market, or a stream that never delivered): ${notReached.map((p) => p.name).join(', ')}`
        : `not polled before the run ended (the rate limit spreads a round over more time than the run had): ${notReached.map((p) => p.name).join(', ')}`,
    );
  }
  if (never.length > 0) {
    log.error(
      `never stored: ${never.map((p) => p.name).join(', ')}${never[0]?.lastError ? ` (last error: ${never[0].lastError.message})` : ''}`,
    );
    return EXIT_FAILURE;
  }
  return lost > 0 || spoolFailure ? EXIT_FAILURE : EXIT_OK;
}

function announce(
  poller: Poller,
  o: CaptureLoopOptions,
  log: CaptureLog,
  products: number,
  spool: Spool | undefined,
): void {
  let snapshotsPerSecond = 0;
  for (const s of poller.schedules) {
    snapshotsPerSecond += (s.products * 1000) / s.roundMs;
    if (s.neededRate > s.allowedRate) {
      log.warn(
        `${s.exchange}: ${s.requestsPerRound} request(s) every ${formatDuration(o.intervalMs)} needs ${s.neededRate.toFixed(1)}/s, above the ${s.allowedRate.toFixed(1)}/s the rate limit allows; each product will be polled about every ${formatDuration(Math.ceil(s.roundMs))} instead, spread evenly`,
        { event: 'interval_stretched', exchange: s.exchange, effective_interval_ms: Math.ceil(s.roundMs) },
      );
    }
  }
  const b = backlog(spool, o);
  const boundSeconds = b.bound / Math.max(snapshotsPerSecond, 0.001);
  log.info(
    `polling ${products} product(s) every ${formatDuration(o.intervalMs)}${o.count ? `, ${o.count} time(s)` : ''}${o.durationMs ? ` for ${formatDuration(o.durationMs)}` : ''}; if Redis goes away, up to ${b.upTo} snapshots (~${formatDuration(Math.round(boundSeconds) * 1000)} at this rate) wait ${b.where}`,
    {
      event: 'start',
      products,
      interval_ms: o.intervalMs,
      queue_bound: b.bound,
      queue_bound_ms: Math.round(boundSeconds * 1000),
    },
  );
}

/** How many snapshots can wait while Redis is away, and where. */
function backlog(
  spool: Spool | undefined,
  o: CaptureLoopOptions,
): { bound: number; upTo: string; where: string } {
  if (!spool) return { bound: o.writeQueue.maxQueued, upTo: `${o.writeQueue.maxQueued}`, where: 'in memory' };
  const bound = spool.capacityEstimate;
  return { bound, upTo: `about ${bound}`, where: `in the spool ${spool.dir} (${spool.describeBound()})` };
}

function announceStream(
  streamer: Streamer,
  o: CaptureLoopOptions,
  log: CaptureLog,
  products: number,
  spool: Spool | undefined,
): void {
  const perVenue = [...streamer.venues.values()].map((v) => `${v.exchange} ${v.connections}`).join(', ');
  const b = backlog(spool, o);
  log.info(
    `streaming ${products} product(s) over ${streamer.connectionCount} connection(s) (${perVenue})${o.durationMs ? ` for ${formatDuration(o.durationMs)}` : ''}; every change of the top of book is stored${o.stream?.minIntervalMs ? `, at most one per product per ${formatDuration(o.stream.minIntervalMs)}` : ''}; if Redis goes away, up to ${b.upTo} snapshots wait ${b.where}${spool ? '' : ` (a busy stream fills that in minutes: --spool-dir keeps a long outage on disk)`}`,
    {
      event: 'start',
      mode: 'stream',
      products,
      connections: streamer.connectionCount,
      min_interval_ms: o.stream?.minIntervalMs ?? 0,
      queue_bound: b.bound,
    },
  );
}

function venueJson(v: VenueStreamStats) {
  return {
    exchange: v.exchange,
    connections: v.connections,
    reconnects: v.reconnects,
    handovers: v.handovers,
    resyncs: v.resyncs,
    gaps: v.gaps,
    duplicates: v.duplicates,
    malformed: v.malformed,
    unknown: v.unknown,
    venue_errors: v.venueErrors,
    rest_fallbacks: v.fallbacks,
  };
}

function checkStale(stats: RunStats, staleAfterMs: number, log: CaptureLog, noData: string): void {
  const now = performance.now();
  for (const p of stats.products.values()) {
    const sinceSuccess = now - (p.lastSuccessAt ?? stats.startedAt);
    // A venue whose host does not resolve was reported once for all its products.
    if (sinceSuccess > staleAfterMs && !p.failingWarned && p.lastError?.kind !== 'dns') {
      p.failingWarned = true;
      log.warn(
        `${p.name}: ${noData} for ${formatDuration(Math.round(sinceSuccess))}${p.lastError ? ` (last error: ${p.lastError.message})` : ''}`,
        { event: 'no_success', product: p.name },
      );
    } else if (sinceSuccess <= staleAfterMs) {
      p.failingWarned = false;
    }
    if (p.lastChangeAt !== undefined && now - p.lastChangeAt > staleAfterMs && !p.staleWarned) {
      p.staleWarned = true;
      log.warn(
        `${p.name}: data unchanged for ${formatDuration(Math.round(now - p.lastChangeAt))} (sequence ${p.last?.sequence || 'n/a'}, exchange time ${p.last?.timestamp ?? 'n/a'}); a quiet market, or the venue is serving stale data`,
        { event: 'stale', product: p.name, sequence: p.last?.sequence, timestamp: p.last?.timestamp },
      );
    }
  }
}

function limitsOf(clients: Map<ExchangeId, VenueClient>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [id, c] of clients) out[id] = c.limiter.effectiveRatePerSec;
  return out;
}

function sumSkipped(stats: RunStats): number {
  let n = 0;
  for (const p of stats.products.values()) n += p.skippedUnchanged;
  return n;
}

function printSummary(
  out: Writable,
  stats: RunStats,
  json: boolean,
  venues: readonly VenueStreamStats[] | undefined,
): void {
  const rows = [...stats.products.values()];
  const streaming = venues !== undefined;
  if (json) {
    const products = rows.map((p) => ({
      exchange: p.target.exchange,
      product_id: p.target.productId,
      [streaming ? 'updates' : 'fetched']: p.fetched,
      stored: p.stored,
      skipped_unchanged: p.skippedUnchanged,
      errors: p.errors,
      last_error: p.lastError ? errorMessage(p.lastError) : null,
      last: p.last ?? null,
    }));
    // Polling prints the product list as it always has; a stream adds its venues' connection counters.
    const data = streaming ? { products, venues: venues.map(venueJson) } : products;
    out.write(`${JSON.stringify(data, null, 2)}\n`);
    return;
  }
  const header = [
    'PRODUCT',
    streaming ? 'UPDATES' : 'FETCHED',
    'STORED',
    'UNCHANGED',
    'ERRORS',
    'LAST BID',
    'LAST ASK',
    'FAILED WITH',
  ];
  const body = rows.map((p) => [
    p.name,
    String(p.fetched),
    String(p.stored),
    String(p.skippedUnchanged),
    String(p.errors),
    p.last?.bids[0]?.[0] ?? '—',
    p.last?.asks[0]?.[0] ?? '—',
    p.lastError && p.stored === 0 ? p.lastError.kind : '',
  ]);
  const align: Align[] = ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'left'];
  out.write(`${renderTable(header, body, align)}\n`);
  if (!venues) return;
  const venueHeader = [
    'VENUE',
    'CONNECTIONS',
    'RECONNECTS',
    'HANDOVERS',
    'RESYNCS',
    'GAPS',
    'DUPLICATES',
    'MALFORMED',
    'REST FALLBACKS',
  ];
  const venueBody = venues.map((v) =>
    [
      v.exchange,
      v.connections,
      v.reconnects,
      v.handovers,
      v.resyncs,
      v.gaps,
      v.duplicates,
      v.malformed,
      v.fallbacks,
    ].map(String),
  );
  out.write(
    `\n${renderTable(venueHeader, venueBody, ['left', ...Array<Align>(venueHeader.length - 1).fill('right')])}\n`,
  );
}
