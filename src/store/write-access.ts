/**
 * A check at start that the Redis user may run the write path, before anything is fetched: a
 * read-only ACL user then fails in one line (exit 1) instead of at its first write, and nothing
 * is written. Redis 7's redis.acl_check_cmd answers without running the commands. On Redis 6.2,
 * which lacks it, the check is skipped and a denied write fails on its own (also one line).
 */
import { RedisUnavailableError } from '../errors.js';
import type { ExchangeId } from '../exchanges/exchange-ids.js';
import { KEY_PREFIX } from './keys.js';
import { LuaScript } from './lua-script.js';
import { keySchemeFor, type RedisClient } from './redis-client.js';
import { describeRedisError, isPermissionError } from './redis-errors.js';
import { isClusterUrl, maskRedisUrl, parseClusterUrl } from './redis-url.js';

const checkScript = new LuaScript('./check-write-access.lua');

/** Any valid timestamp: the check asks about the key's pattern, it never touches the key. */
const PROBE_TIMESTAMP = '2000-01-01T00:00:00.000000Z';

export async function checkWriteAccess(
  redis: RedisClient,
  url: string,
  sample: { exchange: ExchangeId; productId: string },
): Promise<void> {
  const scheme = keySchemeFor(redis);
  const keys = [
    scheme.productsKey,
    scheme.snapshotKey(sample.exchange, sample.productId, PROBE_TIMESTAMP),
    scheme.indexKey(sample.exchange, sample.productId),
  ];
  let denied: string[];
  try {
    // On a cluster the product set and the product's keys are in two slots, which no script may
    // declare together: they go as arguments (the check reads no key, it asks about the names).
    denied = (await (redis.isCluster
      ? checkScript.run(redis, [], keys)
      : checkScript.run(redis, keys, []))) as string[];
  } catch (err) {
    if (!(err instanceof Error)) throw err;
    // Redis 6.2 has no acl_check_cmd: the first write will tell.
    if (/acl_check_cmd/.test(err.message) && !isPermissionError(err)) return;
    throw new RedisUnavailableError(
      `cannot write to Redis at ${maskRedisUrl(url)}: ${describeRedisError(err)}`,
      {
        cause: err,
      },
    );
  }
  if (denied.length > 0) {
    throw new RedisUnavailableError(
      `cannot write to Redis at ${maskRedisUrl(url)}: not allowed: ${userOf(url)} may not run ${denied.join(', ')} on ${KEY_PREFIX}:* keys; give it the fetcher's ACL (README, "Redis ACL")`,
    );
  }
}

/** The URL's ACL user, for the message (the URL was validated before connecting). */
function userOf(url: string): string {
  const name = isClusterUrl(url) ? parseClusterUrl(url).username : decodeURIComponent(new URL(url).username);
  return name ? `Redis user '${name}'` : "the Redis user 'default'";
}
