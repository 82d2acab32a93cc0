/**
 * Removing exactly the snapshots the archiver wrote to a file: by key, never by time range, so a
 * snapshot that arrived late into an archived range stays in Redis (the next run archives it).
 */
import type { KeyScheme, ProductRef } from './keys.js';
import { LuaScript } from './lua-script.js';
import type { RedisClient } from './redis-client.js';

const removeScript = new LuaScript('./remove-snapshots.lua');

/** Snapshots per script call: Redis is busy for well under a millisecond per call. */
export const REMOVE_BATCH = 500;

/**
 * Removes `snapshotKeys` (keys of `ref`'s snapshots, in scheme `keys`) from Redis, hash and index entry together, in calls of
 * at most `batch` keys. `afterBatch` runs after each call (the crash tests stop there).
 * Returns how many were still there and are now removed.
 */
export async function removeSnapshots(
  redis: RedisClient,
  keys: KeyScheme,
  ref: ProductRef,
  snapshotKeys: readonly string[],
  options: { batch?: number; afterBatch?: (removedSoFar: number) => void } = {},
): Promise<number> {
  // The product's index key and its snapshot keys share one hash slot under the cluster scheme.
  const index = keys.indexKey(ref.exchange, ref.productId);
  const batch = options.batch ?? REMOVE_BATCH;
  let removed = 0;
  for (let start = 0; start < snapshotKeys.length; start += batch) {
    const chunk = snapshotKeys.slice(start, start + batch);
    removed += (await removeScript.run(redis, [index, ...chunk], [])) as number;
    options.afterBatch?.(removed);
  }
  return removed;
}
