/**
 * RedisStore: writes snapshots atomically (hash + time index + product set in one Lua call,
 * many snapshots per call, calls pipelined) and reads them back: latest, newest N, time ranges
 * streamed in batches, and the product list.
 *
 * On a Redis Cluster (an ioredis `Cluster`) the same methods use the cluster key scheme (keys.ts):
 * every key of a product shares its slot, so each script still covers hash + index (+ retention)
 * of a product; a write makes one script call per slot (per `writeBatchSize`), all sent at once so
 * the nodes work in parallel, and registers the products with a separate, idempotent SADD.
 */
import type { L1Snapshot } from '../snapshot.js';
import { toEpochMicros } from '../timestamp.js';
import { type KeyScheme, type ProductRef, parseProductMember } from './keys.js';
import { isNoScript, LuaScript } from './lua-script.js';
import { type RangePage, splitPage } from './range-page.js';
import {
  type CommandTuple,
  groupBySlot,
  keySchemeFor,
  type RedisClient,
  sendCommands,
} from './redis-client.js';
import {
  FIELD_NAMES,
  fromFields,
  pushFieldValues,
  READ_FIELDS,
  type StoredFields,
  type StoredSnapshot,
  toStoredFields,
} from './snapshot-hash.js';
import { WriteKeyParts } from './write-key-parts.js';

export type { StoredFields, StoredSnapshot } from './snapshot-hash.js';

const writeScript = new LuaScript('./write-snapshots.lua');
const readScript = new LuaScript('./read-snapshots.lua');
const latestScript = new LuaScript('./read-latest.lua');
const pruneScript = new LuaScript('./prune-before.lua');

export interface StoreOptions {
  /** Keep only this much history per product (µs, measured back from its newest snapshot); 0 keeps all. Default 0. */
  retentionMicros?: number;
  /** Most old entries one write prunes per product, so retention never blocks Redis for long. Default 100. */
  pruneBatch?: number;
  /**
   * Snapshots per Lua call. Default 100: each call is sent as soon as it is built, so Redis runs
   * one while the next is encoded (bench/README.md has the figures).
   */
  writeBatchSize?: number;
  /** Snapshots per page when reading ranges (one ZRANGE and one read script call each). Default 2000. */
  readBatchSize?: number;
}

export interface WriteResult {
  /** Snapshots newly stored. */
  written: number;
  /** Snapshots that were already stored (retried writes). */
  duplicates: number;
  /** Old snapshots removed by retention during this write. */
  pruned: number;
  /** The key each input snapshot is stored under, in input order. */
  keys: string[];
}

export interface RangeQuery {
  /** Inclusive lower bound, epoch µs; undefined = from the start. */
  fromMicros?: number | undefined;
  /** Inclusive upper bound, epoch µs; undefined = to the end. */
  toMicros?: number | undefined;
  order?: 'asc' | 'desc';
  /** Most snapshots to return; undefined = all. */
  limit?: number | undefined;
}

/** One product as `l1-query --list` shows it. */
export interface ProductSummary extends ProductRef {
  /** Snapshots in its time index; 0 when everything was pruned. */
  count: number;
  /** Index time (epoch µs) of its oldest and newest snapshot; undefined when count is 0. */
  firstMicros?: number;
  lastMicros?: number;
  /** Its newest snapshot; undefined when count is 0 (or the hash vanished mid-read). */
  latest?: StoredSnapshot;
}

/** Products per pipeline in `summaries`: bounds one reply's size on a huge product set. */
const SUMMARY_CHUNK = 1000;

/** Two snapshots a microsecond apart on the same product are rare; a thousand never happens. */
const MAX_KEY_NUDGES = 1000;

export class RedisStore {
  /** The key names this store uses: the cluster scheme on a Redis Cluster, else the standalone one. */
  readonly keys: KeyScheme;
  private readonly cluster: boolean;
  private readonly retentionMicros: number;
  private readonly pruneBatch: number;
  private readonly writeBatchSize: number;
  private readonly readBatchSize: number;

