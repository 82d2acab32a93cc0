/**
 * One WebSocket to a venue, kept alive for as long as the capture runs: written once for every
 * venue. It connects through the venue's connection limiter, subscribes (paced below the venue's
 * message limit), sends the venue's keepalive, answers the server's pings (ws does), reconnects a
 * socket silent past the venue's timeout, rotates before a forced cut-off, and reconnects after
 * any close with capped exponential backoff and full jitter. Each socket gets a fresh decoder, so
 * no book state is spliced across a reconnect: the venue's new snapshot starts it again.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { errorMessage } from '../errors.js';
import { backoffDelay, type RetryPolicy } from '../exchanges/fetch-runner.js';
import { RateLimiter } from '../exchanges/rate-limiter.js';
import { nowMicros } from '../timestamp.js';
import type { StreamAdapter, StreamDecoder, StreamEvent, StreamProduct } from './stream-adapter.js';

/** Reconnect delays: full jitter up to base·2^(failures-1), capped (the REST retries' formula). */
export type ReconnectBackoff = Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>;

export interface FeedConnectionOptions {
  adapter: StreamAdapter;
  baseUrl: string;
  products: readonly StreamProduct[];
  /** The venue's connection-attempt limiter, shared by all its connections. */
  connectLimiter: RateLimiter;
  silenceTimeoutMs: number;
  backoff: ReconnectBackoff;
  handshakeTimeoutMs: number;
  /** For messages: `binance#2`. */
  label: string;
}

export interface DownInfo {
  reason: string;
  /** Whether the socket had opened (false: the connection attempt itself failed). */
  opened: boolean;
  /** Consecutive attempts that failed or died before delivering any data. */
  failures: number;
  retryInMs: number;
}

export interface FeedHandler {
  /** The socket opened and its subscriptions are on their way. */
  onOpen(conn: FeedConnection): void;
  /** What one message said; `receivedAt` is its receipt time in epoch microseconds. */
  onEvents(conn: FeedConnection, events: readonly StreamEvent[], receivedAt: number): void;
  onDown(conn: FeedConnection, info: DownInfo): void;
}

interface SessionEnd {
  reason: string;
  opened: boolean;
  delivered: boolean;
  /** Reconnect at once (rotation, or the venue announced the close). */
  immediate: boolean;
}

export class FeedConnection {
  readonly products: readonly StreamProduct[];
  readonly label: string;
  private socket: WebSocket | undefined;
  private decoder: StreamDecoder | undefined;
  private readonly outgoing: RateLimiter;
  private sendChain: Promise<void> = Promise.resolve();
  private readonly byId: Map<string, StreamProduct>;
  /** Sockets opened, for the summary (the first is not a reconnect). */
  opens = 0;
  /** performance.now() of the last frame, ping or pong on the open socket; undefined while closed. */
  lastHeardAt: number | undefined;
  /** Products the venue refused (unknown symbol): never subscribed again on this connection. */
  private readonly refused = new Set<string>();
  /** Products the venue confirmed (or sent data for) since the socket opened. */
  private confirmed = new Set<string>();

  constructor(
    private readonly o: FeedConnectionOptions,
    private readonly handler: FeedHandler,
  ) {
    this.products = o.products;
    this.label = o.label;
    this.outgoing = new RateLimiter(o.adapter.limits.outgoing, { safetyMargin: 0.9 });
    this.byId = new Map(o.products.map((p) => [p.productId, p]));
  }

