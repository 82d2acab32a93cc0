/**
 * Optional case `cluster` (`npm run bench -- --cluster`, or `--only cluster`): snapshots written per
 * second by RedisStore.write on a 3-master Redis Cluster it starts on loopback, fed like the
 * capture's write queue feeds it (batches of 500, one in flight), beside raw ioredis Cluster writes
 * of the same hash + index entry + product-set member in the same run, and beside RedisStore.write
 * on the bench's single Redis with the same tape. Also: how 1,000 products spread over the masters.
 */
import { createHash } from 'node:crypto';
import { Cluster } from 'ioredis';
import type { L1Snapshot } from '../../src/snapshot.js';
import { CLUSTER_KEYS, productMember } from '../../src/store/keys.js';
import { slotOf } from '../../src/store/redis-client.js';
import { connectRedisClient } from '../../src/store/redis-connection.js';
import { RedisStore } from '../../src/store/redis-store.js';
import { toEpochMicros } from '../../src/timestamp.js';
import { type RedisClusterHandle, startRedisCluster } from '../../test/support/redis-cluster.js';
import { type BenchContext, connect } from '../context.js';
import { chunks, hashFields, makeTape, productIds, rng } from '../data.js';
import { type CaseResult, type Row, ratio } from '../report.js';
import { summarize } from '../stats.js';

/** The raw per-snapshot script: hash + index entry, both in the product's slot; nothing else. */
const RAW_SCRIPT = `redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('ZADD', KEYS[2], ARGV[1], KEYS[1])
return 1`;
const RAW_SHA = createHash('sha1').update(RAW_SCRIPT).digest('hex');

type Write = (batch: readonly L1Snapshot[]) => Promise<unknown>;

interface Method {
  name: string;
  baseline: boolean;
  /** Said after the CPU figure in the notes. */
  note?: string;
  /** Writes to the bench's single Redis instead of the cluster. */
  standalone?: boolean;
  write: Write;
}

/** The products set gets one SADD of the batch's members, as the store does on a cluster. */
function saddMembers(c: Cluster, batch: readonly L1Snapshot[]): Promise<unknown> {
  return c.sadd(
    CLUSTER_KEYS.productsKey,
    ...new Set(batch.map((s) => productMember(s.exchange, s.product_id))),
  );
}

function keysOf(s: L1Snapshot): [string, string] {
  return [
    CLUSTER_KEYS.snapshotKey(s.exchange, s.product_id, s.timestamp),
    CLUSTER_KEYS.indexKey(s.exchange, s.product_id),
  ];
}

/** One EVALSHA per snapshot, every one sent before any reply is awaited (ioredis routes each). */
const rawEvalsha =
  (c: Cluster): Write =>
  (batch) =>
    Promise.all([
      saddMembers(c, batch),
      ...batch.map((s) => c.evalsha(RAW_SHA, 2, ...keysOf(s), toEpochMicros(s.timestamp), ...hashFields(s))),
    ]);

/** HSET + ZADD per snapshot on a client with auto-pipelining (ioredis batches them per node). */
const rawAutoPipelined =
  (c: Cluster): Write =>
  (batch) =>
    Promise.all([
      saddMembers(c, batch),
      ...batch.flatMap((s) => {
        const [key, index] = keysOf(s);
        return [c.hset(key, ...hashFields(s)), c.zadd(index, toEpochMicros(s.timestamp), key)];
      }),
    ]);

/**
 * HSET + ZADD per snapshot, grouped by the master that serves each product's slot (ioredis' slot
 * map), one pipeline per master, all sent at once: what a hand-written Cluster writer would do.
 */