  constructor(
    readonly redis: RedisClient,
    options: StoreOptions = {},
  ) {
    this.keys = keySchemeFor(redis);
    this.cluster = redis.isCluster;
    this.retentionMicros = options.retentionMicros ?? 0;
    this.pruneBatch = options.pruneBatch ?? 100;
    this.writeBatchSize = options.writeBatchSize ?? 100;
    this.readBatchSize = options.readBatchSize ?? 2000;
  }

  /**
   * Stores snapshots. Idempotent: writing the same snapshot again changes nothing. If a different
   * snapshot of the product already holds the key (same exchange time to the microsecond), the new
   * one is stored under the next free microsecond, so two snapshots never share a key; its
   * `timestamp` field keeps the exchange's value.
   */
  async write(snapshots: readonly L1Snapshot[]): Promise<WriteResult> {
    const result: WriteResult = { written: 0, duplicates: 0, pruned: 0, keys: new Array(snapshots.length) };
    const parts = new WriteKeyParts(this.keys);
    let pending = snapshots.map(
      (snapshot, i): PendingWrite => ({
        i,
        snapshot,
        micros: toEpochMicros(snapshot.timestamp),
        key: '',
        status: 0,
      }),
    );
    for (let nudge = 0; pending.length > 0; nudge++) {
      if (nudge > MAX_KEY_NUDGES)
        throw new Error(`could not find a free key for ${pending.length} snapshot(s)`);
      await this.runWrite(pending, result, parts);
      pending = pending.filter((p) => {
        if (p.status === -1) {
          p.micros += 1;
          return true;
        }
        result.keys[p.i] = p.key;
        if (p.status === 1) result.written += 1;
        else result.duplicates += 1;
        return false;
      });
    }
    return result;
  }

  /**
   * One Lua call per `writeBatchSize` snapshots (argument layout in write-snapshots.lua). Each call
   * goes out as soon as it is built, not in one pipeline at the end: Redis runs call k while call
   * k+1 is encoded, and the calls still run in order on the one connection. Sets each item's key
   * and status.
   *
   * On a cluster the items are first grouped by slot (a script may only touch one slot): calls to
   * different nodes run in parallel, and ioredis follows MOVED/ASK (resharding, failover) per call.
   * The product set is in a slot of its own, so it gets one SADD of this write's members, sent
   * alongside: idempotent, and a failed write is retried whole by the caller (the script is
   * idempotent too). A snapshot's product may thus be listed a moment before its data, or (if this
   * SADD alone fails) a moment after: the one place where cluster mode is not one atomic step.
   */
  private async runWrite(items: PendingWrite[], result: WriteResult, parts: WriteKeyParts): Promise<void> {
    const calls: Promise<unknown>[] = [];
    const order: PendingWrite[][] = [];
    const groups = this.cluster
      ? groupBySlot(items, (p) => parts.product(p.snapshot).index).values()
      : [items];
    for (const group of groups) {
      for (let start = 0; start < group.length; start += this.writeBatchSize) {
        const chunk = group.slice(start, start + this.writeBatchSize);
        calls.push(this.writeCall(chunk, parts));
        order.push(chunk);
      }
    }
    // Awaited together: a failed call must not leave the other promise's rejection unhandled.
    const [replies] = await Promise.all([
      Promise.all(calls),
      this.cluster ? this.registerProducts(items, parts) : undefined,
    ]);
    for (const [c, reply] of replies.entries()) {
      const codes = reply as number[];
      result.pruned += codes[codes.length - 1] ?? 0;
      for (const [k, p] of (order[c] ?? []).entries()) p.status = codes[k] as number;
    }
  }

  /** One write-snapshots.lua call for `chunk` (one slot on a cluster); sets each item's key. */
  private writeCall(chunk: readonly PendingWrite[], parts: WriteKeyParts): Promise<unknown> {
    const keys: string[] = this.cluster ? [] : [this.keys.productsKey];
    const args: (string | number)[] = [
      this.retentionMicros,
      this.pruneBatch,
      this.cluster ? '0' : '1',
      FIELD_NAMES.length,
      ...FIELD_NAMES,
    ];
    for (const p of chunk) {
      const s = p.snapshot;
      const product = parts.product(s);
      p.key = parts.snapshotKey(s, p.micros);
      keys.push(p.key, product.index);
      args.push(p.micros, product.member);
      pushFieldValues(args, s);
    }
    return writeScript.run(this.redis, keys, args);
  }

