/**
 * A fake Coinbase Exchange on a loopback HTTP server, speaking the documented wire format of
 * GET /products/{id}/book?level=1, with faults to inject per product. It enforces Coinbase's
 * public limit (token bucket, 10 req/s, burst 15) and answers 429 past it, and it records every
 * request and every sequence it served, so tests compare what was served with what was stored.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoopbackServer } from './loopback-server.js';

export type Fault =
  | { kind: '404' }
  | { kind: '429'; retryAfter?: string; times?: number }
  | { kind: '500'; times?: number }
  | { kind: 'slow'; delayMs: number; times?: number }
  | { kind: 'malformed'; body?: string; times?: number }
  | { kind: 'reset'; times?: number }
  | { kind: 'empty-book' }
  | { kind: 'no-time' };

export interface ProductBook {
  bid: [string, string];
  ask: [string, string];
  /** Starting sequence; incremented on every served snapshot unless `frozen`. */
  sequence: bigint;
  frozen?: boolean;
}

export interface ServedSnapshot {
  productId: string;
  sequence: string;
  time: string;
}

export interface FakeCoinbaseOptions {
  /** Enforce Coinbase's public limit (10 req/s, burst 15) with 429s. Default true. */
  enforceLimit?: boolean;
  ratePerSec?: number;
  burst?: number;
}

export class FakeCoinbase extends LoopbackServer {
  readonly books = new Map<string, ProductBook>();
  readonly faults = new Map<string, Fault>();
  /** Every request: arrival time (ms, monotonic) and product. */
  readonly requests: { at: number; productId: string; status: number; userAgent: string | undefined }[] = [];
  readonly served: ServedSnapshot[] = [];
  /** 429s answered because the client went over the limit (not injected ones). */
  limitViolations = 0;
  private readonly faultCounts = new Map<string, number>();
  private tokens: number;
  private last = performance.now();
  private readonly enforceLimit: boolean;
  private readonly ratePerSec: number;
  private readonly burst: number;

  constructor(options: FakeCoinbaseOptions = {}) {
    super();
    this.enforceLimit = options.enforceLimit ?? true;
    this.ratePerSec = options.ratePerSec ?? 10;
    this.burst = options.burst ?? 15;
    this.tokens = this.burst;
  }

  /** Adds products with a plausible book; BTC-USD starts near 97000. */
  addProducts(ids: readonly string[]): this {
    ids.forEach((id, i) => {
      const price = 100 + i * 10;
      this.books.set(id, {
        bid: [`${price}.01`, '1.50000000'],
        ask: [`${price}.05`, '0.25000000'],
        sequence: 9_007_199_254_740_990n + BigInt(i * 1000), // past 2^53 on purpose
      });
    });
    return this;
  }

  setFault(productId: string, fault: Fault | undefined): this {
    if (fault) this.faults.set(productId, fault);
    else this.faults.delete(productId);
    this.faultCounts.delete(productId);
    return this;
  }

  /** The most requests that arrived within any window of `windowMs`. */
  maxRequestsInWindow(windowMs: number): number {
    const times = this.requests.map((r) => r.at).sort((a, b) => a - b);
    let best = 0;
    let lo = 0;
    for (let hi = 0; hi < times.length; hi++) {
      while ((times[hi] ?? 0) - (times[lo] ?? 0) >= windowMs) lo++;
      best = Math.max(best, hi - lo + 1);
    }
    return best;
  }

  private takeToken(): boolean {
    const now = performance.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.ratePerSec);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Whether the product's fault still applies (faults with `times` wear off). */
  private activeFault(productId: string): Fault | undefined {
    const fault = this.faults.get(productId);
    if (!fault) return undefined;
    if ('times' in fault && fault.times !== undefined) {
      const used = this.faultCounts.get(productId) ?? 0;
      if (used >= fault.times) return undefined;
      this.faultCounts.set(productId, used + 1);
    }
    return fault;
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const match = /^\/products\/([^/]+)\/book$/.exec(url.pathname);
    const productId = match ? decodeURIComponent(match[1] ?? '') : '';
    const record = (status: number) =>
      this.requests.push({ at: performance.now(), productId, status, userAgent: req.headers['user-agent'] });
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      record(status);
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };

    if (!req.headers['user-agent']) return json(400, { message: 'User-Agent header is required.' });
    if (this.enforceLimit && !this.takeToken()) {
      this.limitViolations += 1;
      return json(429, { message: 'Too Many Requests' }, { 'retry-after': '1' });
    }
    if (!match || url.searchParams.get('level') !== '1') return json(404, { message: 'NotFound' });
    const book = this.books.get(productId);
    if (!book) return json(404, { message: 'NotFound' });

    const fault = this.activeFault(productId);
    switch (fault?.kind) {
      case '404':
        return json(404, { message: 'NotFound' });
      case '429':
        return json(
          429,
          { message: 'Too Many Requests' },
          fault.retryAfter ? { 'retry-after': fault.retryAfter } : {},
        );
      case '500':
        return json(500, { message: 'Internal Server Error' });
      case 'malformed':
        return json(200, fault.body ?? '{"sequence": 12, "bids": [["1.0", "2.0", 1]], "asks": [');
      case 'reset':
        record(0);
        req.socket.destroy();
        return;
      case 'slow':
        await new Promise((r) => setTimeout(r, fault.delayMs));
        break;
      default:
        break;
    }
    if (!book.frozen) book.sequence += 1n;
    const time = new Date().toISOString().replace('Z', '123Z'); // µs precision like the WS feed
    const sequence = book.sequence.toString();
    const bids = fault?.kind === 'empty-book' ? '[]' : `[["${book.bid[0]}","${book.bid[1]}",3]]`;
    const asks = fault?.kind === 'empty-book' ? '[]' : `[["${book.ask[0]}","${book.ask[1]}",1]]`;
    // Written by hand so the sequence keeps all its digits, as the real API's JSON does.
    const body =
      fault?.kind === 'no-time'
        ? `{"bids":${bids},"asks":${asks},"sequence":${sequence}}`
        : `{"bids":${bids},"asks":${asks},"sequence":${sequence},"auction_mode":false,"auction":null,"time":"${time}"}`;
    if (res.destroyed) return;
    this.served.push({ productId, sequence, time });
    json(200, body);
  }
}
