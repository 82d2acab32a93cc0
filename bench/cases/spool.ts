/**
 * Case spool: what `--spool-dir` costs and how fast a spool is written back.
 *
 * - replay: a spool of N snapshots an earlier run left (100,000 in full and quick runs) is opened
 *   (lock, every record's length and checksum checked) and written to Redis through the write
 *   queue, as l1-fetch does at start; against RedisStore.write of the same snapshots from memory,
 *   fed the same way (batches of 500, one in flight), and the store case's fastest raw ioredis
 *   write (EVALSHA of a 3-command script per snapshot, pipelines of 100 sent as built).
 * - live path: N snapshots pushed into the write queue with a spool, until all are in Redis,
 *   against the same queue without one (the memory queue).
 * - append: CPU per snapshot of Spool.append (encode, checksum, one write(2) per burst), against
 *   JSON.stringify of the same snapshot alone.
 * Every method starts from an empty DB and must leave the same keys behind.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_WRITE_QUEUE, WriteQueue } from '../../src/capture/write-queue.js';
import type { L1Snapshot } from '../../src/snapshot.js';
import { Spool, type SpoolLog } from '../../src/spool/spool.js';
import { RedisStore } from '../../src/store/redis-store.js';
import { type BenchContext, connect } from '../context.js';
import { chunks, makeTape, productIds } from '../data.js';
import { type CaseResult, type Row, ratio } from '../report.js';
import { summarize } from '../stats.js';
import { RAW_SCRIPT, rawEvalsha } from './store-throughput.js';

const quiet: SpoolLog = { info: () => {}, warn: () => {}, error: () => {} };
const QUEUE = DEFAULT_WRITE_QUEUE;
const MAX_SPOOL = 1024 ** 3;

/** A spool directory holding `tape`, as a run that never reached Redis leaves it. */
function leaveSpool(tape: readonly L1Snapshot[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'l1-bench-spool-'));
  const spool = Spool.open({ dir, maxBytes: MAX_SPOOL, maxMemory: QUEUE.maxQueued, log: quiet });
  for (const s of tape) spool.append(s);
  spool.close();
  return dir;
}