  /** Cluster mode: adds the products of `items` to the product set (one SADD, idempotent). */
  private registerProducts(items: readonly PendingWrite[], parts: WriteKeyParts): Promise<unknown> {
    const members = new Set(items.map((p) => parts.product(p.snapshot).member));
    return this.redis.sadd(this.keys.productsKey, ...members);
  }

  /** The newest snapshot of a product (highest exchange time), or undefined. */
  async latest(ref: ProductRef): Promise<StoredSnapshot | undefined> {
    const reply = (await latestScript.run(
      this.redis,
      [this.keys.indexKey(ref.exchange, ref.productId)],
      READ_FIELDS,
    )) as (string | null)[];
    const key = reply[0];
    return typeof key === 'string' ? fromFields(key, reply, 1) : undefined;
  }

  /** The newest `limit` snapshots, newest first. */
  async newest(ref: ProductRef, limit: number): Promise<StoredSnapshot[]> {
    const out: StoredSnapshot[] = [];
    for await (const s of this.range(ref, { order: 'desc', limit })) out.push(s);
    return out;
  }

  /**
   * Streams a product's snapshots in a time range, both bounds inclusive, a page at a time (see
   * `rangeFields`, whose pages these are): memory stays constant however long the range.
   */
  async *range(ref: ProductRef, query: RangeQuery = {}): AsyncGenerator<StoredSnapshot> {
    for await (const page of this.rangeFields(ref, query)) for (const s of snapshotsOf(page)) yield s;
  }

  /**
   * The snapshots of a range as stored text, a page at a time (StoredFields: no object per
   * snapshot, `bids`/`asks` unparsed), for bulk readers such as the Parquet export and the archiver;
   * `range` decodes these pages. ZRANGE BYSCORE … LIMIT for a page of keys, then one read of their
   * hashes. Memory stays constant however long the range (at most two pages: one being consumed,
   * the next in flight).
   *
   * Pages are cut by score, not by offset (an offset walk is O(N) per page and shifts under
   * retention): the next page starts AT the last score seen and skips the members already sent at
   * that score, so equal scores across a page boundary are neither lost nor repeated. The next
   * page's ZRANGE, and then its hash read, are sent while this page is consumed, so the round trips
   * overlap with the caller's work. A hash that disappeared between the index read and the hash
   * read (pruned meanwhile) is skipped, and the limit is still filled from later entries.
   */
  async *rangeFields(ref: ProductRef, query: RangeQuery = {}): AsyncGenerator<StoredFields> {
    const index = this.keys.indexKey(ref.exchange, ref.productId);
    const desc = query.order === 'desc';
    let remaining = query.limit ?? Number.POSITIVE_INFINITY;
    if (remaining <= 0) return;
    const fetchPage = (bound: string, skip: ReadonlySet<string>, want: number): Promise<RangePage> => {
      const size = Math.min(this.readBatchSize, want) + skip.size;
      const lo = query.fromMicros === undefined ? '-inf' : String(query.fromMicros);
      const hi = query.toMicros === undefined ? '+inf' : String(query.toMicros);
      const reply = desc
        ? this.redis.zrange(index, bound || hi, lo, 'BYSCORE', 'REV', 'LIMIT', 0, size, 'WITHSCORES')
        : this.redis.zrange(index, bound || lo, hi, 'BYSCORE', 'LIMIT', 0, size, 'WITHSCORES');
      return reply.then((flat) => splitPage(flat, skip, size));
    };
    // A page's hash read goes out as soon as its keys arrive, so Redis works on page k+1 while the
    // caller consumes page k. `want` is optimistic (every hash still there); see below.
    const fetch = (bound: string, skip: ReadonlySet<string>, want: number): Promise<FetchedPage> =>
      fetchPage(bound, skip, want).then((page) => {
        const keys = page.keys.length > want ? page.keys.slice(0, want) : page.keys;
        const hashes = this.readFields(keys);
        hashes.catch(() => {}); // awaited below; this only stops an early exit leaving it unhandled
        return { page, keys, hashes };
      });
    let next: Promise<FetchedPage> | undefined = fetch('', new Set(), remaining);
    try {
      while (next) {
        const { page, keys, hashes } = await next;
        next = undefined;
        const more = page.full && page.keys.length > 0;
        if (more && remaining - keys.length > 0)
          next = fetch(page.lastScore, page.atLastScore, remaining - keys.length);
        const read = await hashes;
        const n = read.keys.length;
        if (n > 0) yield read;
        remaining -= n;
        if (remaining <= 0) return;
        // Some hashes had vanished (pruned meanwhile): the limit is not met yet, read on.
        if (!next && more) next = fetch(page.lastScore, page.atLastScore, remaining);
      }
    } finally {
      // The caller stopped early: a page still in flight must not become an unhandled rejection.
      next?.catch(() => {});
    }
  }

