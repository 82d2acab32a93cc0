/**
 * Case `stream`: what one `l1-fetch --stream` process handles, beside bench/stream-baseline.mjs
 * (one ws client, JSON.parse, pipelined writes of the same hash + index entry, nothing else), both
 * spawned fresh and fed by the same loopback fake in this process.
 *
 *   throughput  200 products on a fake OKX bbo-tbt feed; N changes pushed as fast as the fake can
 *               send them; changes/s = N ÷ (first frame sent → all N readable in Redis).
 *   latency     200 products on a fake Coinbase level2_batch feed at 2,000 changes/s; per change,
 *               from the fake's send to Redis announcing the hash (keyspace notification), p50/p99.
 *   delivery    changes stored ÷ changes sent in both; REST requests per minute the stream saves
 *               against polling the same products every second.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { FakeCoinbaseStream, FakeOkxStream } from '../../test/support/fake-stream-venues.js';
import { fixedMicros } from '../../test/support/fake-ws-venue.js';
import { type BenchContext, connect } from '../context.js';
import { productIds } from '../data.js';
import { type CaseResult, type Row, ratio } from '../report.js';
import { percentile, summarize } from '../stats.js';

/** The fakes with a way to send prebuilt frames to the sockets subscribed to one symbol. */
class BenchOkx extends FakeOkxStream {
  sendFrame(native: string, frame: string): void {
    this.publish(native, frame);
  }
}
class BenchCoinbase extends FakeCoinbaseStream {
  sendFrame(native: string, frame: string): void {
    this.publish(native, frame);
  }
}

interface Variant {
  name: string;
  baseline: boolean;
  args: (venue: 'okx' | 'coinbase', wsUrl: string, csv: string) => string[];
}

const PRODUCTS = 200;

function start(ctx: BenchContext, args: string[]): { child: ChildProcess; stderr: () => string } {
  const child = spawn(process.execPath, args, {
    cwd: ctx.root,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', REDIS_URL: undefined },
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr = (stderr + d).slice(-4000);
  });
  return { child, stderr: () => stderr };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const done = new Promise<void>((resolve) => child.once('close', () => resolve()));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await done;
  clearTimeout(t);
}

/** Snapshot hashes in the DB: everything but the index sorted sets and the product set. */
async function hashes(redis: Redis, products: number): Promise<number> {
  return (await redis.dbsize()) - products - 1;
}