const rawPipelinePerNode =
  (c: Cluster): Write =>
  (batch) => {
    const byNode = new Map<string, L1Snapshot[]>();
    for (const s of batch) {
      const node = c.slots[slotOf(CLUSTER_KEYS.indexKey(s.exchange, s.product_id))]?.[0] ?? '';
      const group = byNode.get(node);
      if (group) group.push(s);
      else byNode.set(node, [s]);
    }
    const sent = [...byNode.values()].map((group) => {
      const p = c.pipeline();
      for (const s of group) {
        const [key, index] = keysOf(s);
        p.hset(key, ...hashFields(s)).zadd(index, toEpochMicros(s.timestamp), key);
      }
      return p.exec().then((replies) => {
        for (const [err] of replies ?? []) if (err) throw err;
      });
    });
    return Promise.all([saddMembers(c, batch), ...sent]);
  };

/**
 * `count` product ids shaped like a real universe: the bench's real-looking pairs, then bases of
 * 3-5 pseudo-random letters (seeded) against USD, USDT, EUR and BTC. Sequential synthetic names
 * (X0-USD, X1-USD, …) are a poor sample here: CRC16 of strings that differ in a counter is
 * structured, not random, so they fall less evenly than real names do (details.sequentialIds).
 */
function universeIds(count: number): string[] {
  const out = new Set(productIds(96));
  const next = rng(12345);
  while (out.size < count) {
    const len = 3 + Math.floor(next() * 3);
    const base = Array.from({ length: len }, () => String.fromCharCode(65 + Math.floor(next() * 26))).join(
      '',
    );
    out.add(`${base}-${['USD', 'USDT', 'EUR', 'BTC'][Math.floor(next() * 4)]}`);
  }
  return [...out];
}

/** Products per master: whose slot range holds each product's tag. */
async function spread(cluster: RedisClusterHandle, ids: readonly string[]): Promise<Record<string, number>> {
  const masters = (await cluster.nodes()).filter((n) => n.role === 'master');
  const out: Record<string, number> = {};
  for (const m of masters) out[`127.0.0.1:${m.port}`] = 0;
  for (const id of ids) {
    const slot = slotOf(CLUSTER_KEYS.indexKey('coinbase', id));
    const owner = masters.find((m) => m.ranges.some(([a, b]) => slot >= a && slot <= b));
    if (owner) out[`127.0.0.1:${owner.port}`] = (out[`127.0.0.1:${owner.port}`] ?? 0) + 1;
  }
  return out;
}

