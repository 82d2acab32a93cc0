/**
 * What a long-running capture tells the person or the log collector watching it, on stderr:
 *   - on a terminal: a live status area redrawn every second, with log lines scrolling above it;
 *   - otherwise: plain lines (`--log-format plain`, the default) or JSON lines (`--log-format json`),
 *     with a progress line every `progressEveryMs`.
 * Data (the final summary table or JSON) goes to stdout, never here.
 */
import type { Writable } from 'node:stream';
import { formatDuration } from '../duration.js';
import { nowTimestamp } from '../timestamp.js';
import type { RunStats } from './run-stats.js';
import type { VenueStreamStats } from './streamer.js';
import type { WriteQueue } from './write-queue.js';

export const LOG_FORMATS = ['plain', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];
type Level = 'info' | 'warn' | 'error';

export interface StatusSource {
  stats: RunStats;
  queue: WriteQueue;
  /** Units per second each venue's limiter currently allows, by venue. */
  limits: () => Record<string, number>;
  /** Stream connections' counters, in a streaming run. */
  venues?: (() => VenueStreamStats[]) | undefined;
}

export class CaptureLog {
  private liveLines = 0;
  private lastProgress = 0;

  constructor(
    private readonly out: Writable & { isTTY?: boolean; columns?: number; rows?: number },
    private readonly format: LogFormat,
    private readonly tool: string,
    private readonly progressEveryMs = 10_000,
  ) {}

  /** A live area only on an interactive terminal and for human-readable logs. */
  get live(): boolean {
    return this.out.isTTY === true && this.format === 'plain';
  }

  info(msg: string, fields: Record<string, unknown> = {}): void {
    this.line('info', msg, fields);
  }

  warn(msg: string, fields: Record<string, unknown> = {}): void {
    this.line('warn', msg, fields);
  }

  error(msg: string, fields: Record<string, unknown> = {}): void {
    this.line('error', msg, fields);
  }

  private line(level: Level, msg: string, fields: Record<string, unknown>): void {
    const text =
      this.format === 'json'
        ? `${JSON.stringify({ time: nowTimestamp(), level, msg, ...fields })}\n`
        : `${this.tool}: ${level === 'info' ? '' : `${level}: `}${msg}\n`;
    if (this.live) {
      this.out.write(`${this.clearLive()}${text}`);
      this.liveLines = 0;
    } else {
      this.out.write(text);
    }
  }

  /** Called about once a second by the capture. */
  status(source: StatusSource): void {
    if (this.live) {
      const lines = renderStatus(source, this.out.columns ?? 100, Math.max(4, (this.out.rows ?? 24) - 6));
      this.out.write(`${this.clearLive()}${lines.join('\n')}\n`);
      this.liveLines = lines.length;
      return;
    }
    const now = performance.now();
    if (now - this.lastProgress < this.progressEveryMs) return;
    this.lastProgress = now;
    const t = totals(source);
    if (this.format === 'json') this.line('info', 'progress', t);
    else {
      const middle =
        'connections' in t
          ? `updates ${t.updates}, streams ${t.connections_open}/${t.connections} open, reconnects ${t.reconnects}, resyncs ${t.resyncs}, gaps ${t.gaps}${t.rest_polling ? `, ${t.rest_polling} on REST fallback` : ''}`
          : `${t.requests_per_sec} req/s, 429s ${t.rate_limited}, retries ${t.retries}`;
      this.line(
        'info',
        `progress: ${formatDuration(t.elapsed_ms)}, stored ${t.stored}, ${middle}, errors ${t.errors}, queue ${t.queued}${t.redis_down ? ' (Redis down)' : ''}, dropped ${t.dropped}`,
        {},
      );
    }
  }

  /** Removes the live area (before the final summary). */
  endLive(): void {
    if (this.live && this.liveLines > 0) this.out.write(this.clearLive());
    this.liveLines = 0;
  }

  private clearLive(): string {
    // Cursor up over the area, then clear to the end of the screen.
    return this.liveLines > 0 ? `\x1b[${this.liveLines}F\x1b[0J` : '';
  }
}

