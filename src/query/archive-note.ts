/**
 * When a range query reaches back into time the archiver has moved out of Redis, l1-query says so
 * on stderr and names the files (it does not read Parquet itself: DuckDB, pandas and Spark do that
 * better). The archiver records per product where it wrote and what range (ARCHIVED_KEY).
 */
import { partsOverlapping } from '../archive/archive-layout.js';
import { parseRecord } from '../archive/archived-record.js';
import { ARCHIVED_KEY, type ProductRef, productMember } from '../store/keys.js';
import type { RedisStore } from '../store/redis-store.js';

/** Files named in full; the rest are counted. */
const MAX_NAMED = 5;

/** A line for stderr when part of [from, to] is in the archive; undefined otherwise. */
export async function archiveNote(
  store: RedisStore,
  ref: ProductRef,
  fromMicros: number | undefined,
  toMicros: number | undefined,
  foundInRedis: number,
): Promise<string | undefined> {
  if (fromMicros === undefined && toMicros === undefined) return undefined;
  const record = parseRecord(
    await store.redis.hget(ARCHIVED_KEY, productMember(ref.exchange, ref.productId)),
  );
  if (!record) return undefined;
  if (
    (fromMicros !== undefined && record.last < fromMicros) ||
    (toMicros !== undefined && record.first > toMicros)
  )
    return undefined;
  const parts = await partsOverlapping(record.dir, ref.exchange, ref.productId, fromMicros, toMicros);
  if (parts.length === 0) return undefined;
  const names = parts.slice(0, MAX_NAMED).map((p) => p.path);
  const more = parts.length > MAX_NAMED ? ` and ${parts.length - MAX_NAMED} more` : '';
  const what =
    foundInRedis === 0 ? 'this range is only in the archive' : 'part of this range is only in the archive';
  return `${what}: ${ref.exchange} ${ref.productId} was archived to ${record.dir}; ${parts.length} file${parts.length === 1 ? '' : 's'}: ${names.join(', ')}${more}`;
}
