/**
 * A client-side token bucket, one per exchange host, shared by every request to it.
 *
 * It runs below the venue's documented bucket (rate and burst times the safety margin): a client
 * bucket with a smaller capacity and a slower refill than the server's can never drain the server's,
 * whatever the timing, and the margin absorbs network jitter that bunches requests on arrival.
 *
 * Waiters are served first in, first out, so requests leave evenly spaced once the burst is spent.
 * A 429 makes it adaptive: the bucket is emptied, paused for the venue's Retry-After, and its rate
 * halved; the rate then climbs back to full over `recoveryMs` without further 429s, so one product's
 * 429 does not turn into a burst of 429s for the others.
 */

export interface RateLimitSpec {
  /** Units (requests, or request weight) the venue allows per second. */
  ratePerSec: number;
  /** Units the venue lets through at once on top of the rate. */
  burst: number;
}

export interface RateLimiterOptions {
  /** Fraction of the documented limit to use (0 < margin ≤ 1). */
  safetyMargin: number;
  /** Time for the rate to return to full after a 429, in ms. */
  recoveryMs?: number;
  /** Pause after a 429 that carried no Retry-After, in ms. */
  defaultPenaltyMs?: number;
  /** Lowest fraction of the rate a run of 429s can push it to. */
  minRateFactor?: number;
  now?: () => number;
}

interface Waiter {
  cost: number;
  resolve: () => void;
  reject: (err: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

export class RateLimiter {
  readonly ratePerSec: number;
  readonly burst: number;
  private tokens: number;
  private last: number;
  private pausedUntil = 0;
  private rateFactor = 1;
  private lastPenaltyAt = Number.NEGATIVE_INFINITY;
  private readonly queue: Waiter[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly recoveryMs: number;
  private readonly defaultPenaltyMs: number;
  private readonly minRateFactor: number;
  private readonly now: () => number;
  /** Count of 429 penalties taken, for the run summary. */
  penalties = 0;

  constructor(spec: RateLimitSpec, options: RateLimiterOptions) {
    if (!(options.safetyMargin > 0 && options.safetyMargin <= 1)) {
      throw new RangeError(`safetyMargin must be in (0, 1], got ${options.safetyMargin}`);
    }
    this.ratePerSec = spec.ratePerSec * options.safetyMargin;
    this.burst = Math.max(1, Math.floor(spec.burst * options.safetyMargin));
    this.recoveryMs = options.recoveryMs ?? 20_000;
    this.defaultPenaltyMs = options.defaultPenaltyMs ?? 1_000;
    this.minRateFactor = options.minRateFactor ?? 0.25;
    this.now = options.now ?? (() => performance.now());
    this.tokens = this.burst;
    this.last = this.now();
  }

  /** Current rate in units per second, after any 429 slow-down. */
  get effectiveRatePerSec(): number {
    this.refill();
    return this.ratePerSec * this.rateFactor;
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Resolves when `cost` units may be spent. Rejects if `signal` aborts while waiting. */
  acquire(cost = 1, signal?: AbortSignal): Promise<void> {
    if (cost > this.burst) cost = this.burst; // a request dearer than the bucket still goes, alone
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { cost, resolve, reject, signal, onAbort: undefined };
      if (signal) {
        waiter.onAbort = () => {
          const i = this.queue.indexOf(waiter);
          if (i !== -1) this.queue.splice(i, 1);
          reject(signal.reason);
          this.schedule();
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.queue.push(waiter);
      this.pump();
    });
  }

  /** The venue said 429: empty the bucket, pause, and slow down for a while. */
  penalize(retryAfterMs?: number): void {
    const now = this.now();
    this.refill();
    this.penalties += 1;
    this.tokens = 0;
    this.pausedUntil = Math.max(this.pausedUntil, now + (retryAfterMs ?? this.defaultPenaltyMs));
    this.rateFactor = Math.max(this.minRateFactor, this.rateFactor / 2);
    this.lastPenaltyAt = now;
    this.schedule();
  }

  /**
   * Holds every request back for `ms` without the 429 slow-down: the venue's own usage header
   * (Binance X-MBX-USED-WEIGHT-1M) says its window is nearly spent, so wait for the next one.
   */
  hold(ms: number): void {
    if (!(ms > 0)) return;
    this.refill();
    this.tokens = 0;
    this.pausedUntil = Math.max(this.pausedUntil, this.now() + ms);
    this.schedule();
  }

  /** Stops the timer and rejects every waiter (shutdown). */
  close(reason: unknown = new Error('rate limiter closed')): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const w of this.queue.splice(0)) {
      if (w.signal && w.onAbort) w.signal.removeEventListener('abort', w.onAbort);
      w.reject(reason);
    }
  }

  private refill(): void {
    const now = this.now();
    const elapsed = now - this.last;
    this.last = now;
    if (elapsed <= 0) return;
    if (this.rateFactor < 1 && now - this.lastPenaltyAt > 0) {
      const step = (elapsed / this.recoveryMs) * (1 - this.minRateFactor);
      this.rateFactor = Math.min(1, this.rateFactor + step);
    }
    if (now < this.pausedUntil) return;
    const from = Math.max(this.last - elapsed, this.pausedUntil);
    this.tokens = Math.min(
      this.burst,
      this.tokens + ((now - from) / 1000) * this.ratePerSec * this.rateFactor,
    );
  }

  private pump(): void {
    this.refill();
    const now = this.now();
    while (this.queue.length > 0 && now >= this.pausedUntil) {
      const head = this.queue[0];
      if (!head || head.cost > this.tokens) break;
      this.tokens -= head.cost;
      this.queue.shift();
      if (head.signal && head.onAbort) head.signal.removeEventListener('abort', head.onAbort);
      head.resolve();
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const head = this.queue[0];
    if (!head) return;
    const now = this.now();
    const rate = this.ratePerSec * this.rateFactor;
    const waitTokens = Math.max(0, ((head.cost - this.tokens) / rate) * 1000);
    const waitPause = Math.max(0, this.pausedUntil - now);
    const delay = Math.max(waitPause + (waitPause > 0 ? (head.cost / rate) * 1000 : 0), waitTokens, 1);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pump();
    }, Math.ceil(delay));
  }
}
