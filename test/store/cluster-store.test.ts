// RedisStore on a real 3-master Redis Cluster spawned for this file: the cluster key scheme (every
// key of a product in one slot), writes spread over every master and read back, idempotent
// retries and key clashes, retention, pruning, and a slot moved between masters while writing.
import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_WRITE_QUEUE, WriteQueue } from '../../src/capture/write-queue.js';
import { CLUSTER_KEYS, type ProductRef, productMember } from '../../src/store/keys.js';
import { slotOf } from '../../src/store/redis-client.js';
import { connectRedisClient } from '../../src/store/redis-connection.js';
import { RedisStore } from '../../src/store/redis-store.js';
import { fromEpochMicros } from '../../src/timestamp.js';
import { snap, T0_US, tape } from '../query/fixtures.js';
import { type RedisClusterHandle, startRedisCluster } from '../support/redis-cluster.js';

const SECOND = 1_000_000;
let cluster: RedisClusterHandle;
let client: Cluster;

beforeAll(async () => {
  cluster = await startRedisCluster({ masters: 3 });
  client = (await connectRedisClient(cluster.url)) as Cluster;
});
afterAll(async () => {
  client?.disconnect();
  await cluster?.stop();
});
beforeEach(async () => {
  for (const port of cluster.ports) await cluster.node(port).flushall();
});

const ref = (productId: string, exchange: ProductRef['exchange'] = 'coinbase'): ProductRef => ({
  exchange,
  productId,
});
const ids = (n: number) => Array.from({ length: n }, (_, i) => `P${i}-USD`);

/** Every key on every master, with the port that holds it. */
async function keysByMaster(): Promise<Map<number, string[]>> {
  const out = new Map<number, string[]>();
  for (const [port] of await cluster.keysPerMaster())
    out.set(port, (await cluster.node(port).keys('*')).sort());
  return out;
}

async function readAll(store: RedisStore, r: ProductRef): Promise<string[]> {
  const out: string[] = [];
  for await (const s of store.range(r, { order: 'asc' })) out.push(`${s.timestamp}/${s.sequence}`);
  return out;
}

describe('cluster key scheme', () => {
  it('tags every key of a product with its member, so hash and index share a slot Redis agrees on', async () => {
    const ts = '2026-11-24T10:00:00.123456Z';
    expect(CLUSTER_KEYS.snapshotKey('coinbase', 'BTC-USD', ts)).toBe(`orderbook:{BTC-USD}:${ts}`);
    expect(CLUSTER_KEYS.indexKey('coinbase', 'BTC-USD')).toBe('orderbook:index:{BTC-USD}');
    expect(CLUSTER_KEYS.snapshotKey('kraken', 'BTC-USD', ts)).toBe(`orderbook:{kraken:BTC-USD}:${ts}`);
    expect(CLUSTER_KEYS.indexKey('kraken', 'BTC-USD')).toBe('orderbook:index:{kraken:BTC-USD}');
    expect(CLUSTER_KEYS.productsKey).toBe('orderbook:products');
    expect(() => CLUSTER_KEYS.indexKey('coinbase', 'BTC-USD}{X')).toThrow(/refusing/);
    const node = cluster.node(cluster.ports[0] as number);
    for (const [exchange, id] of [
      ['coinbase', 'BTC-USD'],
      ['kraken', 'BTC-USD'],
      ['okx', 'ETH-USDT'],
    ] as const) {
      const index = CLUSTER_KEYS.indexKey(exchange, id);
      const hash = CLUSTER_KEYS.snapshotKey(exchange, id, ts);
      expect(Number(await node.cluster('KEYSLOT', hash))).toBe(slotOf(index));
      expect(Number(await node.cluster('KEYSLOT', index))).toBe(slotOf(index));
    }
    // The venue is in the tag: the same product on two venues may live on two nodes.
    expect(slotOf(CLUSTER_KEYS.indexKey('kraken', 'BTC-USD'))).not.toBe(
      slotOf(CLUSTER_KEYS.indexKey('coinbase', 'BTC-USD')),
    );
  });
});

