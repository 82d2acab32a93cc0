/**
 * Spool directories for tests: written through the real Spool (as an earlier run would leave them),
 * and read back record by record, so a test can say what is on disk.
 */
import { closeSync, mkdtempSync, openSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { L1Snapshot } from '../../src/snapshot.js';
import { Spool, type SpoolLog } from '../../src/spool/spool.js';
import { SEGMENT_HEADER_BYTES, SegmentCursor, segmentNumber } from '../../src/spool/spool-format.js';

/** A log that keeps its lines, `level: message`. */
export function memoryLog(): SpoolLog & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(`info: ${m}`),
    warn: (m) => lines.push(`warn: ${m}`),
    error: (m) => lines.push(`error: ${m}`),
  };
}

export function tempDir(prefix = 'l1-spool-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Leaves `snapshots` in `dir` as a run would that never reached Redis (then exited). */
export function writeSpool(
  dir: string,
  snapshots: readonly L1Snapshot[],
  options: { segmentBytes?: number; maxBytes?: number } = {},
): void {
  const spool = Spool.open({
    dir,
    maxBytes: options.maxBytes ?? 1024 ** 3,
    maxMemory: 1000,
    log: memoryLog(),
    ...(options.segmentBytes ? { segmentBytes: options.segmentBytes } : {}),
  });
  for (const s of snapshots) spool.append(s);
  spool.close();
}

/** Segment file paths, oldest first. */
export function segmentFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => segmentNumber(name) !== undefined)
    .sort()
    .map((name) => join(dir, name));
}

/** Every whole record in the directory's segments, parsed, oldest first (acknowledged ones too). */
export function spooledRecords(dir: string): L1Snapshot[] {
  const out: L1Snapshot[] = [];
  for (const path of segmentFiles(dir)) {
    const fd = openSync(path, 'r');
    try {
      const cursor = new SegmentCursor(fd, SEGMENT_HEADER_BYTES, statSync(path).size);
      for (let step = cursor.next(); step.kind === 'record'; step = cursor.next())
        out.push(JSON.parse(step.payload.toString('utf8')) as L1Snapshot);
    } finally {
      closeSync(fd);
    }
  }
  return out;
}