async function until(
  check: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs: number,
): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > end) throw new Error(`stream bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export async function streamCase(ctx: BenchContext): Promise<CaseResult> {
  const fetchBin = join(ctx.root, 'dist/cli/fetch.js');
  if (!existsSync(fetchBin))
    return { id: 'stream', title: 'Streaming', rows: [], skipped: 'dist/ is missing: run npm run build' };
  const help = spawnSync(process.execPath, [fetchBin, '--help'], { encoding: 'utf8' }).stdout;
  if (!help.includes('--stream'))
    return { id: 'stream', title: 'Streaming', rows: [], skipped: 'this l1-fetch has no --stream' };
  const products = productIds(PRODUCTS);
  const dir = mkdtempSync(join(tmpdir(), 'l1-bench-stream-'));
  const variants: Variant[] = [
    {
      name: 'l1-fetch --stream',
      baseline: false,
      args: (venue, wsUrl, csv) => [
        fetchBin,
        '--csv',
        csv,
        '--stream',
        '--ws-url',
        `${venue}=${wsUrl}`,
        '--redis-url',
        ctx.url,
        // The fake sends a whole run faster than any client stores it; like the baseline's
        // unbounded pipeline, the queue must hold the burst (its default bound drops the oldest).
        '--max-queue',
        String(ctx.sizes.streamChanges + PRODUCTS),
      ],
    },
    {
      name: 'raw ws+JSON.parse+pipeline',
      baseline: true,
      args: (venue, wsUrl) => [
        join(ctx.root, 'bench/stream-baseline.mjs'),
        venue,
        wsUrl,
        ctx.url,
        ...products,
      ],
    },
  ];
  const csvFor = (venue: string) => {
    const path = join(dir, `${venue}.csv`);
    writeFileSync(path, `product_id,exchange\n${products.map((p) => `${p},${venue}`).join('\n')}\n`);
    return path;
  };
  const { streamChanges, streamReps, streamLatencySeconds } = ctx.sizes;
  const rates = variants.map(() => [] as number[]);
  const delivered = variants.map(() => [] as number[]);
  const p50 = variants.map(() => [] as number[]);
  const p99 = variants.map(() => [] as number[]);
  const redis = connect(ctx);
  try {
    for (let rep = 0; rep < streamReps; rep++) {
      // Rotate the order so a slow spell of the machine hits both alike.
      const order = rep % 2 === 0 ? [0, 1] : [1, 0];
      for (const i of order) {
        const v = variants[i] as Variant;
        const t = await throughput(ctx, redis, v, csvFor('okx'), products, streamChanges);
        rates[i]?.push(t.rate);
        delivered[i]?.push(t.delivered);
      }
      for (const i of order) {
        const v = variants[i] as Variant;
        const l = await latency(ctx, v, csvFor('coinbase'), products, streamLatencySeconds);
        p50[i]?.push(l.p50);
        p99[i]?.push(l.p99);
        delivered[i]?.push(l.delivered);
      }
      ctx.log(
        `stream rep ${rep + 1}: ${variants.map((v, i) => `${v.name} ${Math.round(rates[i]?.at(-1) ?? 0)} changes/s, p99 ${(p99[i]?.at(-1) ?? 0).toFixed(1)} ms`).join('; ')}`,
      );
    }
  } finally {
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  }

  const rowsOf = (i: number) => {
    const v = variants[i] as Variant;
    const base = v.baseline ? { baseline: true } : {};
    const row = (name: string, unit: string, higherIsBetter: boolean, samples: number[]): Row => ({
      name: `${v.name} ${name}`,
      unit,
      higherIsBetter,
      summary: summarize(samples),
      ...base,
    });
    return {
      rate: row('(okx)', 'snap/s', true, rates[i] ?? []),
      p50: row('p50 at 2k/s', 'ms', false, p50[i] ?? []),
      p99: row('p99 at 2k/s', 'ms', false, p99[i] ?? []),
      delivered: row('stored ÷ sent', 'ratio', true, delivered[i] ?? []),
    };
  };
  const ours = rowsOf(0);
  const raw = rowsOf(1);
  const rate = ours.rate;
  rate.vs = ratio(rate, raw.rate);
  rate.target = '≥ 0.80× raw and ≥ 20,000/s';
  rate.met = rate.vs.ratio >= 0.8 && rate.summary.median >= 20_000;
  const latencyP99 = ours.p99;
  latencyP99.vs = ratio(latencyP99, raw.p99);
  latencyP99.target = '≤ 20 ms';
  latencyP99.met = latencyP99.summary.median <= 20;
  ours.p50.vs = ratio(ours.p50, raw.p50);
  const okDelivery = ours.delivered;
  okDelivery.target = '= 1.0';
  okDelivery.met = okDelivery.summary.min === 1;
  // Polling the same 200 Coinbase products every second takes one request per product per second;
  // Coinbase allows 10/s, so a poll of each would in fact come every ~22 s. The stream makes none.
  const polled = PRODUCTS * 60;
  const saved: Row = {
    name: 'REST requests/min saved',
    unit: 'req/min',
    higherIsBetter: true,
    summary: summarize([polled]),
    note: `Coinbase, ${PRODUCTS} products: polling each every second needs ${polled.toLocaleString('en-US')} requests/min (the venue allows 600); the stream made none (two subscribe messages per connection)`,
  };
  rate.note = `${streamChanges.toLocaleString('en-US')} changes over ${PRODUCTS} products per run, from the first frame sent until all are readable in Redis; both processes spawned fresh, same fake`;
  latencyP99.note = `fake Coinbase level2_batch, ${PRODUCTS} products at 2,000 changes/s for ${streamLatencySeconds} s; send → keyspace notification of the hash, measured in the bench process (which also runs the fake)`;
  return {
    id: 'stream',
    title: `Streaming, ${PRODUCTS} products, loopback fakes`,
    rows: [rate, raw.rate, ours.p50, raw.p50, latencyP99, raw.p99, okDelivery, raw.delivered, saved],
    details: {
      products: PRODUCTS,
      changes: streamChanges,
      latencySeconds: streamLatencySeconds,
      reps: streamReps,
    },
  };
}

/** N changes pushed as fast as the fake sends them; changes/s until all are stored. */
async function throughput(
  ctx: BenchContext,
  redis: Redis,
  v: Variant,
  csv: string,
  products: string[],
  changes: number,
): Promise<{ rate: number; delivered: number }> {
  await ctx.flush();
  const fake = new BenchOkx();
  for (const p of products) fake.list(p, ['100.0', '1'], ['100.1', '1']);
  const url = await fake.start();
  const run = start(ctx, v.args('okx', url, csv));
  try {
    await fake.subscribed(products, 30_000);
    // The subscription's first push of every product is stored before the clock starts.
    await until(
      async () => (await hashes(redis, products.length)) >= products.length,
      'the first tops',
      30_000,
    );
    // Prebuilt frames: every one changes its product's best bid size; ts and seqId increase.
    const base = Date.now() + 60_000;
    const frames: [string, string][] = [];
    for (let n = 0; n < changes; n++) {
      const p = products[n % products.length] as string;
      const k = Math.floor(n / products.length);
      frames.push([
        p,
        `{"arg":{"channel":"bbo-tbt","instId":"${p}"},"data":[{"asks":[["100.1","1","0","1"]],"bids":[["100.0","${k + 2}","0","2"]],"ts":"${base + k}","seqId":${2000 + k}}]}`,
      ]);
    }
    const t0 = performance.now();
    for (let n = 0; n < frames.length; n++) {
      const [p, frame] = frames[n] as [string, string];
      fake.sendFrame(p, frame);
      if (n % 2000 === 1999) await new Promise((r) => setImmediate(r));
    }
    const want = products.length + changes;
    await until(
      async () => (await hashes(redis, products.length)) >= want,
      `${v.name}: ${want} snapshots stored`,
      180_000,
    );
    const ms = performance.now() - t0;
    const stored = await hashes(redis, products.length);
    return { rate: (changes / ms) * 1000, delivered: stored / want };
  } catch (err) {
    throw new Error(`${v.name}: ${err instanceof Error ? err.message : String(err)}\n${run.stderr()}`);
  } finally {
    await stop(run.child);
    await fake.stop();
  }
}

/** 2,000 changes/s for `seconds`; per change, send → Redis announces the hash. */
async function latency(
  ctx: BenchContext,
  v: Variant,
  csv: string,
  products: string[],
  seconds: number,
): Promise<{ p50: number; p99: number; delivered: number }> {
  await ctx.flush();
  const fake = new BenchCoinbase();
  for (const p of products) fake.addProduct(p, [['100.00', '1']], [['100.10', '1']]);
  const url = await fake.start();
  const events = new Redis(ctx.url);
  const admin = connect(ctx);
  await admin.config('SET', 'notify-keyspace-events', 'Eh');
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  await events.subscribe(`__keyevent@${ctx.db}__:hset`);
  events.on('message', (_channel: string, key: string) => {
    const at = sentAt.get(key);
    if (at !== undefined) {
      latencies.push(performance.now() - at);
      sentAt.delete(key);
    }
  });
  const run = start(ctx, v.args('coinbase', url, csv));
  let sent = 0;
  try {
    await fake.subscribed(products, 30_000);
    await new Promise((r) => setTimeout(r, 500));
    const perSecond = 2000;
    const t0 = performance.now();
    const micros0 = Math.floor((performance.timeOrigin + performance.now()) * 1000) + 60_000_000;
    while (performance.now() - t0 < seconds * 1000) {
      const due = Math.floor(((performance.now() - t0) / 1000) * perSecond);
      for (; sent < due; sent++) {
        const p = products[sent % products.length] as string;
        const time = fixedMicros(micros0 + sent);
        sentAt.set(`orderbook:${p}:${time}`, performance.now());
        fake.sendFrame(
          p,
          `{"type":"l2update","product_id":"${p}","changes":[["buy","100.00","${sent + 2}"]],"time":"${time}"}`,
        );
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    await until(() => latencies.length >= sent, `${v.name}: every change announced`, 15_000).catch(() => {});
    const sorted = [...latencies].sort((a, b) => a - b);
    return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), delivered: latencies.length / sent };
  } catch (err) {
    throw new Error(`${v.name}: ${err instanceof Error ? err.message : String(err)}\n${run.stderr()}`);
  } finally {
    await stop(run.child);
    events.disconnect();
    await admin.config('SET', 'notify-keyspace-events', '');
    admin.disconnect();
    await fake.stop();
  }
}