describe('RedisStore on a Redis Cluster', () => {
  it('spreads the writes of 60 products over every master and reads every snapshot back', async () => {
    const products = ids(60);
    const snapshots = products.flatMap((p, i) => tape(5, { product: p, seq0: BigInt(i * 100) }));
    snapshots.push(...tape(3, { product: 'BTC-USD' }).map((s) => ({ ...s, exchange: 'kraken' as const })));
    const store = new RedisStore(client, { writeBatchSize: 4 });
    expect(store.keys).toBe(CLUSTER_KEYS);
    const result = await store.write(snapshots);
    expect(result).toMatchObject({ written: snapshots.length, duplicates: 0 });
    expect(result.keys).toEqual(
      snapshots.map((s) => CLUSTER_KEYS.snapshotKey(s.exchange, s.product_id, s.timestamp)),
    );

    const byMaster = await keysByMaster();
    expect(byMaster.size).toBe(3);
    for (const [, keys] of byMaster) expect(keys.length).toBeGreaterThan(30);
    const all = [...byMaster.values()].flat();
    // Every snapshot hash + 61 indexes + the product set; each key on the master of its slot.
    expect(all.length).toBe(snapshots.length + 61 + 1);
    // A product's hashes sit on the master of its index.
    for (const keys of byMaster.values())
      for (const key of keys.filter((k) => k.startsWith('orderbook:{')))
        expect(keys).toContain(`orderbook:index:${key.slice(key.indexOf('{'), key.indexOf('}') + 1)}`);

    expect((await store.products()).length).toBe(61);
    expect(await client.smembers('orderbook:products')).toContain(productMember('kraken', 'BTC-USD'));
    for (const [i, p] of products.entries()) {
      const want = tape(5, { product: p, seq0: BigInt(i * 100) }).map((s) => `${s.timestamp}/${s.sequence}`);
      expect(await readAll(store, ref(p))).toEqual(want);
    }
    expect((await store.latest(ref('BTC-USD', 'kraken')))?.timestamp).toBe(tape(3)[2]?.timestamp);

    const summaries = await store.summaries();
    expect(summaries.length).toBe(61);
    for (const s of summaries) {
      expect(s.count).toBe(s.exchange === 'kraken' ? 3 : 5);
      expect(s.latest?.product_id).toBe(s.productId);
      expect(s.lastMicros).toBe(
        s.firstMicros === undefined ? undefined : (s.firstMicros ?? 0) + (s.count - 1) * SECOND,
      );
    }
  });

  it('a retried write changes nothing; a clash moves to the next microsecond, in the same slot', async () => {
    const store = new RedisStore(client, { writeBatchSize: 2 });
    const batch = ids(10).map((p) => snap(T0_US, { product: p, sequence: '1' }));
    expect(await store.write(batch)).toMatchObject({ written: 10, duplicates: 0 });
    expect(await store.write(batch)).toMatchObject({ written: 0, duplicates: 10 });
    const clash = snap(T0_US, { product: 'P3-USD', sequence: '2' });
    const r = await store.write([clash]);
    expect(r.keys).toEqual([CLUSTER_KEYS.snapshotKey('coinbase', 'P3-USD', '2026-11-24T10:00:00.000001Z')]);
    expect(await readAll(store, ref('P3-USD'))).toEqual([
      '2026-11-24T10:00:00.000000Z/1',
      '2026-11-24T10:00:00.000000Z/2',
    ]);
  });

  it('keeps the retention window per product; index and hashes agree on every master', async () => {
    const products = ids(6);
    const store = new RedisStore(client, { retentionMicros: 10 * SECOND });
    let pruned = 0;
    for (let i = 0; i < 40; i++) {
      const r = await store.write(
        products.map((p) => snap(T0_US + i * SECOND, { product: p, sequence: String(i) })),
      );
      pruned += r.pruned;
    }
    expect(pruned).toBe(products.length * (40 - 11));
    const all = [...(await keysByMaster()).values()].flat();
    expect(all.filter((k) => k.startsWith('orderbook:{')).length).toBe(products.length * 11);
    for (const p of products) {
      const members = (await client.zrange(CLUSTER_KEYS.indexKey('coinbase', p), 0, -1)).sort();
      expect(all.filter((k) => k.startsWith(`orderbook:{${p}}:`)).sort()).toEqual(members);
      expect((await readAll(store, ref(p)))[0]).toBe('2026-11-24T10:00:29.000000Z/29');
    }
  });

  it('prunes by hand across masters; emptied products stay listed', async () => {
    const products = ids(9);
    const store = new RedisStore(client);
    await store.write(products.flatMap((p) => tape(20, { product: p })));
    const refs = products.map((p) => ref(p));
    const cutoff = T0_US + 15 * SECOND;
    expect(await store.countBefore(refs, cutoff)).toEqual(products.map(() => 15));
    expect(await store.pruneBefore(refs, cutoff, 4)).toEqual(products.map(() => 15));
    expect(await store.countBefore(refs, cutoff)).toEqual(products.map(() => 0));
    for (const p of products) expect((await readAll(store, ref(p))).length).toBe(5);
    const hashes = [...(await keysByMaster()).values()].flat().filter((k) => k.startsWith('orderbook:{'));
    expect(hashes.length).toBe(products.length * 5);
    await store.pruneBefore(refs.slice(0, 2), T0_US + 100 * SECOND);
    const summaries = await store.summaries();
    expect(summaries.length).toBe(9);
    expect(summaries.filter((s) => s.count === 0).map((s) => s.productId)).toEqual(['P0-USD', 'P1-USD']);
  });

  it('loses and repeats nothing while the slot of a product moves to another master (TRYAGAIN, ASK, MOVED)', async () => {
    const moving = 'BTC-USD';
    const slot = slotOf(CLUSTER_KEYS.indexKey('coinbase', moving));
    const source = await cluster.masterOf(slot);
    const masters = (await cluster.nodes()).filter((n) => n.role === 'master');
    const store = new RedisStore(client);
    await store.write(tape(300, { product: moving }));

    // The capture's own write queue keeps writing while the slot migrates a few keys at a time:
    // Redis answers TRYAGAIN/ASK meanwhile and MOVED after; ioredis follows, the queue retries.
    const queue = new WriteQueue(store, { ...DEFAULT_WRITE_QUEUE, batchSize: 10, minRetryMs: 20 });
    let pushed = 300;
    const push = () => {
      const at = T0_US + pushed * SECOND;
      queue.push(snap(at, { product: moving, sequence: String(pushed) }));
      queue.push(snap(at, { product: 'ETH-USD', sequence: String(pushed) }));
      pushed += 1;
    };
    const ticker = setInterval(push, 5);
    const dest = await migrateSlot(slot, source.port, masters);
    for (let i = 0; i < 20; i++) push(); // and some after the move
    clearInterval(ticker);
    expect(await queue.drain(10_000)).toBe(0);

    expect(queue.stored).toBe(2 * (pushed - 300));
    expect((await cluster.masterOf(slot)).port).toBe(dest);
    expect(await cluster.node(source.port).cluster('COUNTKEYSINSLOT', slot)).toBe(0);
    expect(await cluster.node(dest).cluster('COUNTKEYSINSLOT', slot)).toBe(pushed + 1);
    const back = await readAll(store, ref(moving));
    expect(back).toEqual(
      Array.from(
        { length: pushed },
        (_, i) =>
          `${fromEpochMicros(T0_US + i * SECOND)}/${i < 300 ? tape(300, { product: moving })[i]?.sequence : i}`,
      ),
    );
    expect((await readAll(store, ref('ETH-USD'))).length).toBe(pushed - 300);
  });
});

