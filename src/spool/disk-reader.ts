/**
 * Reads spooled records back from a position, across segments, for the writer: what a long outage
 * pushed out of memory, and what an earlier run left.
 */
import { closeSync, openSync } from 'node:fs';
import type { L1Snapshot } from '../snapshot.js';
import type { SpoolPosition } from './ack-marker.js';
import { RECORD_HEADER_BYTES, SEGMENT_HEADER_BYTES, SegmentCursor } from './spool-format.js';
import { decodeSnapshot } from './spooled-snapshot.js';

/** What the reader needs to know of a segment file. */
export interface SegmentFile {
  no: number;
  path: string;
  /** Bytes written to the file (header included); the active segment's keeps growing. */
  size: number;
}

export interface RecordReport {
  error(msg: string, fields?: Record<string, unknown>): void;
}

export class DiskReader {
  private cursor: SegmentCursor | undefined;
  private fd: number | undefined;
  private seg: SegmentFile | undefined;
  /** Where the next record starts. */
  position: SpoolPosition;

  constructor(from: SpoolPosition) {
    this.position = { ...from };
  }

  /**
   * The next `n` records; a record that is not a snapshot is reported and skipped. Throws (naming
   * the file and byte) when a segment is gone, ends early or holds a bad record.
   */
  read(
    n: number,
    segments: readonly SegmentFile[],
    active: SegmentFile,
    log: RecordReport,
  ): { snapshots: L1Snapshot[]; skipped: number } {
    const out: L1Snapshot[] = [];
    let skipped = 0;
    for (let i = 0; i < n; ) {
      if (!this.cursor || !this.seg) {
        const found = segments.find((s) => s.no === this.position.segment);
        if (!found) throw new Error(`segment ${this.position.segment}: gone`);
        this.seg = found;
        this.fd = openSync(found.path, 'r');
        this.cursor = new SegmentCursor(this.fd, this.position.offset, found.size);
      }
      const seg = this.seg;
      // The active segment keeps growing.
      if (seg === active) this.cursor.end = seg.size;
      const step = this.cursor.next();
      if (step.kind === 'end') {
        const next = segments.find((s) => s.no > seg.no);
        if (!next) throw new Error(`${seg.path}: ended ${n - i} record(s) early`);
        this.close();
        this.position = { segment: next.no, offset: SEGMENT_HEADER_BYTES };
        continue;
      }
      if (step.kind === 'bad') throw new Error(`${seg.path} at byte ${this.cursor.offset}: ${step.reason}`);
      i += 1;
      this.position = { segment: seg.no, offset: this.cursor.offset };
      const parsed = decodeSnapshot(step.payload);
      if (parsed) out.push(parsed);
      else {
        skipped += 1;
        log.error(
          `spool: the record at byte ${this.cursor.offset - step.payload.length - RECORD_HEADER_BYTES} of ${seg.path} is not a snapshot this version can read; skipped`,
          { event: 'spool_bad_record' },
        );
      }
    }
    return { snapshots: out, skipped };
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.cursor = undefined;
    this.seg = undefined;
  }
}
