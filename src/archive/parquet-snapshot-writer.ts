/**
 * Streams snapshots into one Parquet file. Rows are collected column by column on this thread and
 * handed over a row group at a time to an encoder thread (parquet-encoder-worker.ts); its bytes
 * come back in file order and go to the sink. At most one row group is being encoded while the
 * next is collected, so memory stays at about two row groups whatever the number of rows, and the
 * Redis reads do not wait for the encoding. A file of one row group is encoded inline (channel()).
 */
import { existsSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { StoredFields } from '../store/snapshot-hash.js';
import { ColumnPacker, type PackedColumns, transferList } from './packed-columns.js';
import { ParquetEncoder } from './parquet-encoder.js';
import type { EncoderReply, EncoderRequest } from './parquet-encoder-worker.js';

/** Rows per row group: a few MB compressed, small enough to keep memory flat, large enough for zstd. */
export const DEFAULT_ROW_GROUP_SIZE = 25_000;

/**
 * The encoder thread's heap caps, MB. A row group leaves tens of MB of garbage; capped, V8
 * collects it instead of letting the heap float up to hundreds of MB on a long export.
 */
const ENCODER_OLD_MB = 64;
const ENCODER_YOUNG_MB = 8;

const WORKER_URL = new URL('./parquet-encoder-worker.js', import.meta.url);

export interface ParquetSnapshotWriterOptions {
  rowGroupSize?: number;
}

/** Takes a chunk of the file, in order; resolves once it is written. */
export type ByteSink = (chunk: Uint8Array) => Promise<void>;

/** Runs encoder requests one at a time, on the thread or inline. */
interface EncoderChannel {
  request(message: EncoderRequest): Promise<ArrayBuffer[]>;
  close(): Promise<void>;
}

export class ParquetSnapshotWriter {
  private readonly rowGroupSize: number;
  private readonly packer = new ColumnPacker();
  /** Chosen when the first row group is sent (channel()). */
  private encoder: EncoderChannel | undefined;
  private rows = 0;
  /** The row group being encoded and written; the next is sent only when it is done. */
  private inFlight: Promise<void> = Promise.resolve();

  constructor(
    private readonly sink: ByteSink,
    options: ParquetSnapshotWriterOptions = {},
  ) {
    this.rowGroupSize = options.rowGroupSize ?? DEFAULT_ROW_GROUP_SIZE;
  }

  /** Rows added so far. */
  get count(): number {
    return this.rows;
  }

  /**
   * Adds snapshot `j` of a page read as stored text (RedisStore.rangeFields); returns a promise
   * only when a row group went to the encoder (await it), so most rows cost no await.
   */
  add(page: StoredFields, j: number): Promise<void> | undefined {
    this.packer.add(page, j);
    this.rows += 1;
    return this.packer.rows >= this.rowGroupSize ? this.sendGroup() : undefined;
  }

  /** Adds every snapshot of a page. */
  async addPage(page: StoredFields): Promise<void> {
    for (let j = 0; j < page.keys.length; j++) {
      const sent = this.add(page, j);
      if (sent) await sent;
    }
  }

  /** Writes the last row group and the footer; the file is complete once this resolves. */
  async finish(): Promise<void> {
    try {
      await this.sendGroup(true);
      await this.inFlight;
      await this.write(await this.channel(true).request({ type: 'finish' }));
    } finally {
      await this.encoder?.close();
    }
  }

  /** Stops the encoder without finishing the file (after a failure). */
  async abort(): Promise<void> {
    this.inFlight.catch(() => {});
    await this.encoder?.close();
  }

  /**
   * The encoder, chosen with the first row group: a thread when the file has more than one group
   * (the compiled package has the worker script), else inline. A thread's start (its module loads,
   * zstd's init) costs more than encoding one small group, and the background archiver writes many
   * small files. The TypeScript sources (vitest, the bench's imports) have only the .ts: inline.
   */
  private channel(lastGroup: boolean): EncoderChannel {
    this.encoder ??= !lastGroup && existsSync(fileURLToPath(WORKER_URL)) ? threadChannel() : inlineChannel();
    return this.encoder;
  }

  private async sendGroup(lastGroup = false): Promise<void> {
    if (this.packer.rows === 0) return;
    await this.inFlight;
    const packed: PackedColumns = this.packer.pack();
    const encoder = this.channel(lastGroup);
    this.inFlight = encoder.request({ type: 'group', packed }).then((buffers) => this.write(buffers));
    // An encoder or sink failure surfaces at the next add() or finish(), not as an unhandled rejection.
    this.inFlight.catch(() => {});
  }

  private async write(buffers: ArrayBuffer[]): Promise<void> {
    for (const b of buffers) await this.sink(new Uint8Array(b));
  }
}

function threadChannel(): EncoderChannel {
  const worker = new Worker(WORKER_URL, {
    resourceLimits: { maxOldGenerationSizeMb: ENCODER_OLD_MB, maxYoungGenerationSizeMb: ENCODER_YOUNG_MB },
  });
  let waiting: { resolve: (b: ArrayBuffer[]) => void; reject: (err: Error) => void } | undefined;
  let failure: Error | undefined;
  const fail = (err: Error) => {
    failure ??= err;
    waiting?.reject(err);
    waiting = undefined;
  };
  worker.on('message', (m: EncoderReply) => {
    if (m.type === 'error') return fail(new Error(`Parquet encoding failed: ${m.message}`));
    waiting?.resolve(m.buffers);
    waiting = undefined;
  });
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`the Parquet encoder thread stopped (exit ${code})`)));
  return {
    request(message) {
      if (failure) return Promise.reject(failure);
      return new Promise((resolve, reject) => {
        waiting = { resolve, reject };
        worker.postMessage(message, message.type === 'group' ? transferList(message.packed) : []);
      });
    },
    async close() {
      waiting = undefined;
      await worker.terminate();
    },
  };
}

function inlineChannel(): EncoderChannel {
  const encoder = new ParquetEncoder();
  return {
    request: (m) => (m.type === 'group' ? encoder.group(m.packed) : encoder.finish()),
    close: async () => {},
  };
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

/** A stream (stdout into a pipe, a device). A failed write rejects with the stream's first error. */
export function streamSink(out: Writable): ByteSink {
  return (chunk) =>
    new Promise((resolve, reject) => {
      // Once a write has failed the stream is destroyed, and later writes only say so.
      if (out.errored) return reject(out.errored);
      const ok = out.write(chunk, (err) => {
        if (err) reject(out.errored ?? err);
      });
      if (ok) resolve();
      else out.once('drain', resolve);
    });
}
