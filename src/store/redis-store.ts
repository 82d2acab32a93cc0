/**
 * RedisStore: writes snapshots atomically (hash + time index + product set in one Lua call,
 * many snapshots per call, calls pipelined) and reads them back: latest, newest N, time ranges
 * streamed in batches, and the product list.
 */
import type { Redis } from 'ioredis';
import { DEFAULT_EXCHANGE, isExchangeId } from '../exchanges/exchange-ids.js';
import type { L1Snapshot, Level } from '../snapshot.js';
import { fromEpochMicros, toEpochMicros } from '../timestamp.js';
import {
  indexKey,
  PRODUCTS_KEY,
  type ProductRef,
  parseProductMember,
  productMember,
  snapshotKey,
} from './keys.js';
import { isNoScript, LuaScript } from './lua-script.js';

const writeScript = new LuaScript('./write-snapshots.lua');

export interface StoreOptions {
  /** Keep only this much history per product (µs, measured back from its newest snapshot); 0 keeps all. Default 0. */
  retentionMicros?: number;
  /** Most old entries one write prunes per product, so retention never blocks Redis for long. Default 100. */
  pruneBatch?: number;
  /** Snapshots per Lua call. Default 200. */
  writeBatchSize?: number;
  /** Snapshots per HGETALL pipeline when reading ranges. Default 500. */
  readBatchSize?: number;
}

/** A snapshot as read back, with the key it is stored under. */
export interface StoredSnapshot extends L1Snapshot {
  key: string;
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

/** Two snapshots a microsecond apart on the same product are rare; a thousand never happens. */
const MAX_KEY_NUDGES = 1000;

export class RedisStore {
  private readonly retentionMicros: number;
  private readonly pruneBatch: number;
  private readonly writeBatchSize: number;
  private readonly readBatchSize: number;

  constructor(
    readonly redis: Redis,
    options: StoreOptions = {},
  ) {
    this.retentionMicros = options.retentionMicros ?? 0;
    this.pruneBatch = options.pruneBatch ?? 100;
    this.writeBatchSize = options.writeBatchSize ?? 200;
    this.readBatchSize = options.readBatchSize ?? 500;
  }

  /**
   * Stores snapshots. Idempotent: writing the same snapshot again changes nothing. If a different
   * snapshot of the product already holds the key (same exchange time to the microsecond), the new
   * one is stored under the next free microsecond, so two snapshots never share a key; its
   * `timestamp` field keeps the exchange's value.
   */
  async write(snapshots: readonly L1Snapshot[]): Promise<WriteResult> {
    const result: WriteResult = { written: 0, duplicates: 0, pruned: 0, keys: new Array(snapshots.length) };
    let pending = snapshots.map((snapshot, i) => ({
      i,
      snapshot,
      micros: toEpochMicros(snapshot.timestamp),
    }));
    for (let nudge = 0; pending.length > 0; nudge++) {
      if (nudge > MAX_KEY_NUDGES)
        throw new Error(`could not find a free key for ${pending.length} snapshot(s)`);
      const statuses = await this.runWrite(pending, result);
      pending = pending.filter((p, j) => {
        const status = statuses[j];
        if (status === -1) {
          p.micros += 1;
          return true;
        }
        result.keys[p.i] = this.keyOf(p.snapshot, p.micros);
        if (status === 1) result.written += 1;
        else result.duplicates += 1;
        return false;
      });
    }
    return result;
  }

  private keyOf(s: L1Snapshot, micros: number): string {
    return snapshotKey(s.exchange, s.product_id, fromEpochMicros(micros));
  }

  private async runWrite(
    items: readonly { snapshot: L1Snapshot; micros: number }[],
    result: WriteResult,
  ): Promise<number[]> {
    const calls: { keys: string[]; args: (string | number)[] }[] = [];
    for (let start = 0; start < items.length; start += this.writeBatchSize) {
      const keys: string[] = [PRODUCTS_KEY];
      const args: (string | number)[] = [this.retentionMicros, this.pruneBatch];
      for (const { snapshot: s, micros } of items.slice(start, start + this.writeBatchSize)) {
        const exchange = s.exchange;
        keys.push(this.keyOf(s, micros), indexKey(exchange, s.product_id));
        const fields = hashFields(s);
        args.push(micros, productMember(exchange, s.product_id), fields.length / 2, ...fields);
      }
      calls.push({ keys, args });
    }
    const pipeline = this.redis.pipeline();
    for (const c of calls) writeScript.queue(pipeline, c.keys, c.args);
    const replies = (await pipeline.exec()) ?? [];
    const statuses: number[] = [];
    for (const [j, c] of calls.entries()) {
      const [err, reply] = replies[j] ?? [new Error('no reply from Redis'), null];
      let value: unknown = reply;
      if (err) {
        if (!isNoScript(err)) throw err;
        value = await writeScript.run(this.redis, c.keys, c.args);
      }
      const codes = value as number[];
      result.pruned += codes[codes.length - 1] ?? 0;
      statuses.push(...codes.slice(0, -1));
    }
    return statuses;
  }

  /** The newest snapshot of a product (highest exchange time), or undefined. */
  async latest(ref: ProductRef): Promise<StoredSnapshot | undefined> {
    const [first] = await this.newest(ref, 1);
    return first;
  }