  /**
   * The hashes of `keys` as StoredFields, in order, by one read-snapshots.lua call (one reply, not
   * one per key); on a cluster one call per slot (a range page is one slot; the latest keys of
   * `summaries` are not).
   */
  private async readFields(keys: readonly string[]): Promise<StoredFields> {
    if (keys.length === 0) return { keys: [], values: [] };
    const groups = this.cluster ? [...groupBySlot(keys, (k) => k).values()] : [keys];
    const read = await Promise.all(
      groups.map(async (group) =>
        toStoredFields(group, (await readScript.run(this.redis, group, READ_FIELDS)) as (string | null)[]),
      ),
    );
    if (read.length === 1) return read[0] as StoredFields;
    // Several slots (not a range page): put the snapshots back in the order of `keys`.
    const width = READ_FIELDS.length;
    const at = new Map<string, { page: StoredFields; j: number }>();
    for (const page of read) for (const [j, key] of page.keys.entries()) at.set(key, { page, j });
    const out: StoredFields = { keys: [], values: [] };
    for (const key of keys) {
      const hit = at.get(key);
      if (!hit) continue;
      out.keys.push(key);
      out.values.push(...hit.page.values.slice(hit.j * width, (hit.j + 1) * width));
    }
    return out;
  }

  /** How many snapshots a product has in a range (both bounds inclusive). */
  async count(ref: ProductRef, fromMicros?: number, toMicros?: number): Promise<number> {
    return this.redis.zcount(
      this.keys.indexKey(ref.exchange, ref.productId),
      fromMicros === undefined ? '-inf' : fromMicros,
      toMicros === undefined ? '+inf' : toMicros,
    );
  }

  /** Every product that was ever stored, sorted by exchange then id. */
  async products(): Promise<ProductRef[]> {
    const members = await this.redis.smembers(this.keys.productsKey);
    return members
      .map(parseProductMember)
      .filter((r): r is ProductRef => r !== undefined)
      .sort((a, b) => a.exchange.localeCompare(b.exchange) || a.productId.localeCompare(b.productId));
  }

  /**
   * What `l1-query --list` shows for each product: snapshot count, first and last time, latest
   * snapshot. Round trips do not grow with the number of products: one pipeline of ZCARD + first
   * and last index entry per product, then one read of the latest hashes (on a cluster: the same
   * commands sent at once, each to its node; see sendCommands). A product whose index is empty
   * (all pruned) comes back with count 0 and nothing else.
   */
  async summaries(refs?: readonly ProductRef[]): Promise<ProductSummary[]> {
    const products = refs ?? (await this.products());
    const out: ProductSummary[] = [];
    for (let start = 0; start < products.length; start += SUMMARY_CHUNK) {
      const chunk = products.slice(start, start + SUMMARY_CHUNK);
      const commands: CommandTuple[] = [];
      for (const ref of chunk) {
        const index = this.keys.indexKey(ref.exchange, ref.productId);
        commands.push(['zcard', index], ['zrange', index, 0, 0, 'WITHSCORES']);
        commands.push(['zrange', index, -1, -1, 'WITHSCORES']);
      }
      const replies = await sendCommands(this.redis, commands);
      const latestKeys = new Map<ProductSummary, string>();
      for (const [j, ref] of chunk.entries()) {
        const count = replies[3 * j] as number;
        const first = replies[3 * j + 1] as string[];
        const last = replies[3 * j + 2] as string[];
        const summary: ProductSummary = { ...ref, count };
        if (count > 0 && first[1] !== undefined && last[0] !== undefined && last[1] !== undefined) {
          summary.firstMicros = Number(first[1]);
          summary.lastMicros = Number(last[1]);
          latestKeys.set(summary, last[0]);
        }
        out.push(summary);
      }
      const hashes = snapshotsOf(await this.readFields([...latestKeys.values()]));
      const byKey = new Map(hashes.map((s) => [s.key, s]));
      for (const [summary, key] of latestKeys) {
        const latest = byKey.get(key);
        if (latest) summary.latest = latest;
      }
    }
    return out;
  }