  get open(): boolean {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  /** Runs until `signal` aborts: connect, read, and reconnect after every close. */
  async run(signal: AbortSignal): Promise<void> {
    let failures = 0;
    try {
      while (!signal.aborted) {
        try {
          await this.o.connectLimiter.acquire(1, signal);
        } catch {
          return;
        }
        const end = await this.session(signal);
        if (signal.aborted) return;
        failures = end.delivered ? 0 : failures + 1;
        const retryInMs = end.immediate ? 0 : this.backoffMs(failures);
        this.handler.onDown(this, { reason: end.reason, opened: end.opened, failures, retryInMs });
        if (retryInMs > 0) {
          try {
            await sleep(retryInMs, undefined, { signal });
          } catch {
            return;
          }
        }
      }
    } finally {
      this.outgoing.close();
    }
  }

  /**
   * Drops one product's state and asks the venue for a fresh snapshot of it (resynchronisation);
   * the other products on the connection carry on.
   */
  resync(productId: string): void {
    const product = this.byId.get(productId);
    if (!product || !this.decoder) return;
    this.decoder.reset(productId);
    this.send(this.o.adapter.resubscribeMessages(product));
  }

  /** The venue's symbol of one of the connection's products. */
  nativeOf(productId: string): string {
    return this.byId.get(productId)?.native ?? productId;
  }

  /** The products still wanted: all but the refused ones. */
  get wanted(): StreamProduct[] {
    return this.products.filter((p) => !this.refused.has(p.productId));
  }

  confirm(productId: string): void {
    this.confirmed.add(productId);
  }

  /** The venue refused these products: they are not subscribed again. */
  refuse(productIds: readonly string[]): void {
    for (const id of productIds) this.refused.add(id);
  }

  /**
   * Subscribes again every wanted product the venue has not confirmed yet: where one bad symbol
   * makes a venue ignore a whole subscribe message (Coinbase), the good ones go in again alone.
   */
  resubscribePending(): void {
    const pending = this.wanted.filter((p) => !this.confirmed.has(p.productId));
    if (pending.length > 0) this.send(this.o.adapter.subscribeMessages(pending));
  }

  /** Sends messages in order, paced below the venue's per-connection message limit. */
  send(messages: readonly string[]): void {
    const socket = this.socket;
    if (!socket) return;
    for (const message of messages) {
      this.sendChain = this.sendChain.then(async () => {
        try {
          await this.outgoing.acquire(1);
        } catch {
          return; // closed
        }
        if (this.socket === socket && socket.readyState === WebSocket.OPEN) socket.send(message);
      });
    }
  }

  private backoffMs(failures: number): number {
    // After a healthy connection (no failures yet) within base; then doubling, capped.
    return backoffDelay(Math.max(0, failures - 1), this.o.backoff);
  }

  private session(signal: AbortSignal): Promise<SessionEnd> {
    const { adapter } = this.o;
    const url = adapter.connectionUrl(this.o.baseUrl, this.wanted);
    return new Promise<SessionEnd>((resolve) => {
      const socket = new WebSocket(url, {
        handshakeTimeout: this.o.handshakeTimeoutMs,
        perMessageDeflate: false,
        // A full-depth Coinbase snapshot is about 1 MB; leave ample room.
        maxPayload: 256 * 1024 * 1024,
      });
      this.socket = socket;
      let opened = false;
      let delivered = false;
      let reason = 'closed';
      let immediate = false;
      const heard = () => {
        this.lastHeardAt = performance.now();
      };
      const timers: NodeJS.Timeout[] = [];
      const end = (why: string, now = false) => {
        reason = why;
        immediate = now;
        socket.terminate();
      };
      const onAbort = () => {
        reason = 'shutdown';
        if (socket.readyState === WebSocket.OPEN) {
          socket.close(1000, 'shutdown');
          timers.push(setTimeout(() => socket.terminate(), 1000));
        } else socket.terminate();
      };
      signal.addEventListener('abort', onAbort, { once: true });

      socket.on('open', () => {
        opened = true;
        this.opens += 1;
        heard();
        this.decoder = adapter.createDecoder(this.o.products);
        this.confirmed = new Set();
        this.send(adapter.subscribeMessages(this.wanted));
        const keepalive = adapter.keepalive;
        // Often enough that the answers alone keep a quiet connection from looking silent.
        const pingEvery = keepalive && Math.min(keepalive.everyMs, this.o.silenceTimeoutMs / 3);
        if (keepalive && pingEvery) timers.push(setInterval(() => this.send([keepalive.message]), pingEvery));
        const every = Math.max(100, Math.min(1000, this.o.silenceTimeoutMs / 4));
        timers.push(
          setInterval(() => {
            const silent = performance.now() - (this.lastHeardAt ?? 0);
            if (silent > this.o.silenceTimeoutMs)
              end(
                `no message for ${(silent / 1000).toFixed(1)} s (feed timeout ${this.o.silenceTimeoutMs / 1000} s)`,
              );
          }, every),
        );
        const maxAge = adapter.limits.maxConnectionAgeMs;
        if (maxAge !== undefined) {
          // A little jitter so that many connections do not rotate in the same second.
          const at = maxAge * (0.97 + Math.random() * 0.02);
          timers.push(setTimeout(() => end('rotation before the venue cuts the connection', true), at));
        }
        this.handler.onOpen(this);
      });
      socket.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
        heard();
        const receivedAt = nowMicros();
        const decoder = this.decoder;
        if (!decoder) return;
        delivered = true;
        const text = isBinary ? '' : rawText(data);
        const events: StreamEvent[] = [];
        try {
          if (isBinary) events.push({ type: 'malformed', detail: 'a binary frame' });
          else decoder.decode(text, events);
        } catch (err) {
          events.push({ type: 'malformed', detail: errorMessage(err) });
        }
        this.handler.onEvents(this, events, receivedAt);
        for (const e of events)
          if (e.type === 'closing') end(`the venue announced a close: ${e.reason}`, true);
      });
      socket.on('ping', heard);
      socket.on('pong', heard);
      socket.on('unexpected-response', (_req, res) => {
        reason = `the server refused the WebSocket upgrade with HTTP ${res.statusCode}${res.statusCode === 451 || res.statusCode === 403 ? ' (blocked from this location or IP?)' : ''}`;
        res.resume();
        socket.terminate();
      });
      socket.on('error', (err: Error) => {
        if (reason === 'closed') reason = describeSocketError(err);
      });
      socket.on('close', (code: number) => {
        for (const t of timers) {
          clearTimeout(t);
          clearInterval(t);
        }
        signal.removeEventListener('abort', onAbort);
        if (this.socket === socket) {
          this.socket = undefined;
          this.decoder = undefined;
          this.lastHeardAt = undefined;
        }
        if (reason === 'closed' && code !== 1006) reason = `closed by the venue (code ${code})`;
        else if (reason === 'closed') reason = 'connection lost';
        resolve({ reason, opened, delivered, immediate });
      });
    });
  }
}

function rawText(data: WebSocket.RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

function describeSocketError(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    const host = (err as NodeJS.ErrnoException & { hostname?: string }).hostname;
    return `cannot resolve ${host ?? 'the host'} (${code}): a typo in --ws-url, or no DNS/network here`;
  }
  if (code === 'ECONNRESET') return 'connection reset';
  if (code === 'ETIMEDOUT' || /handshake/i.test(err.message)) return 'connection timed out';
  return err.message;
}
