/**
 * When a range query reaches back into time the archiver has moved out of Redis, l1-query says so
 * on stderr and names the files (it does not read Parquet itself: DuckDB, pandas and Spark do that
 * better). The archiver records per product where it wrote and what range (ARCHIVED_KEY).
 */
import { ARCHIVED_KEY, type ProductRef, productMember } from '../store/keys.js';
import type { RedisStore } from '../store/redis-store.js';

/** Files named in full; the rest are counted. */
const MAX_NAMED = 5;

/**
 * A line for stderr for each product of `refs` whose part of [from, to] is in the archive (none
 * without a range). `found[i]` is how many snapshots of `refs[i]` Redis still had in the range.
 * One HMGET for all; the record's parser and the archive tree are loaded only when a product has
 * a record, so a range query over a tape that was never archived pays one round trip.
 */
export async function archiveNotes(
  store: RedisStore,
  refs: readonly ProductRef[],
  fromMicros: number | undefined,
  toMicros: number | undefined,
  found: readonly number[],
): Promise<string[]> {
  if ((fromMicros === undefined && toMicros === undefined) || refs.length === 0) return [];
  const texts = await store.redis.hmget(
    ARCHIVED_KEY,
    ...refs.map((r) => productMember(r.exchange, r.productId)),
  );
  if (texts.every((t) => t === null)) return [];
  const [{ parseRecord }, { partsOverlapping }] = await Promise.all([
    import('../archive/archived-record.js'),
    import('../archive/archive-layout.js'),
  ]);
  const notes: string[] = [];
  for (const [i, ref] of refs.entries()) {
    const record = parseRecord(texts[i]);
    if (
      !record ||
      (fromMicros !== undefined && record.last < fromMicros) ||
      (toMicros !== undefined && record.first > toMicros)
    )
      continue;
    const parts = await partsOverlapping(record.dir, ref.exchange, ref.productId, fromMicros, toMicros);
    if (parts.length === 0) continue;
    const names = parts.slice(0, MAX_NAMED).map((p) => p.path);
    const more = parts.length > MAX_NAMED ? ` and ${parts.length - MAX_NAMED} more` : '';
    const what =
      (found[i] ?? 0) === 0
        ? 'this range is only in the archive'
        : 'part of this range is only in the archive';
    notes.push(
      `${what}: ${ref.exchange} ${ref.productId} was archived to ${record.dir}; ${parts.length} file${parts.length === 1 ? '' : 's'}: ${names.join(', ')}${more}`,
    );
  }
  return notes;
}
