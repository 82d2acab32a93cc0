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
import { closeSync, fdatasync, fdatasyncSync, ftruncateSync, openSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { formatBytes } from '../byte-size.js';
import { formatDuration } from '../duration.js';
import { InputError } from '../errors.js';
import { accessHint, describeFsError, unlinkQuietly } from '../fs-errors.js';
import type { PidLock } from '../pid-lock.js';
import type { L1Snapshot } from '../snapshot.js';
import { ACK_FILE, AckWriter, type SpoolPosition } from './ack-marker.js';
import { DiskReader, type SegmentFile } from './disk-reader.js';
import { MemoryTail } from './memory-tail.js';
import { checkFreeSpace, prepareDir, syncDir, writeAll } from './spool-dir.js';
import { RecordEncoder, SEGMENT_HEADER_BYTES, SEGMENT_MAGIC, segmentName } from './spool-format.js';
import { acquireSpoolLock } from './spool-lock.js';
import { recoverSpool } from './spool-recovery.js';

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
}

/** How often the active segment is fdatasynced: what a power cut can lose. */
const FSYNC_EVERY_MS = 1000;

/** Segment size for a bound: drops go a whole segment at a time, so 16 of them keep that fine. */
function segmentBytesFor(maxBytes: number): number {
  return Math.max(4096, Math.min(64 * 1024 * 1024, Math.floor(maxBytes / 16)));
}

interface Segment extends SegmentFile {
  /** Sequence number of its first record (records before the resume point have negative ones). */
  firstSeq: number;
  count: number;
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

  /** Newest records kept in memory: [mem.startSeq, nextSeq), with their end positions. */
  private readonly mem: MemoryTail;

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
    // resolve('') is the working directory: never a spool by accident.
    if (options.dir.trim() === '')
      throw new InputError('--spool-dir: empty; name a directory, e.g. /var/lib/l1-fetch/spool');
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
    this.mem = new MemoryTail(found.pending);

    const no = found.lastNumber + 1;
    this.ackPos = found.resumeAt ?? { segment: no, offset: SEGMENT_HEADER_BYTES };
    try {
      this.ack = new AckWriter(dir);
      // At once: the file was just truncated, and the position must name no older segment.
      this.ack.write(this.ackPos);
    } catch (err) {
      throw new InputError(
        `--spool-dir ${dir}: cannot write ${join(dir, ACK_FILE)} (${describeFsError(err)})${accessHint(err)}`,
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
    this.fsyncTimer = setInterval(() => this.periodicSync(), FSYNC_EVERY_MS);
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
    if (this.failure || this.closed) {
      this.mem.push(snapshot);
      return 0;
    }
    this.encoder.add(snapshot);
    const active = this.activeSegment();
    active.count += 1;
    this.mem.push(snapshot, active.no, active.size + this.encoder.length);
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
    const memStart = this.mem.startSeq;
    if (start < memStart) return this.takeFromDisk(start, Math.min(max, memStart - start));
    const n = Math.min(max, this.nextSeq - start);
    const { snapshots, endPos } = this.mem.slice(start, n);
    this.inFlight = { start, end: start + n, endPos };
    return snapshots;
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
    this.mem.dropBefore(this.ackSeq);
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
      for (const s of this.segments.splice(0)) unlinkQuietly(s.path);
      this.ack.close();
      unlinkQuietly(join(this.dir, ACK_FILE));
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
    this.mem.evict(this.maxMemory, this.flushedSeq);
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
      return new Error(`cannot create ${path} (${describeFsError(err)})${accessHint(err)}`);
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
      unlinkQuietly(seg.path);
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
      this.mem.dropBefore(this.ackSeq);
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
        const lost = this.mem.startSeq - start;
        this.fail(`cannot read ${err instanceof Error ? err.message : String(err)}`);
        this.log.error(`spool: ${lost} spooled snapshot(s) could not be read back and are lost`, {
          event: 'spool_unreadable',
          count: lost,
        });
        this.unreportedLoss += lost;
        this.dropCause = `spool ${this.dir} unreadable`;
        this.ackSeq = this.mem.startSeq;
        return [];
      }
    }
    this.inFlight = { start, end: batch.end, endPos: batch.endPos };
    if (batch.skipped > 0) {
      this.unreportedLoss += batch.skipped;
      this.dropCause = `spool ${this.dir}: record(s) this version cannot read`;
    }
    // Decode the next batch while Redis works on this one (setImmediate runs once the write is on the wire).
    if (!this.prefetchQueued && batch.end < this.mem.startSeq) {
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
    if (after === undefined || this.readAhead || this.closed || this.failure || after >= this.mem.startSeq)
      return;
    try {
      this.readAhead = this.readFromDisk(after, Math.min(max, this.mem.startSeq - after));
    } catch {
      // take() meets the same problem and handles it.
      this.closeReader();
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
      unlinkQuietly(s.path);
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
    this.mem.markNotOnDisk(this.nextSeq - this.flushedSeq);
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
