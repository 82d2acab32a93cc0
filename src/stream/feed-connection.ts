/**
 * One WebSocket to a venue, kept alive for as long as the capture runs: written once for every
 * venue. It connects through the venue's connection limiter, subscribes (paced below the venue's
 * message limit), sends the venue's keepalive, answers the server's pings (ws does), reconnects a
 * socket silent past the venue's timeout, and reconnects after any close with capped exponential
 * backoff and full jitter. Each socket gets a fresh decoder, so no book state is spliced across a
 * reconnect: the venue's new snapshot starts it again.
 *
 * Before a forced cut-off (Binance's 24 h) or when the venue announces a close, the connection is
 * handed over make-before-break: a successor socket opens while the old one still delivers, and
 * the old one closes once the successor has delivered (or after HANDOVER_GRACE_MS). While both are
 * open every change comes twice; a quote whose sequence is not above the highest already passed
 * for its product is dropped, so the overlap stores each change once and never an older top.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { errorMessage } from '../errors.js';
import { backoffDelay, type RetryPolicy } from '../exchanges/fetch-runner.js';
import { RateLimiter } from '../exchanges/rate-limiter.js';
import { nowMicros } from '../timestamp.js';
import type { StreamAdapter, StreamDecoder, StreamEvent, StreamProduct } from './stream-adapter.js';

/** How long an open successor may stay silent before the old socket is closed anyway (quiet products). */
const HANDOVER_GRACE_MS = 5000;
/** A successor that failed to open is tried again after this, while the old socket lives. */
const HANDOVER_RETRY_MS = 5000;

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
  /**
   * The socket opened and its subscriptions are on their way. `handover` (why it was opened): it
   * succeeds a socket that is still open (make-before-break), so nothing was missed in between.
   */
  onOpen(conn: FeedConnection, handover: string | undefined): void;
  /** What one message said; `receivedAt` is its receipt time in epoch microseconds. */
  onEvents(conn: FeedConnection, events: readonly StreamEvent[], receivedAt: number): void;
  onDown(conn: FeedConnection, info: DownInfo): void;
  /** A successor failed before taking over; the old socket goes on, and it is tried again. */
  onHandoverFailed(conn: FeedConnection, reason: string, retryInMs: number): void;
}

/** What a successor socket knows of the handover it is part of. */
interface Handover {
  why: string;
  /** Closes the predecessor: called once, when the successor is ready. */
  takeOver(): void;
}

