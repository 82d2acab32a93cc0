/**
 * An independent Parquet reader for the archive tests: DuckDB (its own C++ Parquet reader, nothing
 * shared with the hyparquet-writer that wrote the files). Times come back as epoch µs.
 */
import { DuckDBInstance } from '@duckdb/node-api';

export type ParquetRow = Record<string, string | number | null>;

const SELECT = `epoch_us(time) AS time_us, exchange, product_id, bid, bid_size, ask, ask_size,
  bid_f64, bid_size_f64, ask_f64, ask_size_f64, sequence, epoch_us(received_at) AS received_at_us,
  bids, asks, native_symbol, timestamp_source`;

/** Every row of the files matching `glob`, ordered by product and time; plus the column types. */
export async function readParquet(
  glob: string,
  options: { hive?: boolean; extra?: string } = {},
): Promise<{ rows: ParquetRow[]; types: Record<string, string> }> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    const source = `read_parquet('${glob.replace(/'/g, "''")}'${options.hive ? ', hive_partitioning = true' : ''})`;
    const result = await c.runAndReadAll(
      `SELECT ${SELECT}${options.extra ? `, ${options.extra}` : ''} FROM ${source} ORDER BY exchange, product_id, time_us, sequence`,
    );
    const rows = result.getRowObjectsJS().map((r) => {
      const out: ParquetRow = {};
      for (const [k, v] of Object.entries(r))
        out[k] = typeof v === 'bigint' ? Number(v) : (v as string | number | null);
      return out;
    });
    const described = await c.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`);
    const types: Record<string, string> = {};
    for (const d of described.getRowObjectsJS()) types[String(d.column_name)] = String(d.column_type);
    return { rows, types };
  } finally {
    c.closeSync();
    db.closeSync();
  }
}
