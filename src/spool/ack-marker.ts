/**
 * The spool's committed position: everything before (segment, offset) is confirmed in Redis.
 *
 * One 32-byte record, rewritten in place (one pwrite per acknowledged batch, no new blocks, so it
 * works on a full disk too):
 *
 *   8 bytes  magic `L1SPACK1`
 *   u64 LE   segment number
 *   u64 LE   byte offset in that segment (the start of the first unacknowledged record)
 *   u32 LE   CRC-32 of the 24 bytes above
 *   4 bytes  zero
 *
 * It is never fsynced, and need not be: a marker that lags (lost in a power cut, or unreadable)
 * only means records already in Redis are written again, which the idempotent write script turns
 * into no-ops. It can never run ahead of Redis, since it is written only after Redis confirmed.
 */
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { code, describeFsError } from '../fs-errors.js';
import { crc32 } from './spool-format.js';

export const ACK_FILE = 'ack';
const MAGIC = Buffer.from('L1SPACK1', 'latin1');
const SIZE = 32;

export interface SpoolPosition {
  segment: number;
  offset: number;
}

export type AckRead =
  | { kind: 'none' }
  | { kind: 'ok'; position: SpoolPosition }
  | { kind: 'unreadable'; path: string; reason: string };

export function readAck(dir: string): AckRead {
  const path = join(dir, ACK_FILE);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    if (code(err) === 'ENOENT') return { kind: 'none' };
    return { kind: 'unreadable', path, reason: describeFsError(err) };
  }
  if (bytes.length !== SIZE || !bytes.subarray(0, 8).equals(MAGIC))
    return { kind: 'unreadable', path, reason: `not an ack record (${bytes.length} bytes)` };
  if (crc32(bytes.subarray(0, 24)) !== bytes.readUInt32LE(24))
    return { kind: 'unreadable', path, reason: 'checksum mismatch' };
  return {
    kind: 'ok',
    position: { segment: Number(bytes.readBigUInt64LE(8)), offset: Number(bytes.readBigUInt64LE(16)) },
  };
}

/** Keeps the ack file open and overwrites its one record. */
export class AckWriter {
  private readonly fd: number;
  private readonly buf = Buffer.alloc(SIZE);

  constructor(dir: string) {
    this.fd = openSync(join(dir, ACK_FILE), 'w');
    MAGIC.copy(this.buf, 0);
  }

  write(position: SpoolPosition): void {
    this.buf.writeBigUInt64LE(BigInt(position.segment), 8);
    this.buf.writeBigUInt64LE(BigInt(position.offset), 16);
    this.buf.writeUInt32LE(crc32(this.buf.subarray(0, 24)), 24);
    writeSync(this.fd, this.buf, 0, SIZE, 0);
  }

  close(): void {
    closeSync(this.fd);
  }
}