export function totals({ stats, queue, venues }: StatusSource) {
  let errors = 0;
  let updates = 0;
  for (const p of stats.products.values()) {
    errors += p.errors;
    updates += p.fetched;
  }
  const streams = venues?.();
  return {
    ...(streams ? streamTotals(streams, updates) : {}),
    elapsed_ms: Math.round(stats.elapsedMs),
    stored: queue.stored,
    requests: stats.requests,
    requests_per_sec: Number(stats.requestsPerSecond().toFixed(1)),
    rate_limited: stats.rateLimited,
    retries: stats.retries,
    errors,
    queued: queue.depth,
    redis_down: queue.redisDown,
    dropped: queue.dropped,
  };
}

/** The venues' stream counters summed, for the status, the progress lines and the summary. */
export function streamTotals(venues: readonly VenueStreamStats[], updates: number) {
  const t = {
    updates,
    connections: 0,
    connections_open: 0,
    reconnects: 0,
    resyncs: 0,
    gaps: 0,
    malformed: 0,
    rest_fallbacks: 0,
    rest_polling: 0,
  };
  for (const v of venues) {
    t.connections += v.connections;
    t.connections_open += v.open;
    t.reconnects += v.reconnects;
    t.resyncs += v.resyncs;
    t.gaps += v.gaps;
    t.malformed += v.malformed;
    t.rest_fallbacks += v.fallbacks;
    t.rest_polling += v.polling;
  }
  return t;
}

function age(ms: number | undefined): string {
  if (ms === undefined) return '—';
  return formatDuration(Math.max(0, Math.round((performance.now() - ms) / 100) * 100));
}

function renderStatus(source: StatusSource, columns: number, maxRows: number): string[] {
  const t = totals(source);
  const limits = Object.entries(source.limits())
    .map(([venue, rate]) => `${venue} ≤${rate.toFixed(1)}/s`)
    .join(' ');
  const traffic =
    'connections' in t
      ? [
          `updates ${t.updates}`,
          `streams ${t.connections_open}/${t.connections} open`,
          `reconnects ${t.reconnects}`,
          `resyncs ${t.resyncs}`,
          `gaps ${t.gaps}`,
          t.rest_polling ? `REST FALLBACK ${t.rest_polling}` : '',
        ]
      : [`${t.requests_per_sec} req/s (${limits})`, `429s ${t.rate_limited}`, `retries ${t.retries}`];
  const head = [
    `elapsed ${formatDuration(Math.round(t.elapsed_ms / 1000) * 1000)}`,
    ...traffic,
    `stored ${t.stored}`,
    `queue ${t.queued}${t.redis_down ? ' REDIS DOWN' : ''}`,
    t.dropped > 0 ? `DROPPED ${t.dropped}` : '',
  ]
    .filter(Boolean)
    .join(' · ');
  const rows = [...source.stats.products.values()];
  const shown = rows.slice(0, maxRows);
  const lines = [head.slice(0, columns)];
  const nameWidth = Math.max(7, ...shown.map((p) => p.name.length));
  lines.push(
    `${'PRODUCT'.padEnd(nameWidth)}  ${(source.venues ? 'UPDATES' : 'FETCHED').padStart(7)}  ${'BID'.padStart(14)}  ${'ASK'.padStart(14)}  ${'AGE'.padStart(6)}  ERRORS`.slice(
      0,
      columns,
    ),
  );
  for (const p of shown) {
    const bid = p.last?.bids[0]?.[0] ?? '—';
    const ask = p.last?.asks[0]?.[0] ?? '—';
    const err = p.errors > 0 ? `${p.errors} (${p.lastError?.kind ?? ''})` : '0';
    lines.push(
      `${p.name.padEnd(nameWidth)}  ${String(p.fetched).padStart(7)}  ${bid.padStart(14)}  ${ask.padStart(14)}  ${age(p.lastSuccessAt).padStart(6)}  ${err}`.slice(
        0,
        columns,
      ),
    );
  }
  if (rows.length > shown.length) lines.push(`… and ${rows.length - shown.length} more products`);
  return lines;
}
