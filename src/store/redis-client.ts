/**
 * The two kinds of Redis the tools write to and read from: one server (ioredis `Redis`) or a
 * Redis Cluster (ioredis `Cluster`). Both speak the same commands; what differs is the key scheme
 * (keys.ts) and that on a cluster one command, one script or one pipeline may only touch one slot.
 */
import calculateSlot from 'cluster-key-slot';
import type { Cluster, Redis } from 'ioredis';
import { type KeyScheme, keyScheme } from './keys.js';

export type RedisClient = Redis | Cluster;

export function keySchemeFor(redis: RedisClient): KeyScheme {
  return keyScheme(redis.isCluster ? 'cluster' : 'standalone');
}

/** The Redis Cluster slot of a key: the same function ioredis routes commands by. */
export function slotOf(key: string): number {
  return calculateSlot(key);
}

/** Items grouped by the slot of `keyOf(item)`, each group in input order. */
export function groupBySlot<T>(items: readonly T[], keyOf: (item: T) => string): Map<number, T[]> {
  const groups = new Map<number, T[]>();
  for (const item of items) {
    const slot = slotOf(keyOf(item));
    const group = groups.get(slot);
    if (group) group.push(item);
    else groups.set(slot, [item]);
  }
  return groups;
}

export type CommandTuple = [name: string, ...args: (string | number)[]];

/**
 * Sends many independent commands and returns their replies in order, throwing the first error.
 * On one server they go as one pipeline. On a cluster each goes on its own: ioredis routes it to
 * its slot's node and follows MOVED/ASK for it alone, and all are sent before any reply is awaited,
 * so the nodes work in parallel.
 */
export async function sendCommands(
  redis: RedisClient,
  commands: readonly CommandTuple[],
): Promise<unknown[]> {
  if (commands.length === 0) return [];
  if (redis.isCluster) return Promise.all(commands.map(([name, ...args]) => redis.call(name, ...args)));
  const replies = (await redis.pipeline(commands as CommandTuple[]).exec()) ?? [];
  return replies.map(([err, reply]) => {
    if (err) throw err;
    return reply;
  });
}
