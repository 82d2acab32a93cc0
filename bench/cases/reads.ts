/**
 * Cases 2 and 3, reads: one product with a long tape (1M snapshots in the full run), then
 *   range:  RedisStore.range over a 10,000-snapshot window vs raw ZRANGE BYSCORE + one pipeline of HGETALL;
 *   latest: RedisStore.latest vs a raw HGETALL of a known key (and vs raw ZRANGE -1 -1 + HGETALL).
 */
import type { Redis } from 'ioredis';
import type { L1Snapshot } from '../../src/snapshot.js';
import { indexKey } from '../../src/store/keys.js';
import { RedisStore } from '../../src/store/redis-store.js';
import { toEpochMicros } from '../../src/timestamp.js';
import { type BenchContext, connect } from '../context.js';
import { chunks, makeTape } from '../data.js';
import { type CaseResult, type Row, ratio } from '../report.js';
import { percentile, summarize } from '../stats.js';

export const READ_PRODUCT = 'BTC-USD';
const REF = { exchange: 'coinbase' as const, productId: READ_PRODUCT };

export interface ReadData {
  tape: L1Snapshot[];
  newestKey: string;
  populateMs: number;
}

/** Empties the DB and stores `rangeStored` snapshots of one product (polled every 100 ms). */
export async function populateOneProduct(ctx: BenchContext): Promise<ReadData> {
  await ctx.flush();
  const tape = makeTape({
    products: [READ_PRODUCT],
    count: ctx.sizes.rangeStored,
    roundMicros: 100_000,
    seed: 11,
  });
  const redis = connect(ctx);
  try {
    const store = new RedisStore(redis);
    const t0 = performance.now();
    let newestKey = '';
    for (const batch of chunks(tape, ctx.sizes.writeBatch)) {
      const r = await store.write(batch);
      newestKey = r.keys.at(-1) ?? newestKey;
    }
    const populateMs = performance.now() - t0;
    const stored = await redis.zcard(indexKey('coinbase', READ_PRODUCT));
    if (stored !== tape.length) throw new Error(`populated ${stored} snapshots, expected ${tape.length}`);
    ctx.log(`reads: stored ${tape.length} snapshots of ${READ_PRODUCT} in ${Math.round(populateMs)} ms`);
    return { tape, newestKey, populateMs };
  } finally {
    redis.disconnect();
  }
}

async function rawRange(redis: Redis, from: number, to: number): Promise<Record<string, string>[]> {
  const keys = await redis.zrange(indexKey('coinbase', READ_PRODUCT), from, to, 'BYSCORE');
  const p = redis.pipeline();
  for (const k of keys) p.hgetall(k);
  const replies = (await p.exec()) ?? [];
  return replies.map(([err, h]) => {
    if (err) throw err;
    return h as Record<string, string>;
  });
}

async function storeRange(store: RedisStore, from: number, to: number): Promise<L1Snapshot[]> {
  const out: L1Snapshot[] = [];
  for await (const s of store.range(REF, { fromMicros: from, toMicros: to })) out.push(s);
  return out;
}

export async function rangeCase(ctx: BenchContext, data: ReadData): Promise<CaseResult> {
  const { sizes } = ctx;
  const size = Math.min(sizes.rangeSize, data.tape.length);
  const start = Math.floor((data.tape.length - size) / 2);
  const from = toEpochMicros((data.tape[start] as L1Snapshot).timestamp);
  const to = toEpochMicros((data.tape[start + size - 1] as L1Snapshot).timestamp);
  const redis = connect(ctx);
  try {
    const store = new RedisStore(redis);
    const methods = [
      { name: 'RedisStore.range', run: () => storeRange(store, from, to), ms: [] as number[] },
      { name: 'raw ZRANGE+HGETALLs', run: () => rawRange(redis, from, to), ms: [] as number[] },
    ];
    for (const m of methods) await m.run(); // warm-up
    for (let rep = 0; rep < sizes.rangeReps; rep++) {
      for (let k = 0; k < methods.length; k++) {
        const m = methods[(k + rep) % methods.length];
        if (!m) continue;
        const t0 = performance.now();
        const got = await m.run();
        m.ms.push(performance.now() - t0);
        if (got.length !== size)
          throw new Error(`${m.name} returned ${got.length} snapshots, expected ${size}`);
      }
    }
    const [storeRow, rawRow] = methods.map(
      (m, i): Row => ({
        name: m.name,
        unit: 'ms',
        higherIsBetter: false,
        summary: summarize(m.ms),
        ...(i > 0 ? { baseline: true } : {}),
      }),
    ) as [Row, Row];
    storeRow.vs = ratio(storeRow, rawRow);
    storeRow.target = '≤ 1.20× raw';
    storeRow.met = storeRow.vs.ratio <= 1.2;
    return {
      id: 'range',
      title: `Range: ${size} of ${data.tape.length} snapshots of one product`,
      rows: [storeRow, rawRow],
      details: { stored: data.tape.length, returned: size, populateMs: data.populateMs },
    };
  } finally {
    redis.disconnect();
  }
}

export async function latestCase(ctx: BenchContext, data: ReadData): Promise<CaseResult> {
  const { sizes } = ctx;
  const redis = connect(ctx);
  try {
    const store = new RedisStore(redis);
    const index = indexKey('coinbase', READ_PRODUCT);
    const methods = [
      {
        name: 'RedisStore.latest',
        run: async () => {
          const s = await store.latest(REF);
          if (!s) throw new Error('latest() found nothing');
        },
      },
      {
        name: 'raw HGETALL known key',
        run: async () => {
          await redis.hgetall(data.newestKey);
        },
      },
      {
        name: 'raw ZRANGE -1 + HGETALL',
        run: async () => {
          const [key] = await redis.zrange(index, -1, -1);
          if (key) await redis.hgetall(key);
        },
      },
    ].map((m) => ({ ...m, p50: [] as number[], p99: [] as number[] }));
    for (const m of methods) for (let i = 0; i < 200; i++) await m.run(); // warm-up
    for (let rep = 0; rep < sizes.latestReps; rep++) {
      for (const m of methods) {
        const lat: number[] = new Array(sizes.latestCalls);
        for (let i = 0; i < sizes.latestCalls; i++) {
          const t0 = performance.now();
          await m.run();
          lat[i] = performance.now() - t0;
        }
        lat.sort((a, b) => a - b);
        m.p50.push(percentile(lat, 50) * 1000);
        m.p99.push(percentile(lat, 99) * 1000);
      }
    }
    const rows: Row[] = [];
    methods.forEach((m, i) => {
      for (const [q, values] of [
        ['p50', m.p50],
        ['p99', m.p99],
      ] as const) {
        rows.push({
          name: `${m.name} ${q}`,
          unit: 'µs',
          higherIsBetter: false,
          summary: summarize(values),
          ...(i > 0 ? { baseline: true } : {}),
        });
      }
    });
    const [s50, s99, h50, h99] = rows as [Row, Row, Row, Row];
    s50.vs = ratio(s50, h50);
    s99.vs = ratio(s99, h99);
    for (const r of [s50, s99]) {
      r.target = '≤ 1000 µs';
      r.met = r.summary.median <= 1000;
    }
    return {
      id: 'latest',
      title: `Latest of a product with ${data.tape.length} snapshots (${sizes.latestCalls} sequential calls per repetition)`,
      rows,
      details: { calls: sizes.latestCalls, stored: data.tape.length },
    };
  } finally {
    redis.disconnect();
  }
}
