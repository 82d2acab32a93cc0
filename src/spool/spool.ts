/**
 * The crash-safe spool (`l1-fetch --spool-dir DIR`): a write-ahead log on disk in front of Redis.
 *
 * Every snapshot handed to the write queue is appended here first, as a length-prefixed,
 * checksummed record (spool-format.ts), and leaves only once Redis confirmed its write (the ack
 * marker, ack-marker.ts). The writer takes batches in order: from memory while it keeps up, from
 * disk after a long outage pushed them out of memory, and, on start, the records an earlier run
 * left behind, before anything new.
 *
 * Durability (docs/architecture.md has the reasoning):
 * - Appends are encoded as they come and written with one write(2) per burst (a microtask later),
 *   so a snapshot is in the kernel before the next I/O event is handled: a process crash, kill -9
 *   or OOM kill loses nothing that was fetched (at most a record being written at that instant,
 *   which then shows up as a torn last record).
 * - The active segment is fdatasynced once a second (off the event loop), and a segment is synced
 *   before the next one is created: a power cut loses at most the last second of appends.
 *
 * Past `maxBytes` of files the oldest segment is deleted and its unwritten records are counted as
 * dropped (the queue reports them): the disk bound holds, like the memory queue's.
 */
import {
  closeSync,
  existsSync,
  fdatasync,
  fdatasyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  statfsSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { formatBytes } from '../byte-size.js';
import { formatDuration } from '../duration.js';
import { InputError } from '../errors.js';
import { code, describeFsError } from '../fs-errors.js';
import type { PidLock } from '../pid-lock.js';
import type { L1Snapshot } from '../snapshot.js';
import { ACK_FILE, AckWriter, type SpoolPosition } from './ack-marker.js';
import {
  RecordEncoder,
  SEGMENT_HEADER_BYTES,
  SEGMENT_MAGIC,
  SegmentCursor,
  segmentName,
} from './spool-format.js';
import { acquireSpoolLock } from './spool-lock.js';
import { recoverSpool } from './spool-recovery.js';
import { decodeSnapshot } from './spooled-snapshot.js';

/** A level-1 record is 230-280 bytes on disk; for the estimate announced at start. */
const TYPICAL_RECORD_BYTES = 256;

/** Where the spool reports to (CaptureLog fits). */
export interface SpoolLog {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export interface SpoolOptions {
  dir: string;
  /** Most bytes of segment files; past it the oldest segment is dropped. */
  maxBytes: number;
  /** Snapshots also kept in memory, so the writer seldom reads back from disk (`--max-queue`). */
  maxMemory: number;
  log: SpoolLog;
  /** Default: a 16th of maxBytes, between 4 KiB and 64 MiB (the granularity of drops). */
  segmentBytes?: number;
  /** How often the active segment is fdatasynced. Default 1 s. */
  fsyncEveryMs?: number;
}

/** Segment size for a bound: drops go a whole segment at a time, so 16 of them keep that fine. */
export function segmentBytesFor(maxBytes: number): number {
  return Math.max(4096, Math.min(64 * 1024 * 1024, Math.floor(maxBytes / 16)));
}

interface Segment {
  no: number;
  path: string;
  /** Sequence number of its first record (records before the resume point have negative ones). */
  firstSeq: number;
  count: number;
  /** Bytes written to the file (header included). */
  size: number;
}

interface InFlight {
  start: number;
  end: number;
  /** Where the record after the batch starts; undefined when the batch never reached disk. */
  endPos: SpoolPosition | undefined;
}

interface ReadBatch {
  start: number;
  end: number;
  endPos: SpoolPosition;
  snapshots: L1Snapshot[];
  /** Records in the range that were not snapshots (reported, skipped). */
  skipped: number;
}

/** The position after each record kept in memory; segment -1 = never reached disk. */
const NOT_ON_DISK = -1;

export class Spool {
  readonly dir: string;
  /** Why the snapshots of the latest loss were lost, for the queue's drop event. */
  dropCause: string;
  private readonly fullCause: string;
  private readonly maxBytes: number;
  private readonly maxMemory: number;
  private readonly segmentBytes: number;
  private readonly log: SpoolLog;
  private readonly lock: PidLock;
  private readonly ack: AckWriter;
  private readonly encoder = new RecordEncoder();
  private readonly segments: Segment[];
  private fd: number | undefined;
  /** Bytes of all segment files. */
  private diskBytes = 0;

  /** Sequence numbers: records [ackSeq, nextSeq) are not yet in Redis. */
  private nextSeq: number;
  private ackSeq = 0;
  private ackPos: SpoolPosition;
  /** Records below this are written to the file (the rest wait in the encoder). */
  private flushedSeq: number;

  /** Newest records kept in memory: [memStartSeq, nextSeq), with their end positions. */
  private mem: L1Snapshot[] = [];
  private memSeg: number[] = [];
  private memOff: number[] = [];
  private memHead = 0;
  private memStartSeq: number;

  private inFlight: InFlight | undefined;
  private reader: DiskReader | undefined;
  /** The batch after the one in flight, already read from disk. */
  private readAhead: ReadBatch | undefined;
  private prefetchQueued = false;
  private flushQueued = false;
  private dirty = false;
  private syncing = false;
  private readonly closeAfterSync: number[] = [];
  private readonly fsyncTimer: NodeJS.Timeout;
  private failure: Error | undefined;
  private onFailure: ((error: Error) => void) | undefined;
  private closed = false;
  private keptOnClose = 0;
  private ackWarned = false;

  /** Records of an earlier run: replay is done once ackSeq reaches replayEnd. */
  private replayEnd = 0;
  private replayCount = 0;
  private replayStartedAt: number | undefined;
  /** Snapshots lost outside a settle (unreadable from disk), reported by the next settle. */
  private unreportedLoss = 0;

  /**
   * Opens (creating it if needed) and locks a spool directory, checks what an earlier run left,
   * and starts a new segment. Every problem is an InputError (exit 2) naming the path.
   */
  static open(options: SpoolOptions): Spool {
    const dir = resolve(options.dir);
    prepareDir(dir);
    const lock = acquireSpoolLock(dir);
    try {
      return new Spool(dir, lock, options);
    } catch (err) {
      lock.release();
      throw err;
    }
  }

  private constructor(dir: string, lock: PidLock, options: SpoolOptions) {
    this.dir = dir;
    this.lock = lock;
    this.log = options.log;
    this.maxBytes = options.maxBytes;
    this.maxMemory = Math.max(1, options.maxMemory);
    this.segmentBytes = options.segmentBytes ?? segmentBytesFor(options.maxBytes);
    this.fullCause = `spool ${dir} full (--max-spool ${formatBytes(options.maxBytes)})`;
    this.dropCause = this.fullCause;
    if (lock.tookOverFrom)
      this.log.warn(
        `spool: took over the lock of ${lock.tookOverFrom.pid ? `process ${lock.tookOverFrom.pid}` : 'an unfinished start'}, which is no longer running (${lock.path})`,
        { event: 'spool_lock_taken_over', pid: lock.tookOverFrom.pid },
      );
    checkFreeSpace(dir, this.segmentBytes, options.maxBytes, this.log);

    const found = recoverSpool(dir);
    for (const w of found.warnings) this.log.warn(w, { event: 'spool_recovery' });
    // Replayed records get sequence numbers 0..pending-1; new ones follow.
    this.segments = [];
    let seq = 0;
    for (const s of found.segments) {
      this.segments.push({ no: s.no, path: s.path, firstSeq: seq - s.acked, count: s.records, size: s.size });
      this.diskBytes += s.size;
      seq += s.records - s.acked;
    }
    this.nextSeq = found.pending;
    this.flushedSeq = found.pending;
    this.memStartSeq = found.pending;

    const no = found.lastNumber + 1;
    this.ackPos = found.resumeAt ?? { segment: no, offset: SEGMENT_HEADER_BYTES };
    try {
      this.ack = new AckWriter(dir);
      // At once: the file was just truncated, and the position must name no older segment.
      this.ack.write(this.ackPos);
    } catch (err) {
      throw new InputError(
        `--spool-dir ${dir}: cannot write ${join(dir, ACK_FILE)} (${describeFsError(err)})`,
      );
    }
    const active = this.createSegment(no);
    if (active instanceof Error) throw new InputError(`--spool-dir ${dir}: ${active.message}`);
    const dropped = this.dropPastBound();
    if (dropped > 0)
      this.log.error(`${this.fullCause}: dropped the ${dropped} oldest snapshot(s) an earlier run left`, {
        event: 'dropped',
        count: dropped,
      });
    this.replayEnd = this.nextSeq;
    this.replayCount = this.depth;
    if (this.replayCount > 0)
      this.log.info(
        `spool ${dir}: ${this.replayCount} snapshot(s) from an earlier run (${formatBytes(this.diskBytes)}) are written to Redis first`,
        { event: 'spool_replay', pending: this.replayCount, bytes: this.diskBytes },
      );
    this.fsyncTimer = setInterval(() => this.periodicSync(), options.fsyncEveryMs ?? 1000);
    this.fsyncTimer.unref();
    // However the process ends (short of a kill), the lock is released and the marker written.
    process.once('exit', this.closeOnExit);
  }

  private readonly closeOnExit = (): void => {
    this.close();
  };

  /** Called once when the spool can no longer write (disk full, directory gone, I/O error). */
  setFailureHandler(handler: (error: Error) => void): void {
    this.onFailure = handler;
    if (this.failure) handler(this.failure);
  }

  get failed(): Error | undefined {
    return this.failure;
  }

  /** About how many snapshots fit within the bound. */
  get capacityEstimate(): number {
    return Math.floor(this.maxBytes / TYPICAL_RECORD_BYTES);
  }

  describeBound(): string {
    return `--max-spool ${formatBytes(this.maxBytes)}`;
  }

  /** Snapshots not yet confirmed by Redis (the batch being written included); 0 once closed. */
  get depth(): number {
    return this.closed ? 0 : this.nextSeq - this.ackSeq;
  }

  /** Of those, the ones safe on disk for the next start (the rest exist in memory only). */
  get onDisk(): number {
    return this.closed ? this.keptOnClose : Math.max(0, this.flushedSeq - this.ackSeq);
  }

  /** Appends a snapshot; returns how many of the oldest were dropped to stay within maxBytes. */
  append(snapshot: L1Snapshot): number {
    this.nextSeq += 1;
    this.mem.push(snapshot);
    if (this.failure || this.closed) {
      this.memSeg.push(NOT_ON_DISK);
      this.memOff.push(0);
      return 0;
    }
    this.encoder.add(snapshot);
    const active = this.activeSegment();
    active.count += 1;
    this.memSeg.push(active.no);
    this.memOff.push(active.size + this.encoder.length);
    // A long synchronous burst is written in pieces: the encoder stays small, segments stay near
    // their size (so the bound can drop the oldest).
    if (this.encoder.length >= 1024 * 1024 || active.size + this.encoder.length >= this.segmentBytes)
      this.flush();
    else if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(() => this.flush());
    }
    return this.dropPastBound();
  }

  /** The next batch for Redis (at most `max`), oldest first; settle() it before taking another. */
  take(max: number): L1Snapshot[] {
    if (this.inFlight) throw new Error('spool: a batch is already being written');
    if (this.closed) return [];
    this.flush();
    const start = this.ackSeq;
    if (start >= this.nextSeq) return [];
    this.replayStartedAt ??= performance.now();
    if (start < this.memStartSeq) return this.takeFromDisk(start, Math.min(max, this.memStartSeq - start));
    const from = this.memHead + (start - this.memStartSeq);
    const n = Math.min(max, this.nextSeq - start);
    let endPos: SpoolPosition | undefined;
    for (let i = from + n - 1; i >= from; i--) {
      const segment = this.memSeg[i] as number;
      if (segment !== NOT_ON_DISK) {
        endPos = { segment, offset: this.memOff[i] as number };
        break;
      }
    }
    this.inFlight = { start, end: start + n, endPos };
    return this.mem.slice(from, from + n);
  }

  /**
   * The batch from take() was written to Redis (ok) or not. Returns how many of its snapshots are
   * now lost: only a failed batch whose segment was dropped meanwhile (the bound) loses any.
   */
  settle(ok: boolean): number {
    // A write that outlived the flush deadline: whatever it did, the next start writes it again.
    if (this.closed) return 0;
    const f = this.inFlight;
    this.inFlight = undefined;
    const lost = this.unreportedLoss;
    this.unreportedLoss = 0;
    if (!f) return lost;
    if (!ok) {
      // Taken again from the ack position next time.
      this.closeReader();
      const gone = f.start < this.ackSeq ? Math.min(f.end, this.ackSeq) - f.start : 0;
      if (gone > 0) this.dropCause = this.fullCause;
      return lost + gone;
    }
    if (f.end > this.ackSeq) {
      this.ackSeq = f.end;
      if (f.endPos) this.ackPos = f.endPos;
    }
    this.trimMemory();
    this.commitAck();
    if (this.replayCount > 0 && this.ackSeq >= this.replayEnd) {
      const ms = performance.now() - (this.replayStartedAt ?? performance.now());
      this.log.info(
        `spool: the ${this.replayCount} snapshot(s) from the earlier run are in Redis (${formatDuration(Math.round(ms))}, ${Math.round(this.replayCount / Math.max(ms / 1000, 0.001))}/s)`,
        { event: 'spool_replayed', count: this.replayCount, ms: Math.round(ms) },
      );
      this.replayCount = 0;
    }
    return lost;
  }

  /**
   * Writes what is buffered and lets go of the directory. When everything reached Redis, the
   * segments and the ack marker are removed; otherwise they stay, synced, for the next start.
   * Returns how many snapshots stay on disk.
   */
  close(): number {
    if (this.closed) return this.keptOnClose;
    this.flush();
    const kept = this.onDisk;
    this.keptOnClose = kept;
    this.closed = true;
    clearInterval(this.fsyncTimer);
    this.closeReader();
    try {
      if (this.fd !== undefined) fdatasyncSync(this.fd);
    } catch (err) {
      this.log.error(`spool: cannot sync ${this.activeSegment().path} (${describeFsError(err)})`);
    }
    this.releaseFd(this.fd);
    this.fd = undefined;
    if (this.nextSeq === this.ackSeq && !this.failure) {
      // Everything is in Redis: leave an empty directory (segments first, then the marker).
      for (const s of this.segments.splice(0)) tryUnlink(s.path);
      this.ack.close();
      tryUnlink(join(this.dir, ACK_FILE));
    } else {
      this.commitAck();
      this.ack.close();
    }
    this.lock.release();
    process.off('exit', this.closeOnExit);
    return kept;
  }

  /** Writes the encoded records to the active segment; rotates it once full. */
  private flush(): void {
    this.flushQueued = false;
    if (this.encoder.length === 0 || this.failure || this.fd === undefined) return;
    const bytes = this.encoder.bytes();
    const active = this.activeSegment();
    try {
      writeAll(this.fd, bytes, active.size);
    } catch (err) {
      this.fail(`cannot write ${active.path} (${describeFsError(err)})`);
      return;
    }
    active.size += bytes.length;
    this.diskBytes += bytes.length;
    this.flushedSeq = this.nextSeq;
    this.dirty = true;
    this.encoder.clear();
    this.evictMemory();
    if (active.size >= this.segmentBytes) this.rotate();
  }

  private rotate(): void {
    const old = this.activeSegment();
    try {
      // The next segment exists only once this one is whole on disk: a sealed segment is never torn.
      if (this.fd !== undefined) fdatasyncSync(this.fd);
    } catch (err) {
      this.fail(`cannot sync ${old.path} (${describeFsError(err)})`);
      return;
    }
    this.releaseFd(this.fd);
    this.fd = undefined;
    this.dirty = false;
    const created = this.createSegment(old.no + 1);
    if (created instanceof Error) this.fail(created.message);
  }

  /** Creates segment `no` with its header, makes it the active one; an Error if it cannot. */
  private createSegment(no: number): Segment | Error {
    const path = join(this.dir, segmentName(no));
    let fd: number | undefined;
    try {
      fd = openSync(path, 'wx');
      writeAll(fd, SEGMENT_MAGIC, 0);
      syncDir(this.dir);
    } catch (err) {
      if (fd !== undefined) closeSync(fd);
      return new Error(`cannot create ${path} (${describeFsError(err)})`);
    }
    const seg: Segment = { no, path, firstSeq: this.nextSeq, count: 0, size: SEGMENT_HEADER_BYTES };
    this.segments.push(seg);
    this.diskBytes += SEGMENT_HEADER_BYTES;
    this.fd = fd;
    return seg;
  }

  private activeSegment(): Segment {
    return this.segments[this.segments.length - 1] as Segment;
  }

  /** Drops the oldest segments while the files (and what waits in the encoder) pass the bound. */
  private dropPastBound(): number {
    let dropped = 0;
    while (this.diskBytes + this.encoder.length > this.maxBytes && this.segments.length > 1) {
      const seg = this.segments.shift() as Segment;
      tryUnlink(seg.path);
      this.diskBytes -= seg.size;
      const segEnd = seg.firstSeq + seg.count;
      // The batch in flight may still land: it is counted only if its write fails (settle).
      const from = Math.max(this.ackSeq, this.inFlight?.end ?? this.ackSeq);
      dropped += Math.max(0, segEnd - from);
      if (segEnd > this.ackSeq) {
        this.ackSeq = segEnd;
        this.ackPos = { segment: (this.segments[0] as Segment).no, offset: SEGMENT_HEADER_BYTES };
      }
      this.closeReader();
      this.trimMemory();
    }
    if (dropped > 0) {
      this.dropCause = this.fullCause;
      this.commitAck();
    }
    return dropped;
  }

  private takeFromDisk(start: number, n: number): L1Snapshot[] {
    let batch = this.readAhead;
    this.readAhead = undefined;
    if (batch?.start !== start) {
      // None read ahead, or it no longer follows on (a failed write, a drop): read at the ack.
      if (batch) this.closeReader();
      try {
        batch = this.readFromDisk(start, n);
      } catch (err) {
        // Unreadable: what only the disk held is lost; go on from memory.
        this.closeReader();
        const lost = this.memStartSeq - start;
        this.fail(`cannot read ${err instanceof Error ? err.message : String(err)}`);
        this.log.error(`spool: ${lost} spooled snapshot(s) could not be read back and are lost`, {
          event: 'spool_unreadable',
          count: lost,
        });
        this.unreportedLoss += lost;
        this.dropCause = `spool ${this.dir} unreadable`;
        this.ackSeq = this.memStartSeq;
        return [];
      }
    }
    this.inFlight = { start, end: batch.end, endPos: batch.endPos };
    if (batch.skipped > 0) {
      this.unreportedLoss += batch.skipped;
      this.dropCause = `spool ${this.dir}: record(s) this version cannot read`;
    }
    // Decode the next batch while Redis works on this one (setImmediate runs once the write is on the wire).
    if (!this.prefetchQueued && batch.end < this.memStartSeq) {
      this.prefetchQueued = true;
      setImmediate(() => this.prefetch(n));
    }
    return batch.snapshots;
  }

  private readFromDisk(start: number, n: number): ReadBatch {
    this.reader ??= new DiskReader(this.ackPos);
    const { snapshots, skipped } = this.reader.read(n, this.segments, this.activeSegment(), this.log);
    return { start, end: start + n, endPos: { ...this.reader.position }, snapshots, skipped };
  }

  private prefetch(max: number): void {
    this.prefetchQueued = false;
    const after = this.inFlight?.end;
    if (after === undefined || this.readAhead || this.closed || this.failure || after >= this.memStartSeq)
      return;
    try {
      this.readAhead = this.readFromDisk(after, Math.min(max, this.memStartSeq - after));
    } catch {
      // take() meets the same problem and handles it.
      this.closeReader();
    }
  }

  /** Keeps memory within maxMemory by forgetting records already on disk (they are read back). */
  private evictMemory(): void {
    let excess = this.mem.length - this.memHead - this.maxMemory;
    while (excess > 0 && this.memStartSeq < this.flushedSeq) {
      this.memHead += 1;
      this.memStartSeq += 1;
      excess -= 1;
    }
    this.compactMemory();
  }

  /** Forgets records that reached Redis (or were dropped). */
  private trimMemory(): void {
    const n = Math.min(this.ackSeq - this.memStartSeq, this.mem.length - this.memHead);
    if (n > 0) {
      this.memHead += n;
      this.memStartSeq += n;
    }
    if (this.memStartSeq < this.ackSeq) this.memStartSeq = this.ackSeq;
    this.compactMemory();
  }

  private compactMemory(): void {
    if (this.memHead > 4096 && this.memHead * 2 > this.mem.length) {
      this.mem = this.mem.slice(this.memHead);
      this.memSeg = this.memSeg.slice(this.memHead);
      this.memOff = this.memOff.slice(this.memHead);
      this.memHead = 0;
    }
  }

  /** Records the ack position, then deletes the segments it has passed. */
  private commitAck(): void {
    // A sealed segment's end is the next one's start.
    for (let i = 0; i < this.segments.length - 1; i++) {
      const s = this.segments[i] as Segment;
      if (this.ackPos.segment === s.no && this.ackPos.offset >= s.size)
        this.ackPos = { segment: (this.segments[i + 1] as Segment).no, offset: SEGMENT_HEADER_BYTES };
    }
    try {
      this.ack.write(this.ackPos);
    } catch (err) {
      // Not fatal: a lagging marker only means records already in Redis are written again.
      if (!this.ackWarned)
        this.log.warn(
          `spool: cannot update ${join(this.dir, ACK_FILE)} (${describeFsError(err)}); a restart would write some snapshots twice (harmless)`,
        );
      this.ackWarned = true;
      return;
    }
    while (this.segments.length > 1 && (this.segments[0] as Segment).no < this.ackPos.segment) {
      const s = this.segments.shift() as Segment;
      tryUnlink(s.path);
      this.diskBytes -= s.size;
    }
  }

  private periodicSync(): void {
    if (!this.dirty || this.syncing || this.fd === undefined || this.failure) return;
    this.dirty = false;
    this.syncing = true;
    const path = this.activeSegment().path;
    fdatasync(this.fd, (err) => {
      this.syncing = false;
      for (const fd of this.closeAfterSync.splice(0)) closeSync(fd);
      if (err && !this.closed) this.fail(`cannot sync ${path} (${describeFsError(err)})`);
    });
  }

  /** Closes a segment fd, after the background sync when one is using it. */
  private releaseFd(fd: number | undefined): void {
    if (fd === undefined) return;
    if (this.syncing) this.closeAfterSync.push(fd);
    else closeSync(fd);
  }

  private closeReader(): void {
    this.reader?.close();
    this.reader = undefined;
    this.readAhead = undefined;
  }

  private fail(reason: string): void {
    if (this.failure) return;
    this.failure = new Error(`spool: ${reason}`);
    // What waited in the encoder never reached the file: it lives in memory only now.
    for (let i = this.mem.length - (this.nextSeq - this.flushedSeq); i < this.mem.length; i++)
      this.memSeg[i] = NOT_ON_DISK;
    const active = this.activeSegment();
    active.count -= this.nextSeq - this.flushedSeq;
    this.encoder.clear();
    if (this.fd !== undefined) {
      try {
        // Cut off a partial write, so the file ends on a whole record.
        ftruncateSync(this.fd, active.size);
      } catch {
        // The next start sees a torn last record instead.
      }
    }
    this.onFailure?.(this.failure);
  }
}

/** Reads records back from the ack position, across segments, for the writer. */
class DiskReader {
  private cursor: SegmentCursor | undefined;
  private fd: number | undefined;
  private seg: Segment | undefined;
  position: SpoolPosition;

  constructor(from: SpoolPosition) {
    this.position = { ...from };
  }

  /** The next `n` records; a record that is not a snapshot is reported and skipped. */
  read(
    n: number,
    segments: readonly Segment[],
    active: Segment,
    log: SpoolLog,
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
          `spool: the record at byte ${this.cursor.offset - step.payload.length - 8} of ${seg.path} is not a snapshot this version can read; skipped`,
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

function prepareDir(dir: string): void {
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw new InputError(`--spool-dir ${dir}: not a directory`);
    return;
  }
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    const why =
      code(err) === 'ENOTDIR' || code(err) === 'EEXIST' ? 'a file is in the way' : describeFsError(err);
    throw new InputError(`--spool-dir ${dir}: cannot create the directory (${why})`);
  }
}

function checkFreeSpace(dir: string, segmentBytes: number, maxBytes: number, log: SpoolLog): void {
  let free: number;
  try {
    const s = statfsSync(dir);
    free = s.bavail * s.bsize;
  } catch {
    return; // not every platform can tell; the first write will
  }
  if (free < 2 * segmentBytes)
    throw new InputError(
      `--spool-dir ${dir}: its file system is full (${formatBytes(free)} free; the spool needs at least ${formatBytes(2 * segmentBytes)})`,
    );
  if (free < maxBytes)
    log.warn(
      `spool: only ${formatBytes(free)} free on the file system of ${dir}, less than --max-spool ${formatBytes(maxBytes)}: a long outage can fill the disk before the bound drops anything`,
      { event: 'spool_low_space', free_bytes: free },
    );
}

function writeAll(fd: number, bytes: Uint8Array, position: number): void {
  for (let done = 0; done < bytes.length; ) {
    done += writeSync(fd, bytes, done, bytes.length - done, position + done);
  }
}

/** So a new segment's name survives a power cut (POSIX; a no-op where directories cannot be synced). */
function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fdatasyncSync(fd);
  } catch {
    // Windows cannot open a directory; its file system orders this itself.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function tryUnlink(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone; a leftover is deleted at the next start
  }
}
