/**
 * The Parquet encoder thread: runs a ParquetEncoder on row groups sent by ParquetSnapshotWriter
 * and hands the bytes back transferred, not copied. Encoding is the costly half of an export; on
 * its own thread it runs beside the Redis reads instead of after them.
 *
 * Messages in:  { type: 'group', packed }  then  { type: 'finish' }
 * Messages out: { type: 'done', buffers } per request (bytes in file order), or { type: 'error', message }
 */
import { parentPort } from 'node:worker_threads';
import type { PackedColumns } from './packed-columns.js';
import { ParquetEncoder } from './parquet-encoder.js';

export type EncoderRequest = { type: 'group'; packed: PackedColumns } | { type: 'finish' };
export type EncoderReply = { type: 'done'; buffers: ArrayBuffer[] } | { type: 'error'; message: string };

const port = parentPort;
if (port) {
  const encoder = new ParquetEncoder();
  port.on('message', async (message: EncoderRequest) => {
    try {
      const buffers = message.type === 'group' ? await encoder.group(message.packed) : await encoder.finish();
      port.postMessage({ type: 'done', buffers } satisfies EncoderReply, buffers);
    } catch (err) {
      port.postMessage({
        type: 'error',
        message: err instanceof Error ? err.message : String(err),
      } satisfies EncoderReply);
    }
  });
}
