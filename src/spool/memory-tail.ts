/**
 * The newest spooled records, also kept in memory (`--max-queue` of them), so that while Redis
 * keeps up the writer never reads the disk. Each record carries where the record after it starts
 * on disk (segment, offset), which becomes the ack position once Redis has it.
 */
import type { L1Snapshot } from '../snapshot.js';
import type { SpoolPosition } from './ack-marker.js';

/** The segment of a record that never reached disk (the spool had failed). */
const NOT_ON_DISK = -1;

export class MemoryTail {
  /** Sequence number of the oldest record held; the tail holds [startSeq, startSeq + length). */
  startSeq: number;
  private snapshots: L1Snapshot[] = [];
  // Parallel arrays rather than an object per record: this is the per-snapshot path.
  private segs: number[] = [];
  private offs: number[] = [];
  private head = 0;

  constructor(startSeq: number) {
    this.startSeq = startSeq;
  }

  get length(): number {
    return this.snapshots.length - this.head;
  }

  /** A record whose end is at `offset` of segment `segment`; no position: never on disk. */
  push(snapshot: L1Snapshot, segment?: number, offset = 0): void {
    this.snapshots.push(snapshot);
    this.segs.push(segment ?? NOT_ON_DISK);
    this.offs.push(offset);
  }

  /**
   * `n` records from sequence number `start` on, and the end of the last of them that is on disk
   * (undefined when none is).
   */
  slice(start: number, n: number): { snapshots: L1Snapshot[]; endPos: SpoolPosition | undefined } {
    const from = this.head + (start - this.startSeq);
    let endPos: SpoolPosition | undefined;
    for (let i = from + n - 1; i >= from; i--) {
      const segment = this.segs[i] as number;
      if (segment !== NOT_ON_DISK) {
        endPos = { segment, offset: this.offs[i] as number };
        break;
      }
    }
    return { snapshots: this.snapshots.slice(from, from + n), endPos };
  }

  /** Forgets the oldest records past `max`, but only ones below `onDiskBefore` (they can be read back). */
  evict(max: number, onDiskBefore: number): void {
    let excess = this.length - max;
    while (excess > 0 && this.startSeq < onDiskBefore) {
      this.head += 1;
      this.startSeq += 1;
      excess -= 1;
    }
    this.compact();
  }

  /** Forgets the records before sequence number `seq` (in Redis, or dropped). */
  dropBefore(seq: number): void {
    const n = Math.min(seq - this.startSeq, this.length);
    if (n > 0) {
      this.head += n;
      this.startSeq += n;
    }
    if (this.startSeq < seq) this.startSeq = seq;
    this.compact();
  }

  /** The newest `n` records never reached disk after all (a write failed). */
  markNotOnDisk(n: number): void {
    for (let i = this.segs.length - n; i < this.segs.length; i++) this.segs[i] = NOT_ON_DISK;
  }

  private compact(): void {
    if (this.head > 4096 && this.head * 2 > this.snapshots.length) {
      this.snapshots = this.snapshots.slice(this.head);
      this.segs = this.segs.slice(this.head);
      this.offs = this.offs.slice(this.head);
      this.head = 0;
    }
  }
}
