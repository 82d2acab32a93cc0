/**
 * Case 1, store throughput: snapshots written per second by RedisStore.write, fed the way the
 * capture's write queue feeds it (batches of 500, one batch in flight), against raw ioredis writes
 * of the same hash + index entry + product-set member (EVALSHA of a 3-command script per snapshot,
 * as one pipeline per batch or as pipelines of 100 sent as built; or HSET+ZADD+SADD in one
 * MULTI/EXEC per batch; the fastest is the baseline; MULTIs of 100 were tried and never won), and
 * against redis-benchmark's HSET + ZADD ceiling. Every
 * method starts from an empty DB and must leave the same number of keys behind.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { L1Snapshot } from '../../src/snapshot.js';
import { RedisStore } from '../../src/store/redis-store.js';
import { toEpochMicros } from '../../src/timestamp.js';
import { type BenchContext, connect } from '../context.js';
import { chunks, hashFields, makeTape, productIds } from '../data.js';
import { type CaseResult, type Row, ratio } from '../report.js';
import { summarize } from '../stats.js';

/** The raw per-snapshot script: the same three writes, nothing else (no clash check, no retention). */
export const RAW_SCRIPT = `redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('ZADD', KEYS[2], ARGV[1], KEYS[1])
redis.call('SADD', KEYS[3], ARGV[2])
return 1`;
const RAW_SHA = createHash('sha1').update(RAW_SCRIPT).digest('hex');
const PRODUCTS = 'orderbook:products';

type Writer = (redis: Redis, batch: readonly L1Snapshot[]) => Promise<void>;

/**
 * One EVALSHA of the raw script per snapshot, pipelined: the whole batch in one pipeline, or
 * (`per` < batch) in several pipelines of `per`, each sent as soon as it is built.
 */
export function rawEvalsha(per: number): Writer {
  return async (redis, batch) => {
    const sent: Promise<[Error | null, unknown][] | null>[] = [];
    for (let i = 0; i < batch.length; i += per) {
      const p = redis.pipeline();
      for (const s of batch.slice(i, i + per)) {
        const key = `orderbook:${s.product_id}:${s.timestamp}`;
        const index = `orderbook:index:${s.product_id}`;
        p.evalsha(
          RAW_SHA,
          3,
          key,
          index,
          PRODUCTS,
          toEpochMicros(s.timestamp),
          s.product_id,
          ...hashFields(s),
        );
      }
      sent.push(p.exec());
    }
    for (const replies of await Promise.all(sent)) for (const [err] of replies ?? []) if (err) throw err;
  };
}

/** HSET + ZADD + SADD per snapshot in MULTI/EXEC transactions of `per` snapshots, sent as built. */
export function rawMulti(per: number): Writer {
  return async (redis, batch) => {
    const sent: Promise<[Error | null, unknown][] | null>[] = [];
    for (let i = 0; i < batch.length; i += per) {
      const m = redis.multi();
      for (const s of batch.slice(i, i + per)) {
        const key = `orderbook:${s.product_id}:${s.timestamp}`;
        m.hset(key, ...hashFields(s));
        m.zadd(`orderbook:index:${s.product_id}`, toEpochMicros(s.timestamp), key);
        m.sadd(PRODUCTS, s.product_id);
      }
      sent.push(m.exec());
    }
    for (const replies of await Promise.all(sent)) for (const [err] of replies ?? []) if (err) throw err;
  };
}

interface Method {
  name: string;
  baseline: boolean;
  /**
   * Tried in every run but repeated only `storeMinorReps` times: a raw shape that has never come
   * close to the fastest one here (bench/README.md), kept so that every run shows it still does not.
   */
  minor?: boolean;
  make(redis: Redis): Writer;
}