interface SessionEnd {
  reason: string;
  opened: boolean;
  delivered: boolean;
  /** Reconnect at once. */
  immediate: boolean;
  /** A successor was started before this socket closed: go on with it instead of reconnecting. */
  successor?: Promise<SessionEnd>;
  /** The successor was open when this socket closed: the close is no outage, nothing to report. */
  handedOver?: boolean;
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
  /** Open sockets of this connection: two during a handover. */
  private live = 0;
  /** Set while a handover runs: the highest sequence passed per product, to drop the second copy. */
  private overlap: Map<string, string> | undefined;

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
    let next: Promise<SessionEnd> | undefined;
    try {
      while (!signal.aborted) {
        if (!next) {
          try {
            await this.o.connectLimiter.acquire(1, signal);
          } catch {
            return;
          }
          next = this.session(signal);
        }
        const end = await next;
        next = end.successor;
        if (signal.aborted) return;
        if (end.successor) {
          // Closed while its successor connects (or after it took over): go on with the successor.
          if (!end.handedOver)
            this.handler.onDown(this, { reason: end.reason, opened: end.opened, failures: 0, retryInMs: 0 });
          failures = 0;
          continue;
        }
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

  /** The successor of a socket being handed over: paced like any connection attempt. */
  private async successorSession(signal: AbortSignal, handover: Handover): Promise<SessionEnd> {
    try {
      await this.o.connectLimiter.acquire(1, signal);
    } catch {
      return { reason: 'shutdown', opened: false, delivered: false, immediate: false };
    }
    return this.session(signal, handover);
  }

  /**
   * One socket, from connecting to its close. `handover` makes it a successor: its takeOver is
   * called once the socket has delivered (or stayed open HANDOVER_GRACE_MS), to close the old one.
   */
  private session(signal: AbortSignal, handover?: Handover): Promise<SessionEnd> {
    const { adapter } = this.o;
    const url = adapter.connectionUrl(this.o.baseUrl, this.wanted);
    return new Promise<SessionEnd>((resolve) => {
      const socket = new WebSocket(url, {
        handshakeTimeout: this.o.handshakeTimeoutMs,
        perMessageDeflate: false,
        // A full-depth Coinbase snapshot is about 1 MB; leave ample room.
        maxPayload: 256 * 1024 * 1024,
      });
      // A successor becomes the one to send on when it opens; until then its predecessor is.
      if (!handover) this.socket = socket;
      let decoder: StreamDecoder | undefined;
      let opened = false;
      let delivered = false;
      let reason = 'closed';
      let immediate = false;
      let successor: Promise<SessionEnd> | undefined;
      // The successor took over: this socket was closed for it.
      let replaced = false;
      const heard = () => {
        this.lastHeardAt = performance.now();
      };
      const timers: NodeJS.Timeout[] = [];
      const end = (why: string, now = false) => {
        reason = why;
        immediate = now;
        socket.terminate();
      };
      // As a successor: the predecessor was told to close.
      let tookOver = false;
      const takeOverOnce = () => {
        if (tookOver || !handover) return;
        tookOver = true;
        handover.takeOver();
      };
      // Make-before-break: open a successor; this socket closes when the successor took over.
      const handOver = (why: string) => {
        if (successor || signal.aborted || socket.readyState !== WebSocket.OPEN) return;
        this.overlap = new Map();
        successor = this.successorSession(signal, {
          why,
          takeOver: () => {
            replaced = true;
            end(`handed over to a fresh connection (${why})`, true);
          },
        });
        void successor.then((failed) => {
          // The successor closed before taking over: keep this socket, and try again later.
          if (replaced || socket.readyState !== WebSocket.OPEN) return;
          successor = undefined;
          this.overlap = undefined;
          this.handler.onHandoverFailed(this, failed.reason, HANDOVER_RETRY_MS);
          timers.push(setTimeout(() => handOver(why), HANDOVER_RETRY_MS));
        });
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
        this.live += 1;
        heard();
        decoder = adapter.createDecoder(this.o.products);
        this.socket = socket;
        this.decoder = decoder;
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
          timers.push(setTimeout(() => handOver('before the venue cuts the connection'), at));
        }
        if (handover) timers.push(setTimeout(takeOverOnce, HANDOVER_GRACE_MS));
        // A successor whose predecessor still lives is a handover; one whose predecessor is gone, a reconnect.
        this.handler.onOpen(this, handover && this.live > 1 ? handover.why : undefined);
      });
      socket.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
        heard();
        const receivedAt = nowMicros();
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
        this.handler.onEvents(
          this,
          this.overlap ? this.firstCopies(this.overlap, events) : events,
          receivedAt,
        );
        for (const e of events)
          if (e.type === 'closing') handOver(`the venue announced a close: ${e.reason}`);
        takeOverOnce();
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
        if (opened) this.live -= 1;
        if (this.socket === socket) {
          this.socket = undefined;
          this.decoder = undefined;
          this.lastHeardAt = undefined;
        }
        // The old socket of a handover is gone: one socket again, nothing arrives twice.
        if (successor) this.overlap = undefined;
        if (reason === 'closed' && code !== 1006) reason = `closed by the venue (code ${code})`;
        else if (reason === 'closed') reason = 'connection lost';
        const handedOver = successor !== undefined && (replaced || this.live > 0);
        resolve({ reason, opened, delivered, immediate, ...(successor ? { successor, handedOver } : {}) });
      });
    });
  }

  /**
   * During a handover: the quotes not seen yet. A quote whose sequence is not above the highest
   * one passed for its product is the other socket's copy, or older than what was stored.
   */
  private firstCopies(highest: Map<string, string>, events: StreamEvent[]): StreamEvent[] {
    return events.filter((e) => {
      if (e.type !== 'quote' || e.quote.sequence === '') return true;
      const seen = highest.get(e.quote.productId);
      if (seen !== undefined && !isAbove(e.quote.sequence, seen)) return false;
      highest.set(e.quote.productId, e.quote.sequence);
      return true;
    });
  }
}

/** Compares two decimal integers written without leading zeros, exactly (ids pass 2^53). */
function isAbove(a: string, b: string): boolean {
  return a.length !== b.length ? a.length > b.length : a > b;
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
