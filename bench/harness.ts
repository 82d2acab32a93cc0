/**
 * Runs the benchmark cases on a Redis of their own and collects one report. `npm run bench` starts
 * a throwaway redis-server (the test harness' spawner, never port 6379); a caller may instead hand
 * in a URL whose DB the bench may flush (the harness test does, on its own test DB).
 */
import { cpus } from 'node:os';
import { Redis } from 'ioredis';
import { startRedisServer } from '../test/support/redis-server.js';
import { coldStartCase, endToEndCase } from './cases/cli.js';
import { clusterCase } from './cases/cluster.js';
import { exportCase } from './cases/export.js';
import { memoryCase } from './cases/memory.js';
import { latestCase, populateOneProduct, rangeCase } from './cases/reads.js';
import { spoolCase } from './cases/spool.js';
import { storeThroughput } from './cases/store-throughput.js';
import { streamCase } from './cases/stream.js';
import { type BenchContext, findProjectRoot, type Mode, SIZES, type Sizes } from './context.js';
import type { BenchReport, CaseResult } from './report.js';

export const CASE_IDS = [
  'store',
  'range',
  'latest',
  'export',
  'memory',
  'e2e',
  'cold-start',
  'stream',
  'spool',
] as const;
/** Cases run only when asked for (--only, or --cluster): they start more servers of their own. */
export const OPTIONAL_CASE_IDS = ['cluster'] as const;
export type CaseId = (typeof CASE_IDS)[number] | (typeof OPTIONAL_CASE_IDS)[number];

export interface BenchOptions {
  mode: Mode;
  /** Overrides of the mode's sizes. */
  sizes?: Partial<Sizes>;
  /** Run only these cases (default all but the optional ones). */
  only?: readonly CaseId[];
  /** Use this Redis (`redis://host:port/DB`; the DB is flushed) instead of spawning one. */
  redisUrl?: string;
  log?: (message: string) => void;
}

export async function runBench(options: BenchOptions): Promise<BenchReport> {
  const started = new Date();
  const t0 = performance.now();
  const sizes: Sizes = { ...SIZES[options.mode], ...options.sizes };
  const log = options.log ?? (() => {});
  const only = new Set<CaseId>(options.only ?? CASE_IDS);
  const server = options.redisUrl ? undefined : await startRedisServer();
  const url = new URL(options.redisUrl ?? `${server?.url}/0`);
  const db = Number(url.pathname.replace('/', '') || '0');
  const admin = new Redis(url.toString(), { maxRetriesPerRequest: 1 });
  try {
    const ctx: BenchContext = {
      mode: options.mode,
      sizes,
      url: url.toString(),
      port: Number(url.port),
      db,
      ownServer: server !== undefined,
      root: findProjectRoot(),
      admin,
      log,
      flush: async () => {
        await admin.flushdb();
      },
    };
    const serverInfo = await admin.info('server');
    const redisVersion = /redis_version:(\S+)/.exec(serverInfo)?.[1] ?? 'unknown';
    log(`bench redis ${redisVersion} at ${url.host} db ${db}${server ? ' (spawned for this run)' : ''}`);
    const cases: CaseResult[] = [];
    const run = async (id: CaseId, fn: () => Promise<CaseResult>) => {
      if (!only.has(id)) return;
      const c0 = performance.now();
      log(`case ${id} …`);
      const result = await fn();
      result.details = { ...result.details, caseMs: Math.round(performance.now() - c0) };
      cases.push(result);
    };
    await run('store', () => storeThroughput(ctx));
    if (only.has('range') || only.has('latest') || only.has('export')) {
      const data = await populateOneProduct(ctx);
      await run('range', () => rangeCase(ctx, data));
      await run('latest', () => latestCase(ctx, data));
      await run('export', () => exportCase(ctx, data));
      await ctx.flush();
    }
    await run('memory', () => memoryCase(ctx));
    await run('e2e', () => endToEndCase(ctx));
    await run('cold-start', () => coldStartCase(ctx));
    await run('stream', () => streamCase(ctx));
    await run('cluster', () => clusterCase(ctx));
    await run('spool', () => spoolCase(ctx));
    await ctx.flush();
    const cpu = cpus();
    return {
      schema: 'l1-orderbook-bench/1',
      mode: options.mode,
      startedAt: started.toISOString(),
      durationMs: Math.round(performance.now() - t0),
      machine: {
        cpus: cpu.length,
        cpuModel: cpu[0]?.model ?? 'unknown',
        node: process.version,
        platform: `${process.platform}-${process.arch}`,
        redis: redisVersion,
      },
      sizes: { ...sizes },
      cases,
    };
  } finally {
    admin.disconnect();
    await server?.stop();
  }
}
