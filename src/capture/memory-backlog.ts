/**
 * The write queue's backlog without a spool: snapshots in memory, at most `max` of them besides the
 * batch being written. Past the bound the OLDEST are dropped (a long outage keeps the most recent
 * tape); the batch in flight may still land, so it is never dropped while it is out, and a batch
 * that failed comes back to the head, where it is the first to go.
 */
import type { L1Snapshot } from '../snapshot.js';
import type { Backlog } from './write-queue.js';

export class MemoryBacklog implements Backlog {
  readonly dropCause = 'write queue full';
  readonly onDisk = 0;
  private buffer: L1Snapshot[] = [];
  private head = 0;
  private inFlight: L1Snapshot[] = [];

  constructor(private readonly max: number) {}

  get depth(): number {
    return this.buffer.length - this.head + this.inFlight.length;
  }

  append(snapshot: L1Snapshot): number {
    this.buffer.push(snapshot);
    return this.enforceBound();
  }

  take(max: number): L1Snapshot[] {
    const batch = this.buffer.slice(this.head, this.head + max);
    this.head += batch.length;
    this.inFlight = batch;
    return batch;
  }

  settle(ok: boolean): number {
    if (ok) {
      this.inFlight = [];
      this.compact();
      return 0;
    }
    // Back at the head, in order; a retried write of the part that did land is idempotent.
    this.buffer = this.inFlight.concat(this.buffer.slice(this.head));
    this.head = 0;
    this.inFlight = [];
    return this.enforceBound();
  }

  /** Drops the oldest queued snapshots past the bound; returns how many. */
  private enforceBound(): number {
    const over = this.buffer.length - this.head - this.max;
    if (over > 0) this.head += over;
    this.compact();
    return Math.max(0, over);
  }

  private compact(): void {
    // Drop the consumed prefix now and then, so a long run does not keep every snapshot alive.
    if (this.head > 4096 && this.head * 2 > this.buffer.length) {
      this.buffer = this.buffer.slice(this.head);
      this.head = 0;
    }
  }
}
