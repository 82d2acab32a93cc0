/**
 * Streams snapshots into one Parquet file. Rows are collected column by column on this thread and
 * handed over a row group at a time to an encoder thread (parquet-encoder-worker.ts), whose bytes
 * come back in file order and go to the sink. At most one row group is being encoded while the
 * next is collected, so memory stays at about two row groups whatever the number of rows, and the
 * Redis reads never wait for the encoding.
 */
import type { FileHandle } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import type { StoredSnapshot } from '../store/snapshot-hash.js';
import { ColumnPacker, transferList } from './packed-columns.js';
import type { EncoderReply, EncoderRequest } from './parquet-encoder-worker.js';

/** Rows per row group: a few MB compressed, small enough to keep memory flat, large enough for zstd. */
export const DEFAULT_ROW_GROUP_SIZE = 25_000;

/** The encoder thread's old-generation heap cap, MB. */
const ENCODER_HEAP_MB = 64;

export interface ParquetSnapshotWriterOptions {
  rowGroupSize?: number;
}

/** Takes a chunk of the file, in order; resolves once it is written. */
export type ByteSink = (chunk: Uint8Array) => Promise<void>;

export class ParquetSnapshotWriter {
  private readonly rowGroupSize: number;
  private readonly packer = new ColumnPacker();
  private readonly worker: Worker;
  private rows = 0;
  /** Sink writes, chained so chunks land in order. */
  private written: Promise<void> = Promise.resolve();
  /** The group the encoder is working on; the next is sent only when it is done. */
  private inFlight: Promise<void> = Promise.resolve();
  private waiting: { resolve: () => void; reject: (err: Error) => void } | undefined;
  private failure: Error | undefined;

  constructor(
    private readonly sink: ByteSink,
    options: ParquetSnapshotWriterOptions = {},
  ) {
    this.rowGroupSize = options.rowGroupSize ?? DEFAULT_ROW_GROUP_SIZE;
    // A row group's garbage is tens of MB; a capped heap makes V8 collect it instead of letting the
    // encoder's heap float up to hundreds of MB on a long export (the live set is far below this).
    this.worker = new Worker(new URL('./parquet-encoder-worker.js', import.meta.url), {
      resourceLimits: { maxOldGenerationSizeMb: ENCODER_HEAP_MB, maxYoungGenerationSizeMb: 8 },
    });
    this.worker.on('message', (m: EncoderReply) => this.onReply(m));
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => {
      if (this.waiting) this.fail(new Error(`the Parquet encoder thread stopped (code ${code})`));
    });
  }

  /** Rows added so far. */
  get count(): number {
    return this.rows;
  }

  async add(s: StoredSnapshot): Promise<void> {
    this.packer.add(s);
    this.rows += 1;
    if (this.packer.rows >= this.rowGroupSize) await this.sendGroup();
  }

  /** Writes the last row group and the footer; the file is complete once this resolves. */
  async finish(): Promise<void> {
    try {
      await this.sendGroup();
      await this.inFlight;
      await this.request({ type: 'finish' });
      await this.written;
    } finally {
      await this.worker.terminate();
    }
  }

  /** Stops the encoder without finishing the file (after a failure). */
  async abort(): Promise<void> {
    await this.worker.terminate();
  }

  private async sendGroup(): Promise<void> {
    if (this.packer.rows === 0) return;
    await this.inFlight;
    const packed = this.packer.pack();
    this.inFlight = this.request({ type: 'group', packed });
    // Surfaces an encoder failure at the next add() instead of as an unhandled rejection.
    this.inFlight.catch(() => {});
  }

  private request(message: EncoderRequest): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.worker.postMessage(message, message.type === 'group' ? transferList(message.packed) : []);
    });
  }

  private onReply(m: EncoderReply): void {
    if (m.type === 'bytes') {
      const chunk = new Uint8Array(m.buffer);
      this.written = this.written.then(() => this.sink(chunk));
      this.written.catch((err: unknown) => this.fail(err instanceof Error ? err : new Error(String(err))));
      return;
    }
    if (m.type === 'error') {
      this.fail(new Error(`Parquet encoding failed: ${m.message}`));
      return;
    }
    // group-done / finished: wait for the bytes to reach the sink, so memory cannot pile up.
    const waiting = this.waiting;
    this.waiting = undefined;
    this.written.then(
      () => waiting?.resolve(),
      (err: unknown) => waiting?.reject(err instanceof Error ? err : new Error(String(err))),
    );
  }

  private fail(err: Error): void {
    this.failure ??= err;
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.reject(err);
  }
}

export function fileSink(file: FileHandle): ByteSink {
  return async (chunk) => {
    let at = 0;
    while (at < chunk.length) {
      const { bytesWritten } = await file.write(chunk, at, chunk.length - at);
      at += bytesWritten;
    }
  };
}

/** A stream (stdout into a pipe). */
export function streamSink(out: Writable): ByteSink {
  return (chunk) =>
    new Promise((resolve, reject) => {
      const ok = out.write(chunk, (err) => {
        if (err) reject(err);
      });
      if (ok) resolve();
      else out.once('drain', resolve);
    });
}
