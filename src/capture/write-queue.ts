/**
 * The capture's own bounded buffer between fetching and Redis.
 *
 * ioredis' offline queue gives up after a few seconds and holds commands, not data; this queue
 * holds snapshots for as long as its bound allows and writes them in order when Redis answers
 * again, so a Redis restart or failover loses nothing. Past the bound the OLDEST snapshots are
 * dropped and counted (a long outage keeps the most recent tape), and every drop is reported.
 *
 * With a spool (`--spool-dir`, src/spool/) the backlog lives there instead: every snapshot is on
 * disk before it is written, batches are taken from the spool and acknowledged to it once Redis
 * confirmed them, and the bound is the spool's size on disk.
 */
import type { L1Snapshot } from '../snapshot.js';
import type { RedisStore, WriteResult } from '../store/redis-store.js';

export interface WriteQueueOptions {
  /** Most snapshots held while Redis is unreachable (plus the one batch being written). Default 100,000. */
  maxQueued: number;
  /** Snapshots per store.write call. Default 500. */
  batchSize: number;
  /** Backoff between failed writes: starts here, doubles, capped at maxRetryMs. */
  minRetryMs: number;
  maxRetryMs: number;
  /** A disk spool to hold the backlog instead of memory (`--spool-dir`). */
  spool?: QueueSpool | undefined;
}

export const DEFAULT_WRITE_QUEUE: WriteQueueOptions = {
  maxQueued: 100_000,
  batchSize: 500,
  minRetryMs: 100,
  maxRetryMs: 2_000,
};

export interface WriteQueueEvents {
  onStored?(snapshots: readonly L1Snapshot[], result: WriteResult): void;
  /** Redis stopped taking writes (first failure after a success). */
  onDown?(error: Error, queued: number): void;
  /** Redis takes writes again; `downMs` is how long it was out, `queued` what waited for it. */
  onUp?(downMs: number, queued: number): void;
  /** `cause` says which bound was hit (the memory queue's when absent). */
  onDropped?(count: number, totalDropped: number, cause?: string): void;
  /** The spool can no longer write (disk full, directory gone): the capture should stop. */
  onSpoolFailed?(error: Error): void;
}

/** What the queue needs of a spool (src/spool/spool.ts). */
export interface QueueSpool {
  /** Snapshots not yet confirmed by Redis, the batch being written included. */
  readonly depth: number;
  /** Of those, the ones safe on disk. */
  readonly onDisk: number;
  /** Why the latest snapshots counted as lost were lost (read right after a count). */
  readonly dropCause: string;
  /** Returns how many of the oldest were dropped to stay within the spool's bound. */
  append(snapshot: L1Snapshot): number;
  /** The next batch, oldest first. */
  take(max: number): L1Snapshot[];
  /** That batch is in Redis (ok) or not; returns how many snapshots were lost (dropped meanwhile). */
  settle(ok: boolean): number;
  setFailureHandler(handler: (error: Error) => void): void;
}

export class WriteQueue {
  private readonly spool: QueueSpool | undefined;
  private buffer: L1Snapshot[] = [];
  private head = 0;
  /** The batch being written; out of the buffer so drops never touch it, put back if it fails. */
  private inFlight: L1Snapshot[] = [];
  private running: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private closed = false;
  private downSince: number | undefined;
  private retryMs: number;
  dropped = 0;
  stored = 0;
  duplicates = 0;
  pruned = 0;
  writeErrors = 0;

  constructor(
    private readonly store: RedisStore,
    private readonly options: WriteQueueOptions = DEFAULT_WRITE_QUEUE,
    private readonly events: WriteQueueEvents = {},
  ) {
    this.retryMs = options.minRetryMs;
    this.spool = options.spool;
    const spool = this.spool;
    if (spool) {
      spool.setFailureHandler((error) => this.events.onSpoolFailed?.(error));
      // What an earlier run left is written first.
      if (spool.depth > 0) this.start();
    }
  }

