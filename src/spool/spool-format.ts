/**
 * The spool's on-disk format (docs/architecture.md, "Crash-safe spool").
 *
 * A segment file starts with the 8-byte magic `L1SPOOL1` (the last byte is the format version),
 * then records back to back:
 *
 *   u32 LE  payload length in bytes
 *   u32 LE  CRC-32 (IEEE, as zlib) of the payload
 *   payload the snapshot as UTF-8 JSON (prices and sizes stay the venue's strings)
 *
 * The length finds the next record, the checksum tells a whole record from a torn or damaged one.
 */
import { readSync } from 'node:fs';
import * as zlib from 'node:zlib';
import type { L1Snapshot } from '../snapshot.js';

export const SEGMENT_MAGIC = Buffer.from('L1SPOOL1', 'latin1');
export const SEGMENT_HEADER_BYTES = SEGMENT_MAGIC.length;
export const RECORD_HEADER_BYTES = 8;
/** No level-1 snapshot comes near this; a larger length is damage, not data. */
export const MAX_PAYLOAD_BYTES = 1 << 20;

const SEGMENT_NAME = /^segment-(\d{16})\.spool$/;

export function segmentName(no: number): string {
  return `segment-${String(no).padStart(16, '0')}.spool`;
}

/** The segment number in a file name, or undefined for any other file. */
export function segmentNumber(name: string): number | undefined {
  const m = SEGMENT_NAME.exec(name);
  return m ? Number(m[1]) : undefined;
}

// zlib.crc32 is native from Node 20.15 / 22.2; older Node 20 releases get the table version.
const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;
let table: Uint32Array | undefined;

function tableCrc32(data: Uint8Array): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (const byte of data) crc = (table[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

export const crc32: (data: Uint8Array) => number = nativeCrc32 ?? tableCrc32;

/** Encodes records into one growing buffer, so a whole batch goes to the file in one write. */
export class RecordEncoder {
  private buf = Buffer.allocUnsafe(64 * 1024);
  /** Bytes encoded and not yet taken. */
  length = 0;

  /** Appends one record. */
  add(snapshot: L1Snapshot): void {
    const json = JSON.stringify(snapshot);
    // UTF-8 needs at most 3 bytes per UTF-16 unit.
    this.reserve(RECORD_HEADER_BYTES + json.length * 3);
    const start = this.length;
    const payload = start + RECORD_HEADER_BYTES;
    const bytes = this.buf.write(json, payload, 'utf8');
    this.buf.writeUInt32LE(bytes, start);
    this.buf.writeUInt32LE(crc32(this.buf.subarray(payload, payload + bytes)), start + 4);
    this.length = payload + bytes;
  }

  /** The encoded bytes (a view, valid until the next add); call clear() once written. */
  bytes(): Buffer {
    return this.buf.subarray(0, this.length);
  }

  clear(): void {
    this.length = 0;
    // A burst can grow the buffer a lot; do not keep a huge one for good.
    if (this.buf.length > 8 * 1024 * 1024) this.buf = Buffer.allocUnsafe(64 * 1024);
  }

  private reserve(extra: number): void {
    if (this.length + extra <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + extra));
    this.buf.copy(grown, 0, 0, this.length);
    this.buf = grown;
  }
}

/**
 * Why the bytes at a cursor's offset are not a whole, intact record: `short` (too few bytes left
 * for a header), `past-end` (the length runs past the end), `length` (an impossible length),
 * `checksum` (the payload does not match its checksum; `recordEnd` is where it claimed to end).
 */
export type BadRecord =
  | { kind: 'bad'; problem: 'short' | 'past-end' | 'length'; reason: string }
  | { kind: 'bad'; problem: 'checksum'; reason: string; recordEnd: number };

export type CursorStep = { kind: 'record'; payload: Buffer } | { kind: 'end' } | BadRecord;

/**
 * Reads a segment's records one after another, from `offset` up to `end`, in large chunks. A
 * record's payload is a view into the cursor's buffer, valid until the next call.
 */
export class SegmentCursor {
  private buf = Buffer.allocUnsafe(1024 * 1024);
  /** File offset of buf[0], and how many bytes of the file buf holds from there. */
  private bufStart = 0;
  private bufLength = 0;

  constructor(
    private readonly fd: number,
    /** File offset of the next record. */
    public offset: number,
    /** Where the segment's bytes end (its size, or what has been written of the active one). */
    public end: number,
  ) {}

  next(): CursorStep {
    if (this.offset >= this.end) return { kind: 'end' };
    const left = this.end - this.offset;
    if (left < RECORD_HEADER_BYTES)
      return { kind: 'bad', problem: 'short', reason: `${left} byte(s) where a record header needs 8` };
    let at = this.load(RECORD_HEADER_BYTES);
    const length = this.buf.readUInt32LE(at);
    const crc = this.buf.readUInt32LE(at + 4);
    const recordEnd = this.offset + RECORD_HEADER_BYTES + length;
    if (length === 0 || length > MAX_PAYLOAD_BYTES)
      return { kind: 'bad', problem: 'length', reason: `impossible record length ${length}` };
    if (recordEnd > this.end)
      return {
        kind: 'bad',
        problem: 'past-end',
        reason: `a record of ${length} bytes runs past the end of the file`,
      };
    at = this.load(RECORD_HEADER_BYTES + length);
    const payload = this.buf.subarray(at + RECORD_HEADER_BYTES, at + RECORD_HEADER_BYTES + length);
    if (crc32(payload) !== crc)
      return { kind: 'bad', problem: 'checksum', reason: 'checksum mismatch', recordEnd };
    this.offset = recordEnd;
    return { kind: 'record', payload };
  }

  /** Makes `need` bytes from `offset` available in buf; returns their index in buf. */
  private load(need: number): number {
    const at = this.offset - this.bufStart;
    if (at >= 0 && at + need <= this.bufLength) return at;
    if (need > this.buf.length) this.buf = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
    this.bufStart = this.offset;
    this.bufLength = 0;
    const want = Math.min(this.buf.length, this.end - this.offset);
    while (this.bufLength < need) {
      const n = readSync(
        this.fd,
        this.buf,
        this.bufLength,
        want - this.bufLength,
        this.offset + this.bufLength,
      );
      if (n === 0) throw new Error(`unexpected end of file at byte ${this.offset + this.bufLength}`);
      this.bufLength += n;
    }
    return 0;
  }
}
