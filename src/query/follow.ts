/**
 * `l1-query --follow`: like `tail -f` on a product's time index. Prints the newest snapshots (or
 * everything from --from on), then polls every `intervalMs` for index entries at or after the last
 * score printed, skipping the members already printed at that score, and prints them oldest first.
 *
 * A poll is one ZRANGE BYSCORE (usually empty) plus HGETALL for what is new. Follow goes by exchange
 * time: a snapshot stored late with an exchange time OLDER than one already printed is not shown
 * (it is in the store; a range query finds it). A Redis error does not end it: it says so on stderr,
 * reconnects with backoff and carries on from where it was. It ends when `signal` aborts (SIGINT).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage } from '../errors.js';
import { type ProductRef, timestampOfSnapshotKey } from '../store/keys.js';
import type { RedisStore, StoredSnapshot } from '../store/redis-store.js';
import { toEpochMicros } from '../timestamp.js';
import type { OutputWriter } from './output-writer.js';

export interface FollowOptions {
  ref: ProductRef;
  writer: OutputWriter;
  /** Start at this time (inclusive) and print everything from there; else print the newest `backlog`. */
  fromMicros?: number | undefined;
  /** Newest snapshots printed first when there is no fromMicros (like tail's -n). */
  backlog: number;
  /** Time between polls. */
  intervalMs: number;
  /** Aborting it ends the follow after the snapshot being printed. */
  signal: AbortSignal;
  /** A fresh store after a Redis error (reconnects); called with backoff until it succeeds. */
  reconnect: () => Promise<RedisStore>;
  /** Told about Redis errors and recoveries, for stderr. */
  warn: (message: string) => void;
}

/** Where the next poll starts: an index score and the members already printed at that score. */
interface Cursor {
  score: number | undefined;
  seen: Set<string>;
}

const MAX_BACKOFF_MS = 5000;

function scoreOf(s: StoredSnapshot): number {
  return toEpochMicros(timestampOfSnapshotKey(s.key));
}

/** Follows until the signal aborts; returns how many snapshots it printed. */
export async function follow(initialStore: RedisStore, options: FollowOptions): Promise<number> {
  const { ref, writer, signal } = options;
  let store = initialStore;
  const cursor: Cursor = { score: options.fromMicros, seen: new Set() };
  const advance = (s: StoredSnapshot): void => {
    const score = scoreOf(s);
    if (score !== cursor.score) {
      cursor.score = score;
      cursor.seen = new Set();
    }
    cursor.seen.add(s.key);
  };

  if (options.fromMicros === undefined) {
    // Backlog: the newest N, printed oldest first; with none asked for, start after the newest.
    const newest: StoredSnapshot[] = [];
    for await (const s of store.range(ref, { order: 'desc', limit: Math.max(1, options.backlog) }))
      newest.push(s);
    newest.reverse();
    for (const s of newest.slice(newest.length - options.backlog)) await writer.write(s);
    for (const s of newest) advance(s);
    await writer.flush();
  }

  let failures = 0;
  while (!signal.aborted) {
    try {
      let printed = 0;
      for await (const s of store.range(ref, { fromMicros: cursor.score, order: 'asc' })) {
        if (signal.aborted) break;
        if (cursor.seen.has(s.key)) continue;
        await writer.write(s);
        advance(s);
        printed += 1;
      }
      if (printed > 0) await writer.flush();
      if (failures > 0) options.warn('Redis is back; following again');
      failures = 0;
      await pause(options.intervalMs, signal);
    } catch (err) {
      if (signal.aborted) break;
      failures += 1;
      const wait = Math.min(MAX_BACKOFF_MS, options.intervalMs * 2 ** failures);
      options.warn(`Redis error while following (${errorMessage(err)}); retrying in ${wait} ms`);
      await pause(wait, signal);
      if (signal.aborted) break;
      try {
        store = await options.reconnect();
      } catch {
        // Still down: the next loop's read fails again and backs off further.
      }
    }
  }
  return writer.count;
}

/** Sleeps, or returns early when the signal aborts. */
async function pause(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await sleep(ms, undefined, { signal });
  } catch {
    // aborted
  }
}