export async function clusterCase(ctx: BenchContext): Promise<CaseResult> {
  const title = 'Store throughput on a 3-master Redis Cluster';
  let cluster: RedisClusterHandle;
  try {
    cluster = await startRedisCluster({ masters: 3 });
  } catch (err) {
    return { id: 'cluster', title, rows: [], skipped: err instanceof Error ? err.message : String(err) };
  }
  const client = (await connectRedisClient(cluster.url)) as Cluster;
  const auto = new Cluster([{ host: '127.0.0.1', port: cluster.ports[0] as number }], {
    enableAutoPipelining: true,
  });
  const single = connect(ctx);
  try {
    const { sizes } = ctx;
    const products = productIds(sizes.products);
    const snapshots = sizes.clusterSnapshots;
    const batches = chunks(makeTape({ products, count: snapshots }), sizes.writeBatch);
    for (const port of cluster.ports) await cluster.node(port).script('LOAD', RAW_SCRIPT);
    const store = new RedisStore(client);
    const autoStore = new RedisStore(auto);
    const standaloneStore = new RedisStore(single);
    const methods: Method[] = [
      { name: 'RedisStore.write (cluster)', baseline: false, write: (b) => store.write(b) },
      { name: 'raw EVALSHA/snap, all sent at once', baseline: true, write: rawEvalsha(client) },
      { name: 'raw HSET+ZADD/snap, auto-pipelined', baseline: true, write: rawAutoPipelined(auto) },
      { name: 'raw HSET+ZADD/snap, pipeline/master', baseline: true, write: rawPipelinePerNode(client) },
      {
        name: 'RedisStore.write (auto-pipelining client)',
        baseline: false,
        note: 'the same store on a Cluster client with enableAutoPipelining; kept to show whether it would pay',
        write: (b) => autoStore.write(b),
      },
      {
        name: 'RedisStore.write (single Redis)',
        baseline: false,
        note: "the same tape on the bench's single redis-server",
        standalone: true,
        write: (b) => standaloneStore.write(b),
      },
    ];
    const flush = async (m: Method) => {
      if (m.standalone) await ctx.flush();
      else for (const port of cluster.ports) await cluster.node(port).flushall();
    };
    const keyCount = async (m: Method) =>
      m.standalone
        ? single.dbsize()
        : [...(await cluster.keysPerMaster()).values()].reduce((a, b) => a + b, 0);
    const expected = snapshots + products.length + 1;

    for (const m of methods) {
      // Warm-up (JIT, connections, scripts on every node), not timed.
      await flush(m);
      for (const b of batches.slice(0, Math.max(1, Math.ceil(batches.length / 20)))) await m.write(b);
    }
    const ms = new Map<Method, number[]>(methods.map((m) => [m, []]));
    const cpu = new Map<Method, number[]>(methods.map((m) => [m, []]));
    for (let rep = 0; rep < sizes.storeReps; rep++) {
      const ran: string[] = [];
      for (let k = 0; k < methods.length; k++) {
        const m = methods[(k + rep) % methods.length] as Method;
        await flush(m);
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        for (const b of batches) await m.write(b);
        const took = performance.now() - t0;
        const used = process.cpuUsage(c0);
        ms.get(m)?.push(took);
        cpu.get(m)?.push((used.user + used.system) / snapshots);
        const stored = await keyCount(m);
        if (stored !== expected) throw new Error(`${m.name} left ${stored} keys, expected ${expected}`);
        ran.push(`${m.name} ${Math.round(took)} ms`);
      }
      ctx.log(`cluster rep ${rep + 1}/${sizes.storeReps}: ${ran.join(', ')}`);
    }
    for (const m of methods) await flush(m);

    const rows: Row[] = methods.map((m) => ({
      name: m.name,
      unit: 'snap/s',
      higherIsBetter: true,
      summary: summarize((ms.get(m) ?? []).map((t) => (snapshots / t) * 1000)),
      ...(m.baseline ? { baseline: true } : {}),
      note: [`client CPU per snapshot ${summarize(cpu.get(m) ?? []).median.toFixed(1)} µs`, m.note]
        .filter(Boolean)
        .join('; '),
    }));
    const storeRow = rows[0] as Row;
    const singleRow = rows.at(-1) as Row;
    const raw = rows.filter((r) => r.baseline);
    const best = raw.reduce((a, b) => (b.summary.median > a.summary.median ? b : a));
    for (const r of rows) if (r !== best) r.vs = ratio(r, best);
    best.note = `${best.note}; the fastest raw ioredis Cluster method in this run (the store's baseline)`;
    storeRow.delta = `(${ratio(storeRow, singleRow).ratio.toFixed(2)}× single Redis)`;

    const spread1000 = await spread(cluster, universeIds(1000));
    const counts = Object.values(spread1000);
    rows.push({
      name: 'products per master, of 1,000',
      unit: 'products',
      higherIsBetter: true,
      summary: summarize(counts),
      delta: `(even: ${(1000 / counts.length).toFixed(0)}; ${Object.entries(spread1000)
        .map(([node, n]) => `${node.replace('127.0.0.1:', ':')} ${n}`)
        .join(', ')})`,
      note: 'where the hash tags of 1,000 realistic product ids fall among the 3 masters (redis-cli --cluster create splits the slots evenly)',
    });
    return {
      id: 'cluster',
      title,
      rows,
      details: {
        snapshots,
        products: products.length,
        batch: sizes.writeBatch,
        masters: 3,
        productSpread1000: spread1000,
        productSpread1000MaxOverMin: Math.max(...counts) / Math.max(1, Math.min(...counts)),
        productSpreadBenchProducts: await spread(cluster, products),
        sequentialIds: await spread(cluster, productIds(1000)),
      },
    };
  } finally {
    client.disconnect();
    auto.disconnect();
    single.disconnect();
    await cluster.stop();
  }
}