  /** Snapshots not yet in Redis (queued plus the batch being written). */
  get depth(): number {
    if (this.spool) return this.spool.depth;
    return this.buffer.length - this.head + this.inFlight.length;
  }

  /** Snapshots not yet in Redis that a spool keeps on disk for the next start (0 without one). */
  get spooled(): number {
    return this.spool?.onDisk ?? 0;
  }

  get redisDown(): boolean {
    return this.downSince !== undefined;
  }

  push(snapshot: L1Snapshot): void {
    if (this.spool) this.countDropped(this.spool.append(snapshot), this.spool.dropCause);
    else {
      this.buffer.push(snapshot);
      this.enforceBound();
    }
    this.start();
    this.wake?.();
  }

  /** Drops the oldest queued snapshots past the bound (never the batch being written). */
  private enforceBound(): void {
    // The batch in flight may still land, so it is not counted here; if it fails it comes back
    // to the head and is then the first to go.
    const over = this.buffer.length - this.head - this.options.maxQueued;
    if (over > 0) {
      this.head += over;
      this.countDropped(over);
    }
    this.compact();
  }

  private countDropped(count: number, cause?: string): void {
    if (count <= 0) return;
    this.dropped += count;
    this.events.onDropped?.(count, this.dropped, cause);
  }

  /** Starts the background writer (idempotent). */
  start(): void {
    this.running ??= this.loop();
  }

  /**
   * Writes what is queued, until empty or the deadline; resolves with how many snapshots were
   * still unwritten (lost) when it gave up.
   */
  async drain(deadlineMs: number): Promise<number> {
    this.closed = true;
    this.start();
    this.wake?.();
    const timeout = new Promise<'timeout'>((resolve) => {
      const t = setTimeout(() => resolve('timeout'), deadlineMs);
      t.unref();
    });
    await Promise.race([this.running, timeout]);
    this.closed = true;
    return this.depth;
  }

  private async loop(): Promise<void> {
    for (;;) {
      if (this.depth === 0) {
        if (this.closed) return;
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        this.wake = undefined;
        continue;
      }
      const batch = this.spool
        ? this.spool.take(this.options.batchSize)
        : this.buffer.slice(this.head, this.head + this.options.batchSize);
      if (!this.spool) this.head += batch.length;
      this.inFlight = batch;
      try {
        const result = await this.store.write(batch);
        if (this.spool) this.countDropped(this.spool.settle(true), this.spool.dropCause);
        this.inFlight = [];
        this.compact();
        this.stored += result.written;
        this.duplicates += result.duplicates;
        this.pruned += result.pruned;
        if (this.downSince !== undefined) {
          this.events.onUp?.(performance.now() - this.downSince, this.depth + batch.length);
          this.downSince = undefined;
        }
        this.retryMs = this.options.minRetryMs;
        this.events.onStored?.(batch, result);
      } catch (err) {
        // Back at the head, in order; a retried write of the part that did land is idempotent.
        if (this.spool) this.countDropped(this.spool.settle(false), this.spool.dropCause);
        else {
          this.buffer = batch.concat(this.buffer.slice(this.head));
          this.head = 0;
          this.enforceBound();
        }
        this.inFlight = [];
        this.writeErrors += 1;
        if (this.downSince === undefined) {
          this.downSince = performance.now();
          this.events.onDown?.(err instanceof Error ? err : new Error(String(err)), this.depth);
        }
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, this.retryMs);
          // During shutdown the deadline, not this timer, decides how long we keep trying.
          if (this.closed) t.unref();
        });
        this.retryMs = Math.min(this.options.maxRetryMs, this.retryMs * 2);
      }
    }
  }

  private compact(): void {
    // Drop the consumed prefix now and then, so a long run does not keep every snapshot alive.
    if (this.head > 4096 && this.head * 2 > this.buffer.length) {
      this.buffer = this.buffer.slice(this.head);
      this.head = 0;
    }
  }
}