/**
 * Moves `slot` from `sourcePort` to another master the way redis-cli --cluster reshard does:
 * IMPORTING/MIGRATING, MIGRATE a few keys at a time (with pauses, so writes interleave), then
 * SETSLOT NODE on every master. Returns the destination's port.
 */
async function migrateSlot(
  slot: number,
  sourcePort: number,
  masters: readonly { port: number; id: string }[],
): Promise<number> {
  const source = masters.find((m) => m.port === sourcePort);
  const dest = masters.find((m) => m.port !== sourcePort);
  if (!source || !dest) throw new Error('need two masters');
  const src = cluster.node(source.port);
  const dst = cluster.node(dest.port);
  await dst.cluster('SETSLOT', slot, 'IMPORTING', source.id);
  await src.cluster('SETSLOT', slot, 'MIGRATING', dest.id);
  for (;;) {
    const keys = (await src.cluster('GETKEYSINSLOT', slot, 5)) as string[];
    if (keys.length === 0) break;
    await src.migrate('127.0.0.1', dest.port, '', 0, 5000, 'KEYS', ...keys);
    await new Promise((r) => setTimeout(r, 10));
  }
  for (const m of masters) await cluster.node(m.port).cluster('SETSLOT', slot, 'NODE', dest.id);
  return dest.port;
}
