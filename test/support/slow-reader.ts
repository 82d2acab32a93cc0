/**
 * A reader that takes a child's output slowly: nothing at first, then everything it can until
 * `slowAfterBytes`, then only `stepBytes` per `tickMs`. While it is slow the writer is held up by
 * the pipe all the way to its last write, so output a writer leaves unflushed at exit is lost.
 */
import type { Readable } from 'node:stream';

export interface SlowReadOptions {
  /** Read nothing for this long after the start. */
  startPauseMs: number;
  /** From this many bytes on, read slowly (Infinity: never). */
  slowAfterBytes: number;
  /** Bytes taken per tick when slow. */
  stepBytes: number;
  tickMs: number;
  /** Told the running total after each read. */
  onProgress?: (received: number) => void;
}

/** Everything `out` delivered, once it ends. */
export function readSlowly(out: Readable, o: SlowReadOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const started = performance.now();
    const take = (chunk: Buffer | null): boolean => {
      if (chunk === null) return false;
      chunks.push(chunk);
      received += chunk.length;
      o.onProgress?.(received);
      return true;
    };
    const fast = () => performance.now() - started >= o.startPauseMs && received < o.slowAfterBytes;
    // Reading on 'readable' also keeps the stream paused otherwise: Node resumes a child's stdio
    // when the child exits, which would turn this slow reader into a fast one when it matters.
    out.on('readable', () => {
      while (fast() && take(out.read() as Buffer | null));
    });
    const timer = setInterval(() => {
      if (performance.now() - started < o.startPauseMs) return;
      if (fast()) while (take(out.read() as Buffer | null));
      else take(out.read(o.stepBytes) as Buffer | null);
    }, o.tickMs);
    out.on('error', (err) => {
      clearInterval(timer);
      reject(err);
    });
    out.on('end', () => {
      clearInterval(timer);
      resolve(Buffer.concat(chunks));
    });
  });
}