  /** How many snapshots of each product are strictly older than `beforeMicros` (one pipeline). */
  async countBefore(refs: readonly ProductRef[], beforeMicros: number): Promise<number[]> {
    const commands = refs.map(
      (ref): CommandTuple => [
        'zcount',
        this.keys.indexKey(ref.exchange, ref.productId),
        '-inf',
        `(${beforeMicros}`,
      ],
    );
    return (await sendCommands(this.redis, commands)) as number[];
  }

  /**
   * Removes every snapshot strictly older than `beforeMicros` from the given products: hash and
   * index entry together (prune-before.lua), at most `batch` per product per script call so Redis
   * is never blocked for long, the calls for all products pipelined in rounds (on a cluster: sent
   * at once, each to its product's node). Products stay in the
   * product set (`summaries` reports an emptied one with count 0). Returns the number removed per
   * product, in the order given.
   */
  async pruneBefore(refs: readonly ProductRef[], beforeMicros: number, batch = 500): Promise<number[]> {
    const removed = refs.map(() => 0);
    const cutoff = String(Math.floor(beforeMicros));
    let pending = refs.map((ref, i) => ({ i, index: this.keys.indexKey(ref.exchange, ref.productId) }));
    while (pending.length > 0) {
      if (this.cluster) {
        const counts = await Promise.all(
          pending.map((p) => pruneScript.run(this.redis, [p.index], [cutoff, batch]) as Promise<number>),
        );
        for (const [j, p] of pending.entries()) removed[p.i] = (removed[p.i] ?? 0) + (counts[j] ?? 0);
        pending = pending.filter((_, j) => (counts[j] ?? 0) >= batch);
        continue;
      }
      const pipeline = this.redis.pipeline();
      for (const p of pending) pruneScript.queue(pipeline, [p.index], [cutoff, batch]);
      const replies = (await pipeline.exec()) ?? [];
      const again: typeof pending = [];
      for (const [j, p] of pending.entries()) {
        const [err, reply] = replies[j] ?? [new Error('no reply from Redis'), null];
        let n = reply as number;
        if (err) {
          if (!isNoScript(err)) throw err;
          n = (await pruneScript.run(this.redis, [p.index], [cutoff, batch])) as number;
        }
        removed[p.i] = (removed[p.i] ?? 0) + n;
        if (n >= batch) again.push(p);
      }
      pending = again;
    }
    return removed;
  }
}

/** A snapshot on its way into Redis: `micros` moves on a key clash, `key` follows it. */
interface PendingWrite {
  i: number;
  snapshot: L1Snapshot;
  micros: number;
  key: string;
  /** The script's answer for it: 1 written, 0 already stored, -1 key taken (write-snapshots.lua). */
  status: number;
}

/** The snapshots of a page read as stored text. */
function snapshotsOf(page: StoredFields): StoredSnapshot[] {
  const out: StoredSnapshot[] = [];
  for (const [j, key] of page.keys.entries()) {
    const s = fromFields(key, page.values, j * READ_FIELDS.length);
    if (s) out.push(s);
  }
  return out;
}

/** A page of keys with its hash read already sent. */
interface FetchedPage {
  page: RangePage;
  /** The keys whose hashes were asked for (the page, cut to the limit). */
  keys: string[];
  hashes: Promise<StoredFields>;
}