  /** The newest `limit` snapshots, newest first. */
  async newest(ref: ProductRef, limit: number): Promise<StoredSnapshot[]> {
    const out: StoredSnapshot[] = [];
    for await (const s of this.range(ref, { order: 'desc', limit })) out.push(s);
    return out;
  }

  /**
   * Streams a product's snapshots in a time range, both bounds inclusive, in batches: ZRANGE
   * BYSCORE … LIMIT for a page of keys, one pipeline of HGETALL for their hashes. Memory stays
   * constant however long the range.
   */
  async *range(ref: ProductRef, query: RangeQuery = {}): AsyncGenerator<StoredSnapshot> {
    const index = indexKey(ref.exchange, ref.productId);
    const desc = query.order === 'desc';
    const lo = query.fromMicros === undefined ? '-inf' : String(query.fromMicros);
    const hi = query.toMicros === undefined ? '+inf' : String(query.toMicros);
    let remaining = query.limit ?? Number.POSITIVE_INFINITY;
    // Page by score, not by offset: an offset walk is O(N) per page and shifts under retention.
    let cursorLo = lo;
    let cursorHi = hi;
    let skipKeys = new Set<string>();
    while (remaining > 0) {
      const size = Math.min(this.readBatchSize, remaining) + skipKeys.size;
      const page = desc
        ? await this.redis.zrange(index, cursorHi, cursorLo, 'BYSCORE', 'REV', 'LIMIT', 0, size, 'WITHSCORES')
        : await this.redis.zrange(index, cursorLo, cursorHi, 'BYSCORE', 'LIMIT', 0, size, 'WITHSCORES');
      const keys: string[] = [];
      let lastScore = '';
      const atLastScore = new Set<string>();
      for (let k = 0; k + 1 < page.length; k += 2) {
        const member = page[k] as string;
        const score = page[k + 1] as string;
        if (score !== lastScore) atLastScore.clear();
        lastScore = score;
        atLastScore.add(member);
        if (skipKeys.has(member)) continue;
        keys.push(member);
      }
      const take = keys.slice(0, Math.min(keys.length, remaining));
      const hashes = await this.readHashes(take);
      for (const s of hashes) yield s;
      remaining -= take.length;
      if (page.length / 2 < size || take.length === 0) return;
      // Next page starts at the last score seen, skipping the members at that score already sent.
      if (desc) cursorHi = lastScore;
      else cursorLo = lastScore;
      skipKeys = atLastScore;
    }
  }

  private async readHashes(keys: readonly string[]): Promise<StoredSnapshot[]> {
    if (keys.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const key of keys) pipeline.hgetall(key);
    const replies = (await pipeline.exec()) ?? [];
    const out: StoredSnapshot[] = [];
    for (const [j, key] of keys.entries()) {
      const [err, hash] = replies[j] ?? [null, null];
      if (err) throw err;
      const s = fromHash(key, hash as Record<string, string>);
      if (s) out.push(s);
    }
    return out;
  }

  /** How many snapshots a product has in a range (both bounds inclusive). */
  async count(ref: ProductRef, fromMicros?: number, toMicros?: number): Promise<number> {
    return this.redis.zcount(
      indexKey(ref.exchange, ref.productId),
      fromMicros === undefined ? '-inf' : fromMicros,
      toMicros === undefined ? '+inf' : toMicros,
    );
  }

  /** Every product that was ever stored, sorted by exchange then id. */
  async products(): Promise<ProductRef[]> {
    const members = await this.redis.smembers(PRODUCTS_KEY);
    return members
      .map(parseProductMember)
      .filter((r): r is ProductRef => r !== undefined)
      .sort((a, b) => a.exchange.localeCompare(b.exchange) || a.productId.localeCompare(b.productId));
  }
}

/** Field order matters: the write script compares the first three on a key clash. */
function hashFields(s: L1Snapshot): string[] {
  const fields = [
    'sequence',
    s.sequence,
    'bids',
    JSON.stringify(s.bids),
    'asks',
    JSON.stringify(s.asks),
    'timestamp',
    s.timestamp,
    'received_at',
    s.received_at,
    'exchange',
    s.exchange,
    'product_id',
    s.product_id,
  ];
  // Stored only when they say something the key does not: nothing is stored twice.
  if (s.native_symbol !== undefined && s.native_symbol !== s.product_id)
    fields.push('native_symbol', s.native_symbol);
  if (s.timestamp_source !== undefined && s.timestamp_source !== 'exchange') {
    fields.push('timestamp_source', s.timestamp_source);
  }
  return fields;
}

/** A hash read back; undefined when it is gone (pruned between the index read and HGETALL). */
function fromHash(key: string, h: Record<string, string>): StoredSnapshot | undefined {
  if (h.timestamp === undefined || h.bids === undefined || h.asks === undefined) return undefined;
  const exchange = h.exchange ?? DEFAULT_EXCHANGE;
  if (!isExchangeId(exchange)) return undefined; // written by a newer version: not ours to read
  const s: StoredSnapshot = {
    key,
    exchange,
    product_id: h.product_id ?? '',
    bids: JSON.parse(h.bids) as Level[],
    asks: JSON.parse(h.asks) as Level[],
    timestamp: h.timestamp,
    sequence: h.sequence ?? '',
    received_at: h.received_at ?? '',
  };
  if (h.native_symbol !== undefined) s.native_symbol = h.native_symbol;
  if (h.timestamp_source === 'received') s.timestamp_source = 'received';
  return s;
}
