/**
 * The Parquet encoder thread: takes packed row groups, encodes and zstd-compresses them with
 * hyparquet-writer, and hands the bytes back (transferred, not copied). Encoding is the costly half
 * of an export; on its own thread it runs beside the Redis reads instead of after them.
 *
 * Messages in:  { type: 'group', packed }  then  { type: 'finish' }
 * Messages out: { type: 'bytes', buffer } (in file order), { type: 'group-done' }, { type: 'finished' },
 *               { type: 'error', message }
 */
import { parentPort } from 'node:worker_threads';
import { ByteWriter, ParquetWriter, type Writer } from 'hyparquet-writer';
import { PACKAGE_VERSION } from '../version.js';
import type { PackedColumns } from './packed-columns.js';
import { SNAPSHOT_SCHEMA, snapshotColumns } from './parquet-columns.js';
import { loadZstd, zstdCompress } from './zstd.js';

export type EncoderRequest = { type: 'group'; packed: PackedColumns } | { type: 'finish' };
export type EncoderReply =
  | { type: 'bytes'; buffer: ArrayBuffer }
  | { type: 'group-done' }
  | { type: 'finished' }
  | { type: 'error'; message: string };

const port = parentPort;
if (!port) throw new Error('parquet-encoder-worker runs as a worker thread');

const reply = (message: EncoderReply, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

const bytes: ByteWriter & Pick<Writer, 'flush'> = new ByteWriter(1 << 20);
bytes.flush = () => {
  if (bytes.index === 0) return;
  const buffer = bytes.buffer.slice(0, bytes.index);
  bytes.index = 0;
  reply({ type: 'bytes', buffer }, [buffer]);
};
bytes.finish = () => bytes.flush?.();

let writer: ParquetWriter | undefined;

port.on('message', async (message: EncoderRequest) => {
  try {
    await loadZstd();
    writer ??= new ParquetWriter({
      writer: bytes,
      schema: SNAPSHOT_SCHEMA,
      codec: 'ZSTD',
      compressors: { ZSTD: zstdCompress },
      kvMetadata: [{ key: 'l1-orderbook.version', value: PACKAGE_VERSION }],
      createdBy: `l1-orderbook ${PACKAGE_VERSION} (hyparquet-writer)`,
    });
    if (message.type === 'group') {
      await writer.write({ columnData: snapshotColumns(message.packed), rowGroupSize: message.packed.rows });
      reply({ type: 'group-done' });
    } else {
      await writer.finish();
      reply({ type: 'finished' });
    }
  } catch (err) {
    reply({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  }
});