export const METHODS: Method[] = [
  {
    name: 'RedisStore.write',
    baseline: false,
    make: (redis) => {
      const store = new RedisStore(redis);
      return async (_r, batch) => {
        await store.write(batch);
      };
    },
  },
  { name: 'raw EVALSHA/snap, 100/pipeline', baseline: true, make: () => rawEvalsha(100) },
  {
    name: 'raw EVALSHA/snap, 1 pipeline',
    baseline: true,
    minor: true,
    make: () => rawEvalsha(Number.POSITIVE_INFINITY),
  },
  {
    name: 'raw MULTI, 1 per batch',
    baseline: true,
    minor: true,
    make: () => rawMulti(Number.POSITIVE_INFINITY),
  },
];

async function writeAll(redis: Redis, write: Writer, batches: readonly L1Snapshot[][]): Promise<number> {
  const t0 = performance.now();
  for (const b of batches) await write(redis, b);
  return performance.now() - t0;
}

/** CPU seconds the Redis server has used so far (user + sys). */
async function serverCpu(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const user = Number(/used_cpu_user:([\d.]+)/.exec(info)?.[1] ?? 0);
  const sys = Number(/used_cpu_sys:([\d.]+)/.exec(info)?.[1] ?? 0);
  return user + sys;
}

/** Finds redis-benchmark on PATH; undefined when it is not installed. */
export function findRedisBenchmark(): string | undefined {
  const r = spawnSync('redis-benchmark', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? 'redis-benchmark' : undefined;
}

/** Requests per second of one redis-benchmark command (-P 32, random keys), parsed from --csv output. */
function redisBenchmark(ctx: BenchContext, command: string[]): number {
  const args = ['-h', '127.0.0.1', '-p', String(ctx.port), '--dbnum', String(ctx.db), '-P', '32'];
  args.push('-n', String(ctx.sizes.redisBenchRequests), '-r', '100000', '--csv', ...command);
  const r = spawnSync('redis-benchmark', args, { encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`redis-benchmark failed: ${r.stderr || r.stdout}`);
  // A row is "<command>","<rps>","<avg>","<min>","<p50>","<p95>","<p99>","<max>"; the command itself
  // holds quotes and commas (the JSON levels), so count from the right.
  const line = r.stdout.split('\n').find((l) => l.startsWith('"') && !l.startsWith('"test"')) ?? '';
  const cells = line.trim().split('","');
  const rps = Number(cells[cells.length - 7]);
  if (!Number.isFinite(rps) || rps <= 0) throw new Error(`cannot read redis-benchmark output: ${r.stdout}`);
  return rps;
}

export async function storeThroughput(ctx: BenchContext): Promise<CaseResult> {
  const { sizes } = ctx;
  const products = productIds(sizes.products);
  const tape = makeTape({ products, count: sizes.storeSnapshots });
  const batches = chunks(tape, sizes.writeBatch);
  const expectedKeys = sizes.storeSnapshots + products.length + 1;
  const redis = connect(ctx);
  const details: Record<string, unknown> = {
    snapshots: sizes.storeSnapshots,
    products: products.length,
    batch: sizes.writeBatch,
    hashBytes: hashFields(tape[0] as L1Snapshot).reduce((n, f) => n + f.length, 0),
  };
  try {
    await redis.script('LOAD', RAW_SCRIPT);
    const writers = METHODS.map((m) => ({
      ...m,
      write: m.make(redis),
      ms: [] as number[],
      clientCpuUs: [] as number[],
      serverCpuUs: [] as number[],
    }));
    // Warm-up (JIT, connection buffers), not timed.
    const warm = batches.slice(0, Math.max(1, Math.ceil(batches.length / 20)));
    for (const w of writers) {
      await ctx.flush();
      await writeAll(redis, w.write, warm);
    }
    for (let rep = 0; rep < sizes.storeReps; rep++) {
      // Rotate the order each repetition, so drift on a shared machine hits every method alike.
      const ran: string[] = [];
      for (let k = 0; k < writers.length; k++) {
        const w = writers[(k + rep) % writers.length];
        if (!w || (w.minor && w.ms.length >= sizes.storeMinorReps)) continue;
        await ctx.flush();
        const server0 = await serverCpu(redis);
        const client0 = process.cpuUsage();
        w.ms.push(await writeAll(redis, w.write, batches));
        const client = process.cpuUsage(client0);
        w.clientCpuUs.push((client.user + client.system) / sizes.storeSnapshots);
        w.serverCpuUs.push((((await serverCpu(redis)) - server0) * 1e6) / sizes.storeSnapshots);
        const stored = await redis.dbsize();
        if (stored !== expectedKeys)
          throw new Error(`${w.name} left ${stored} keys, expected ${expectedKeys}: not the same write`);
        ran.push(`${w.name} ${Math.round(w.ms.at(-1) ?? 0)} ms`);
      }
      ctx.log(`store rep ${rep + 1}/${sizes.storeReps}: ${ran.join(', ')}`);
    }
    await ctx.flush();
    // Where the time goes: CPU µs per snapshot in this (client) process and in redis-server.
    details.cpuUsPerSnapshot = Object.fromEntries(
      writers.map((w) => [
        w.name,
        { client: summarize(w.clientCpuUs).median, server: summarize(w.serverCpuUs).median },
      ]),
    );
    const rows: Row[] = writers.map((w) => ({
      name: w.name,
      unit: 'snap/s',
      higherIsBetter: true,
      summary: summarize(w.ms.map((ms) => (sizes.storeSnapshots / ms) * 1000)),
      ...(w.baseline ? { baseline: true } : {}),
      note: `CPU per snapshot: client ${summarize(w.clientCpuUs).median.toFixed(1)} µs, redis-server ${summarize(w.serverCpuUs).median.toFixed(1)} µs`,
    }));
    const [store, ...raw] = rows as [Row, ...Row[]];
    const best = raw.reduce((a, b) => (b.summary.median > a.summary.median ? b : a));
    store.vs = ratio(store, best);
    for (const r of raw) r.vs = r === best ? undefined : ratio(r, best);
    best.note = `${best.note}; the fastest raw ioredis method in this run (the store's baseline)`;
    store.target = '≥ 0.90× best raw';
    store.met = store.vs.ratio >= 0.9;

    let skipped: string | undefined;
    if (!findRedisBenchmark()) {
      skipped = 'redis-benchmark not installed (Debian: apt-get install redis-tools): no server ceiling';
    } else {
      const sample = tape[0] as L1Snapshot;
      const hset = [
        'hset',
        `orderbook:${sample.product_id}:__rand_int__`,
        ...hashFields(sample).slice(0, 14),
      ];
      const zadd = [
        'zadd',
        `orderbook:index:${sample.product_id}`,
        '__rand_int__',
        `orderbook:x:__rand_int__`,
      ];
      const ceiling: number[] = [];
      const hsets: number[] = [];
      const zadds: number[] = [];
      for (let rep = 0; rep < sizes.storeReps; rep++) {
        await ctx.flush();
        const h = redisBenchmark(ctx, hset);
        const z = redisBenchmark(ctx, zadd);
        hsets.push(h);
        zadds.push(z);
        ceiling.push(1 / (1 / h + 1 / z));
      }
      await ctx.flush();
      const ceilingRow: Row = {
        name: 'redis-benchmark HSET+ZADD',
        unit: 'snap/s',
        higherIsBetter: true,
        baseline: true,
        summary: summarize(ceiling),
        note: 'server ceiling: 1/(1/HSET rps + 1/ZADD rps), realistic 7-field hash, 50 clients, 32 deep',
      };
      rows.push(ceilingRow);
      details.redisBenchmark = { hsetRps: hsets, zaddRps: zadds };
      const c = ratio(store, ceilingRow);
      store.delta = `(${c.ratio.toFixed(2)}× ceiling)`;
    }
    return { id: 'store', title: 'Store throughput', rows, details, ...(skipped ? { skipped } : {}) };
  } finally {
    redis.disconnect();
  }
}
