/**
 * `--shard K/N`: the K-th of N stable shares of the CSV's (venue, product) pairs, so N processes
 * (or containers, or machines, each with its own IP and so its own rate limits) given the same CSV
 * and K = 1..N capture every pair exactly once. Applied to the targets before any capture mode
 * sees them, so polling and streaming split the same way.
 *
 * Rendezvous hashing: a pair goes to the share whose hash of (share, pair) is highest. It depends
 * on nothing but the pair and N, so adding or removing a product never moves another, and going
 * from N to N+1 shares moves only the ~1/(N+1) of the pairs that the new share takes.
 */
import { createHash } from 'node:crypto';
import { UsageError } from '../errors.js';
import type { Target } from './targets.js';

export interface Shard {
  /** K, 1-based. */
  index: number;
  /** N. */
  count: number;
}

/** More processes than this for one CSV is a typo, not a plan. */
export const MAX_SHARDS = 1024;

/** Parses `K/N` (commander calls it with the flag's value); a one-line UsageError otherwise. */
export function parseShard(value: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value);
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || !(count >= 1 && count <= MAX_SHARDS && index >= 1 && index <= count)) {
    throw new UsageError(
      `--shard: '${value}' must be K/N with 1 ≤ K ≤ N ≤ ${MAX_SHARDS}, e.g. --shard 1/3 … --shard 3/3 for three processes`,
    );
  }
  return { index, count };
}

function score(share: number, t: Target): bigint {
  const digest = createHash('sha256').update(`${share}\u0000${t.exchange}\u0000${t.productId}`).digest();
  return digest.readBigUInt64BE(0);
}

/** The share (1..count) a pair belongs to. */
export function shareOf(t: Target, count: number): number {
  let best = 1;
  let bestScore = -1n;
  for (let share = 1; share <= count; share++) {
    const s = score(share, t);
    if (s > bestScore) {
      best = share;
      bestScore = s;
    }
  }
  return best;
}

/** The targets of this shard, in CSV order (so a batch venue's products still share requests). */
export function selectShard<T extends Target>(targets: readonly T[], shard: Shard): T[] {
  if (shard.count === 1) return [...targets];
  return targets.filter((t) => shareOf(t, shard.count) === shard.index);
}

export function describeShard(shard: Shard, selected: number, total: number): string {
  const head = `shard ${shard.index}/${shard.count}: ${selected} of ${total} product(s) in the CSV`;
  return selected > 0 ? head : `${head}; nothing for this process to capture`;
}
