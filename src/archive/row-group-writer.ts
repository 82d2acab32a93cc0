/**
 * Writes one row group of snapshots into a hyparquet-writer ParquetWriter: the PLAIN text and
 * timestamp columns through plain-chunks.ts, the dictionary candidates through hyparquet-writer's
 * own column writer, then the row group's entry for the footer, exactly as `ParquetWriter.write`
 * records it (its `finish()` then writes the page indexes and the footer). `write()` itself takes one
 * object per value for every column; see plain-chunks.ts for why that is avoided here.
 */
import type { ColumnChunk, SchemaElement } from 'hyparquet';
import type { ParquetWriter } from 'hyparquet-writer';
import { writeColumn } from 'hyparquet-writer/src/column.js';
import type { ColumnPlan } from './parquet-columns.js';
import { type PlainColumn, type WrittenChunk, writeTextChunk, writeTimestampChunk } from './plain-chunks.js';

/** hyparquet-writer's default page size (ParquetWriter.write), kept so pages are cut as before. */
const PAGE_SIZE = 1 << 20;

type ColumnEncoder = Parameters<typeof writeColumn>[0]['column'];

/**
 * Text values are views into their column's one buffer (packed-columns.ts): a min or max kept for
 * the footer gets its own copy, so the footer does not hold every row group's buffer.
 */
function ownStatistics(chunk: ColumnChunk): void {
  const stats = chunk.meta_data?.statistics;
  if (!stats) return;
  if (stats.min_value instanceof Uint8Array) stats.min_value = stats.min_value.slice();
  if (stats.max_value instanceof Uint8Array) stats.max_value = stats.max_value.slice();
}

export function writeRowGroup(parquet: ParquetWriter, rows: number, plans: readonly ColumnPlan[]): void {
  const writer = parquet.writer;
  const groupStart = writer.offset;
  const compress = parquet.compressors.ZSTD;
  if (!compress) throw new Error('no ZSTD compressor');
  const root = parquet.schema[0] as SchemaElement;
  const written: WrittenChunk[] = plans.map((plan, k) => {
    const element = parquet.schema[k + 1];
    if (element?.name !== plan.name) throw new Error(`column ${plan.name} is not column ${k} of the schema`);
    const plain: PlainColumn = { element, statistics: plan.statistics, compress, pageSize: PAGE_SIZE };
    if (plan.kind === 'text') return writeTextChunk(writer, plain, plan.values);
    if (plan.kind === 'timestamp') return writeTimestampChunk(writer, plain, plan.micros);
    const optional = element.repetition_type === 'OPTIONAL';
    const column: ColumnEncoder = {
      columnName: plan.name,
      element,
      schemaPath: [root, element],
      codec: 'ZSTD',
      compressors: parquet.compressors,
      stats: plan.statistics,
      pageSize: PAGE_SIZE,
      columnIndex: false,
      offsetIndex: true,
      ...(parquet.statisticsTruncateLength === undefined
        ? {}
        : { statisticsTruncateLength: parquet.statisticsTruncateLength }),
    };
    const definitionLevels: number[] = optional ? Array.from(plan.values, (v) => (v === null ? 0 : 1)) : [];
    const chunk = writeColumn({
      writer,
      column,
      pageData: {
        values: plan.values,
        definitionLevels,
        repetitionLevels: [],
        maxDefinitionLevel: optional ? 1 : 0,
      },
    });
    ownStatistics(chunk.chunk);
    return chunk;
  });
  const columns: ColumnChunk[] = written.map((w) => w.chunk);
  let totalByteSize = 0n;
  for (const c of columns) totalByteSize += c.meta_data?.total_uncompressed_size ?? 0n;
  parquet.pendingIndexes.push(...written);
  parquet.num_rows += BigInt(rows);
  parquet.row_groups.push({
    columns,
    total_byte_size: totalByteSize,
    num_rows: BigInt(rows),
    total_compressed_size: BigInt(writer.offset - groupStart),
  });
}