export async function spoolCase(ctx: BenchContext): Promise<CaseResult> {
  const { sizes } = ctx;
  const n = sizes.spoolSnapshots;
  const tape = makeTape({ products: productIds(sizes.products), count: n, seed: 11 });
  const expectedKeys = n + sizes.products + 1;
  const redis = connect(ctx);
  const store = new RedisStore(redis);
  const samples = {
    replay: [] as number[],
    direct: [] as number[],
    raw: [] as number[],
    spooled: [] as number[],
    memory: [] as number[],
    append: [] as number[],
    stringify: [] as number[],
  };
  const check = async (what: string) => {
    const keys = await redis.dbsize();
    if (keys !== expectedKeys) throw new Error(`${what} left ${keys} keys, expected ${expectedKeys}`);
  };
  const rate = (ms: number) => (n / ms) * 1000;
  const dirs: string[] = [];
  const write = rawEvalsha(100);
  try {
    await redis.script('LOAD', RAW_SCRIPT);
    const methods: Record<string, () => Promise<void>> = {
      replay: async () => {
        const dir = leaveSpool(tape);
        dirs.push(dir);
        await ctx.flush();
        const t0 = performance.now();
        const spool = Spool.open({ dir, maxBytes: MAX_SPOOL, maxMemory: QUEUE.maxQueued, log: quiet });
        const queue = new WriteQueue(store, { ...QUEUE, spool });
        const unwritten = await queue.drain(600_000);
        samples.replay.push(rate(performance.now() - t0));
        spool.close();
        if (unwritten !== 0) throw new Error(`replay left ${unwritten} unwritten`);
        await check('replay');
      },
      direct: async () => {
        await ctx.flush();
        const t0 = performance.now();
        for (const batch of chunks(tape, QUEUE.batchSize)) await store.write(batch);
        samples.direct.push(rate(performance.now() - t0));
        await check('RedisStore.write');
      },
      raw: async () => {
        await ctx.flush();
        const t0 = performance.now();
        for (const batch of chunks(tape, QUEUE.batchSize)) await write(redis, batch);
        samples.raw.push(rate(performance.now() - t0));
        await check('raw EVALSHA');
      },
      spooled: async () => {
        const dir = mkdtempSync(join(tmpdir(), 'l1-bench-spool-'));
        dirs.push(dir);
        await ctx.flush();
        const spool = Spool.open({ dir, maxBytes: MAX_SPOOL, maxMemory: QUEUE.maxQueued, log: quiet });
        const t0 = performance.now();
        const queue = new WriteQueue(store, { ...QUEUE, spool });
        for (const s of tape) queue.push(s);
        await queue.drain(600_000);
        samples.spooled.push(rate(performance.now() - t0));
        spool.close();
        await check('queue with spool');
      },
      memory: async () => {
        await ctx.flush();
        const t0 = performance.now();
        const queue = new WriteQueue(store, QUEUE);
        for (const s of tape) queue.push(s);
        await queue.drain(600_000);
        samples.memory.push(rate(performance.now() - t0));
        await check('memory queue');
      },
    };
    const order = Object.keys(methods);
    // Warm-up (JIT, page cache): one round of every method, its figures thrown away.
    for (const m of order) await methods[m]?.();
    for (const list of [samples.replay, samples.direct, samples.raw, samples.spooled, samples.memory])
      list.length = 0;
    for (let rep = 0; rep < sizes.spoolReps; rep++) {
      // Rotate the order each repetition, so drift on a shared machine hits every method alike.
      for (let k = 0; k < order.length; k++) await methods[order[(k + rep) % order.length] as string]?.();
      ctx.log(`spool rep ${rep + 1}/${sizes.spoolReps}`);
    }
    for (let rep = 0; rep < sizes.spoolReps; rep++) {
      const dir = mkdtempSync(join(tmpdir(), 'l1-bench-spool-'));
      dirs.push(dir);
      const spool = Spool.open({ dir, maxBytes: MAX_SPOOL, maxMemory: 1, log: quiet });
      let c0 = process.cpuUsage();
      for (const s of tape) spool.append(s);
      spool.close();
      let c = process.cpuUsage(c0);
      samples.append.push((c.user + c.system) / n);
      c0 = process.cpuUsage();
      let bytes = 0;
      for (const s of tape) bytes += JSON.stringify(s).length;
      c = process.cpuUsage(c0);
      samples.stringify.push((c.user + c.system) / n);
      if (bytes === 0) throw new Error('nothing encoded');
    }
    await ctx.flush();

    const row = (
      name: string,
      unit: string,
      higherIsBetter: boolean,
      values: number[],
      extra: Partial<Row> = {},
    ): Row => ({
      name,
      unit,
      higherIsBetter,
      summary: summarize(values),
      ...extra,
    });
    const direct = row('RedisStore.write, from memory', 'snap/s', true, samples.direct, { baseline: true });
    const raw = row('raw EVALSHA/snap, 100/pipeline', 'snap/s', true, samples.raw, {
      baseline: true,
      note: "the store case's fastest raw ioredis write of the same snapshots",
    });
    direct.vs = ratio(direct, raw);
    const replay = row(`spool replay of ${n.toLocaleString('en-US')}`, 'snap/s', true, samples.replay, {
      note: 'open (lock, check every record) + write through the write queue, as l1-fetch does at start',
    });
    replay.vs = ratio(replay, direct);
    const memory = row('WriteQueue, memory only', 'snap/s', true, samples.memory, { baseline: true });
    const spooled = row('WriteQueue + spool', 'snap/s', true, samples.spooled, {
      note: 'push → on disk → in Redis → acknowledged; Redis up throughout',
    });
    spooled.vs = ratio(spooled, memory);
    const stringify = row('JSON.stringify alone', 'µs', false, samples.stringify, { baseline: true });
    const append = row('Spool.append', 'µs', false, samples.append, {
      note: 'CPU per snapshot: encode, CRC-32, write(2) per burst; no fsync on this path',
    });
    append.vs = ratio(append, stringify);
    return {
      id: 'spool',
      title: 'Spool',
      rows: [replay, direct, raw, spooled, memory, append, stringify],
      details: { snapshots: n, products: sizes.products },
    };
  } finally {
    redis.disconnect();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}
