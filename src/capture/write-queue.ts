/**
 * The capture's own bounded buffer between fetching and Redis.
 *
 * ioredis' offline queue gives up after a few seconds and holds commands, not data; this queue
 * holds snapshots for as long as its bound allows and writes them in order when Redis answers
 * again, so a Redis restart or failover loses nothing. Past the bound the OLDEST snapshots are
 * dropped and counted (a long outage keeps the most recent tape), and every drop is reported.
 *
 * The backlog is memory (memory-backlog.ts), or with `--spool-dir` a spool (src/spool/): every
 * snapshot is on disk before it is written, batches are taken from the spool and acknowledged to it
 * once Redis confirmed them, and the bound is the spool's size on disk. The queue treats both alike.
 */
import type { L1Snapshot } from '../snapshot.js';
import type { RedisStore, WriteResult } from '../store/redis-store.js';
import { MemoryBacklog } from './memory-backlog.js';

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
  /** `cause` says which bound was hit ('write queue full', or the spool's). */
  onDropped?(count: number, totalDropped: number, cause: string): void;
  /** The spool can no longer write (disk full, directory gone): the capture should stop. */
  onSpoolFailed?(error: Error): void;
}

/** Where snapshots wait for Redis: memory (MemoryBacklog) or a spool (src/spool/spool.ts). */
export interface Backlog {
  /** Snapshots not yet confirmed by Redis, the batch being written included. */
  readonly depth: number;
  /** Of those, the ones safe on disk for the next start. */
  readonly onDisk: number;
  /** Why the latest snapshots counted as lost were lost (read right after a count). */
  readonly dropCause: string;
  /** Returns how many of the oldest were dropped to stay within the bound. */
  append(snapshot: L1Snapshot): number;
  /** The next batch, oldest first; settle() it before taking another. */
  take(max: number): L1Snapshot[];
  /** That batch is in Redis (ok) or not; returns how many snapshots were lost (dropped meanwhile). */
  settle(ok: boolean): number;
}

export interface QueueSpool extends Backlog {
  setFailureHandler(handler: (error: Error) => void): void;
}

export class WriteQueue {
  private readonly backlog: Backlog;
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
    this.backlog = options.spool ?? new MemoryBacklog(options.maxQueued);
    options.spool?.setFailureHandler((error) => this.events.onSpoolFailed?.(error));
    // What an earlier run left in a spool is written first.
    if (this.backlog.depth > 0) this.start();
  }

  /** Snapshots not yet in Redis (queued plus the batch being written). */
  get depth(): number {
    return this.backlog.depth;
  }

  /** Snapshots not yet in Redis that a spool keeps on disk for the next start (0 without one). */
  get spooled(): number {
    return this.backlog.onDisk;
  }

  get redisDown(): boolean {
    return this.downSince !== undefined;
  }

  push(snapshot: L1Snapshot): void {
    this.countDropped(this.backlog.append(snapshot));
    this.start();
    this.wake?.();
  }

  private countDropped(count: number): void {
    if (count <= 0) return;
    this.dropped += count;
    this.events.onDropped?.(count, this.dropped, this.backlog.dropCause);
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
      const batch = this.backlog.take(this.options.batchSize);
      try {
        const result = await this.store.write(batch);
        this.countDropped(this.backlog.settle(true));
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
        // Taken again from the oldest unwritten; a retried write of what did land is idempotent.
        this.countDropped(this.backlog.settle(false));
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
}
