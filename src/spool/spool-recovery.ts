/**
 * What a new run finds in a spool directory: the segments an earlier run left, checked record by
 * record (length + checksum), and where writing to Redis must resume.
 *
 * - Segments before the ack marker's segment were fully written to Redis: deleted.
 * - Sealed segments (all but the newest) were fsynced before the next one was created, so any bad
 *   record in one is damage, not a torn write: the file is named and the start refused (exit 2).
 * - In the newest segment, a record cut short, a last record whose checksum fails, or a tail of
 *   zeros is a torn write (a kill or power cut mid-write): reported, cut off, every record before
 *   it kept. A bad record with more data after it is damage, as above.
 */
import { closeSync, fstatSync, ftruncateSync, openSync, readdirSync, readSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { formatBytes } from '../byte-size.js';
import { InputError } from '../errors.js';
import { accessHint, describeFsError } from '../fs-errors.js';
import { readAck, type SpoolPosition } from './ack-marker.js';
import {
  type BadRecord,
  SEGMENT_HEADER_BYTES,
  SEGMENT_MAGIC,
  SegmentCursor,
  segmentName,
  segmentNumber,
} from './spool-format.js';

export interface RecoveredSegment {
  no: number;
  path: string;
  /** Bytes of whole records, header included (a torn tail is cut off). */
  size: number;
  /** Records in the file, and how many of them come before the ack position. */
  records: number;
  acked: number;
  /** Offset of the first record not yet in Redis. */
  resumeOffset: number;
}

export interface Recovery {
  /** Oldest first; each holds at least one record not yet in Redis. */
  segments: RecoveredSegment[];
  /** Where writing to Redis resumes (in segments[0]); undefined when nothing is pending. */
  resumeAt: SpoolPosition | undefined;
  /** Records not yet in Redis. */
  pending: number;
  /** The highest segment number seen (new segments are numbered after it). */
  lastNumber: number;
  /** Things the operator should hear about (torn records, an unreadable ack marker). */
  warnings: string[];
}

export function recoverSpool(dir: string): Recovery {
  const warnings: string[] = [];
  const numbers = readdirSync(dir)
    .map(segmentNumber)
    .filter((n): n is number => n !== undefined)
    .sort((a, b) => a - b);
  const ack = readAck(dir);
  const lastNumber = Math.max(0, ...numbers, ack.kind === 'ok' ? ack.position.segment : 0);
  if (ack.kind === 'unreadable')
    warnings.push(
      `spool: ack marker ${ack.path} is unreadable (${ack.reason}); writing every spooled record again (harmless: a repeated write changes nothing)`,
    );
  const ackAt = ack.kind === 'ok' ? ack.position : undefined;

  const segments: RecoveredSegment[] = [];
  for (const [i, no] of numbers.entries()) {
    const path = join(dir, segmentName(no));
    if (ackAt && no < ackAt.segment) {
      removeFile(path);
      continue;
    }
    const newest = i === numbers.length - 1;
    const seg = scanSegment(
      dir,
      path,
      no,
      newest,
      ackAt?.segment === no ? ackAt.offset : undefined,
      warnings,
    );
    if (seg === undefined || seg.records - seg.acked === 0) {
      // Nothing left to write from it.
      removeFile(path);
      continue;
    }
    segments.push(seg);
  }
  const first = segments[0];
  const pending = segments.reduce((n, s) => n + s.records - s.acked, 0);
  return {
    segments,
    resumeAt: first ? { segment: first.no, offset: first.resumeOffset } : undefined,
    pending,
    lastNumber,
    warnings,
  };
}

function scanSegment(
  dir: string,
  path: string,
  no: number,
  newest: boolean,
  ackOffset: number | undefined,
  warnings: string[],
): RecoveredSegment | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r+');
  } catch (err) {
    throw new InputError(`spool file ${path} cannot be opened (${describeFsError(err)})${ownerHint(err)}`);
  }
  try {
    const size = fstatSync(fd).size;
    const header = Buffer.alloc(SEGMENT_HEADER_BYTES);
    const got = size > 0 ? readSync(fd, header, 0, Math.min(size, SEGMENT_HEADER_BYTES), 0) : 0;
    if (got < SEGMENT_HEADER_BYTES || !header.equals(SEGMENT_MAGIC)) {
      const prefixOfMagic = header.subarray(0, got).equals(SEGMENT_MAGIC.subarray(0, got));
      if (newest && got < SEGMENT_HEADER_BYTES && (prefixOfMagic || isZero(header.subarray(0, got)))) {
        // Created, then cut short before its header was whole: it never held a record.
        if (got > 0) warnings.push(`spool: ${path} ends inside its header (${got} bytes): removed`);
        return undefined;
      }
      throw new InputError(
        `spool file ${path} is not an l1-fetch spool segment (bad header); move it out of ${dir} to start`,
      );
    }
    const cursor = new SegmentCursor(fd, SEGMENT_HEADER_BYTES, size);
    let records = 0;
    let acked = 0;
    let resumeOffset = SEGMENT_HEADER_BYTES;
    let ackOnBoundary = ackOffset === undefined || ackOffset === SEGMENT_HEADER_BYTES;
    for (;;) {
      if (ackOffset !== undefined && cursor.offset === ackOffset) {
        ackOnBoundary = true;
        acked = records;
        resumeOffset = ackOffset;
      }
      const step = cursor.next();
      if (step.kind === 'end') break;
      if (step.kind === 'record') {
        records += 1;
        continue;
      }
      const at = cursor.offset;
      if (!newest || !isTornTail(fd, step, at, size))
        throw new InputError(
          `spool file ${path} is damaged at byte ${at} (${step.reason}) with more data after it; move it out of ${dir} to start without it (the ${records} record(s) before that byte are intact)`,
        );
      warnings.push(
        `spool: torn last record in ${path} at byte ${at} (${step.reason}; a kill or power cut mid-write): skipped ${formatBytes(size - at)}, the ${records} record(s) before it are kept`,
      );
      try {
        ftruncateSync(fd, at);
      } catch (err) {
        throw new InputError(
          `spool file ${path}: cannot cut off its torn tail (${describeFsError(err)})${ownerHint(err)}`,
        );
      }
      break;
    }
    const end = cursor.offset;
    if (ackOffset !== undefined && ackOffset > end) {
      // Ahead of what survived (those records reached Redis before a power cut took them from disk).
      ackOnBoundary = true;
      acked = records;
      resumeOffset = end;
    }
    if (!ackOnBoundary) {
      warnings.push(
        `spool: ack marker points inside a record of ${path}; writing that file again from its start (harmless)`,
      );
      acked = 0;
      resumeOffset = SEGMENT_HEADER_BYTES;
    }
    return { no, path, size: end, records, acked, resumeOffset };
  } finally {
    closeSync(fd);
  }
}

/** A bad record at the end of the newest segment, or followed only by zeros, is a torn write. */
function isTornTail(fd: number, step: BadRecord, at: number, size: number): boolean {
  if (step.problem === 'short' || step.problem === 'past-end') return true;
  if (step.problem === 'checksum' && step.recordEnd === size) return true;
  return restIsZero(fd, at, size);
}

function restIsZero(fd: number, from: number, to: number): boolean {
  const buf = Buffer.allocUnsafe(64 * 1024);
  for (let at = from; at < to; ) {
    const n = readSync(fd, buf, 0, Math.min(buf.length, to - at), at);
    if (n === 0) return true;
    if (!isZero(buf.subarray(0, n))) return false;
    at += n;
  }
  return true;
}

function isZero(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b !== 0) return false;
  return true;
}

function removeFile(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    throw new InputError(`spool file ${path} cannot be removed (${describeFsError(err)})${ownerHint(err)}`);
  }
}

/** What to do about an earlier run's file this user may not open, cut or remove ('' for other errors). */
function ownerHint(err: unknown): string {
  return accessHint(err) && '; run as the user that wrote it, or give this user access to it';
}
