/**
 * Encodes packed row groups into Parquet bytes (hyparquet-writer, zstd): the file's bytes come out
 * in order, a row group at a time, then the footer. Used on the encoder thread, or inline where
 * there is no compiled worker script (tests and the bench running the TypeScript sources).
 */
import { ByteWriter, ParquetWriter, type Writer } from 'hyparquet-writer';
import { PACKAGE_VERSION } from '../version.js';
import type { PackedColumns } from './packed-columns.js';
import { columnPlans, SNAPSHOT_SCHEMA } from './parquet-columns.js';
import { writeRowGroup } from './row-group-writer.js';
import { loadZstd, zstdCompress } from './zstd.js';

export class ParquetEncoder {
  private readonly bytes: ByteWriter & Pick<Writer, 'flush'> = new ByteWriter(1 << 20);
  private readonly out: ArrayBuffer[] = [];
  private writer: ParquetWriter | undefined;

  constructor() {
    const bytes = this.bytes;
    bytes.flush = () => {
      if (bytes.index === 0) return;
      this.out.push(bytes.buffer.slice(0, bytes.index));
      bytes.index = 0;
    };
    bytes.finish = () => bytes.flush?.();
  }

  /** Encodes one row group; returns the bytes to append to the file. */
  async group(packed: PackedColumns): Promise<ArrayBuffer[]> {
    const writer = await this.open();
    if (packed.rows > 0) writeRowGroup(writer, packed.rows, columnPlans(packed));
    this.bytes.flush?.();
    return this.take();
  }

  /** The page indexes and the footer: the file's last bytes. */
  async finish(): Promise<ArrayBuffer[]> {
    const writer = await this.open();
    await writer.finish();
    return this.take();
  }

  private async open(): Promise<ParquetWriter> {
    await loadZstd();
    this.writer ??= new ParquetWriter({
      writer: this.bytes,
      schema: SNAPSHOT_SCHEMA,
      codec: 'ZSTD',
      compressors: { ZSTD: zstdCompress },
      kvMetadata: [{ key: 'l1-orderbook.version', value: PACKAGE_VERSION }],
      createdBy: `l1-orderbook ${PACKAGE_VERSION} (hyparquet-writer)`,
    });
    return this.writer;
  }

  private take(): ArrayBuffer[] {
    return this.out.splice(0, this.out.length);
  }
}
