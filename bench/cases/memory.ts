/**
 * Case 4, memory: growth of Redis' used_memory per stored snapshot, for RedisStore (hash + index
 * entry + shared product set) vs a bare hash of the same fields under the same key, and the
 * encodings Redis picked (a snapshot hash must stay listpack).
 */
import type { Redis } from 'ioredis';
import type { L1Snapshot } from '../../src/snapshot.js';
import { indexKey } from '../../src/store/keys.js';
import { RedisStore } from '../../src/store/redis-store.js';
import { type BenchContext, connect, usedMemory } from '../context.js';
import { chunks, hashFields, makeTape, productIds } from '../data.js';
import { type CaseResult, type Row, ratio } from '../report.js';
import { summarize } from '../stats.js';

async function settledMemory(redis: Redis): Promise<number> {
  // Let lazy frees and client buffers settle; MEMORY PURGE only returns pages, used_memory is exact.
  await new Promise((r) => setTimeout(r, 50));
  return usedMemory(redis);
}

async function bareHashes(redis: Redis, batch: readonly L1Snapshot[]): Promise<void> {
  const p = redis.pipeline();
  for (const s of batch) {
    p.hset(`orderbook:${s.product_id}:${s.timestamp}`, ...hashFields(s));
  }
  await p.exec();
}

export async function memoryCase(ctx: BenchContext): Promise<CaseResult> {
  const { sizes } = ctx;
  const products = productIds(sizes.products);
  const tape = makeTape({ products, count: sizes.memorySnapshots, seed: 5 });
  const batches = chunks(tape, sizes.writeBatch);
  const redis = connect(ctx);
  try {
    const store = new RedisStore(redis);
    const storeBytes: number[] = [];
    const bareBytes: number[] = [];
    const details: Record<string, unknown> = { snapshots: tape.length, products: products.length };
    for (let rep = 0; rep < sizes.memoryReps; rep++) {
      await ctx.flush();
      let before = await settledMemory(redis);
      let keys: string[] = [];
      for (const b of batches) keys = (await store.write(b)).keys;
      storeBytes.push(((await settledMemory(redis)) - before) / tape.length);
      const sample = keys.at(-1) ?? '';
      const index = indexKey('coinbase', products[0] ?? 'BTC-USD');
      details.hashEncoding = await redis.object('ENCODING', sample);
      details.indexEncoding = await redis.object('ENCODING', index);
      details.hashMemoryUsage = await redis.memory('USAGE', sample);
      details.indexMemoryUsagePerEntry = Math.round(
        Number(await redis.memory('USAGE', index, 'SAMPLES', 0)) / (await redis.zcard(index)),
      );
      details.hashFields = await redis.hlen(sample);
      await ctx.flush();
      before = await settledMemory(redis);
      for (const b of batches) await bareHashes(redis, b);
      bareBytes.push(((await settledMemory(redis)) - before) / tape.length);
      ctx.log(
        `memory rep ${rep + 1}: store ${storeBytes.at(-1)?.toFixed(0)} B, bare hash ${bareBytes.at(-1)?.toFixed(0)} B`,
      );
    }
    await ctx.flush();
    const storeRow: Row = {
      name: 'RedisStore (hash + index entry)',
      unit: 'B/snap',
      higherIsBetter: false,
      summary: summarize(storeBytes),
    };
    const bareRow: Row = {
      name: 'bare hash',
      unit: 'B/snap',
      higherIsBetter: false,
      baseline: true,
      summary: summarize(bareBytes),
    };
    storeRow.vs = ratio(storeRow, bareRow);
    storeRow.delta = `(+${Math.round(storeRow.summary.median - bareRow.summary.median)} B index)`;
    storeRow.target = 'hash listpack';
    storeRow.met = details.hashEncoding === 'listpack';
    storeRow.note = `OBJECT ENCODING: hash ${String(details.hashEncoding)}, index ${String(details.indexEncoding)}; MEMORY USAGE of one hash ${String(details.hashMemoryUsage)} B`;
    return { id: 'memory', title: 'Memory per stored snapshot', rows: [storeRow, bareRow], details };
  } finally {
    redis.disconnect();
  }
}
