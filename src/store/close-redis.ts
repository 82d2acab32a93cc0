/**
 * Closing an ioredis client (one server or a Cluster) so that nothing of it is left running: QUIT
 * when the connection is up (replies still in flight arrive first, then the server closes the
 * socket; a Cluster sends it to every node), else a plain disconnect.
 *
 * What ioredis leaves behind otherwise: disconnect() arms a timer (`disconnectTimeout`, 2 s) that
 * destroys a socket still open after end(), and only that socket's 'close' event clears it. After a
 * refused, timed-out or lost connection the socket has already closed, so the timer is never
 * cleared and holds the process for 2 s. A client that has ended is therefore left alone. One case
 * cannot be avoided through ioredis' API: a client waiting to reconnect (a long capture whose Redis
 * went away) must be disconnected to cancel the reconnect, which arms that timer on the dead socket;
 * and an ioredis Cluster does the same inside its slot refresh (getInfoFromNode) when a seed
 * refuses. The CLIs exit explicitly once their output is written, so these cost them nothing.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { RedisClient } from './redis-client.js';

/** How long QUIT may take before the socket is simply closed. */
const QUIT_GRACE_MS = 1000;

/** Read through a call: TypeScript would otherwise keep the status narrowed across the awaits. */
function ended(redis: RedisClient): boolean {
  return redis.status === 'end';
}

export async function closeRedis(redis: RedisClient, graceMs = QUIT_GRACE_MS): Promise<void> {
  if (ended(redis)) return;
  if (redis.status !== 'ready') {
    redis.disconnect();
    return;
  }
  const closed = new Promise<void>((resolve) => redis.once('end', resolve));
  const stopWaiting = new AbortController();
  redis.quit().catch(() => {
    // The connection broke meanwhile: 'end' follows, or disconnect() below closes it.
  });
  await Promise.race([
    closed,
    sleep(graceMs, undefined, { signal: stopWaiting.signal }).catch(() => {
      // cancelled: the client ended in time
    }),
  ]);
  stopWaiting.abort();
  // No answer in time (a hung server): close the socket; ioredis destroys it if that hangs too.
  if (!ended(redis)) redis.disconnect();
}
