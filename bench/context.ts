/** What every case gets: the run's sizes, a Redis of its own, and where the project lives. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';

export type Mode = 'full' | 'quick' | 'tiny';

export interface Sizes {
  /** Products the throughput, memory and end-to-end cases spread snapshots over. */
  products: number;
  /** Snapshots written per throughput repetition. */
  storeSnapshots: number;
  /** Snapshots written per repetition of the optional cluster case, by each method. */
  clusterSnapshots: number;
  /** Snapshots per write call (the capture's write queue uses 500). */
  writeBatch: number;
  storeReps: number;
  /** Repetitions of the raw shapes that never win (METHODS[].minor); the others run storeReps. */
  storeMinorReps: number;
  /** Requests per redis-benchmark run (per command). */
  redisBenchRequests: number;
  /** Snapshots stored for the one product the range and latest cases read. */
  rangeStored: number;
  /** Snapshots one range query returns. */
  rangeSize: number;
  rangeReps: number;
  /** Sequential lookups per latest repetition. */
  latestCalls: number;
  latestReps: number;
  /** Snapshots stored per memory repetition. */
  memorySnapshots: number;
  memoryReps: number;
  /** Products the end-to-end fetch captures, and how many times it is run. */
  e2eProducts: number;
  e2eReps: number;
  coldStartReps: number;
  /** Changes pushed per streaming throughput run, repetitions, and seconds of the 2,000/s latency run. */
  streamChanges: number;
  streamReps: number;
  streamLatencySeconds: number;
  /** Interleaved repetitions of the Parquet export and the range read of the whole tape. */
  exportReps: number;
  /** Spawned l1-query runs per peak-RSS figure. */
  exportRssReps: number;
  /** Snapshots in the spool the spool case replays (issue 11: 100,000), and its repetitions. */
  spoolSnapshots: number;
  spoolReps: number;
}

export const SIZES: Record<Mode, Sizes> = {
  full: {
    products: 100,
    storeSnapshots: 1_000_000,
    clusterSnapshots: 200_000,
    writeBatch: 500,
    storeReps: 3,
    storeMinorReps: 1,
    redisBenchRequests: 1_000_000,
    rangeStored: 1_000_000,
    rangeSize: 10_000,
    rangeReps: 9,
    latestCalls: 10_000,
    latestReps: 5,
    memorySnapshots: 100_000,
    memoryReps: 3,
    e2eProducts: 100,
    e2eReps: 5,
    coldStartReps: 15,
    streamChanges: 200_000,
    streamReps: 3,
    streamLatencySeconds: 10,
    exportReps: 3,
    exportRssReps: 1,
    spoolSnapshots: 100_000,
    spoolReps: 3,
  },
  quick: {
    products: 100,
    storeSnapshots: 100_000,
    clusterSnapshots: 50_000,
    writeBatch: 500,
    storeReps: 3,
    storeMinorReps: 3,
    redisBenchRequests: 200_000,
    rangeStored: 100_000,
    rangeSize: 10_000,
    rangeReps: 5,
    latestCalls: 2_000,
    latestReps: 3,
    memorySnapshots: 20_000,
    memoryReps: 2,
    e2eProducts: 100,
    e2eReps: 3,
    coldStartReps: 7,
    streamChanges: 100_000,
    streamReps: 2,
    streamLatencySeconds: 5,
    exportReps: 3,
    exportRssReps: 1,
    spoolSnapshots: 100_000,
    spoolReps: 2,
  },
  tiny: {
    products: 10,
    storeSnapshots: 2_000,
    clusterSnapshots: 2_000,
    writeBatch: 500,
    storeReps: 1,
    storeMinorReps: 1,
    redisBenchRequests: 2_000,
    rangeStored: 2_000,
    rangeSize: 500,
    rangeReps: 1,
    latestCalls: 20,
    latestReps: 1,
    memorySnapshots: 500,
    memoryReps: 1,
    e2eProducts: 5,
    e2eReps: 1,
    coldStartReps: 1,
    streamChanges: 2_000,
    streamReps: 1,
    streamLatencySeconds: 1,
    exportReps: 1,
    exportRssReps: 1,
    spoolSnapshots: 2_000,
    spoolReps: 1,
  },
};

export interface BenchContext {
  mode: Mode;
  sizes: Sizes;
  /** `redis://127.0.0.1:PORT/DB` the cases use. */
  url: string;
  port: number;
  db: number;
  /** True when the bench started this Redis itself and may FLUSHALL it and use redis-benchmark freely. */
  ownServer: boolean;
  /** Project root (holds package.json and dist/). */
  root: string;
  /** A client on the bench DB, for setup, checks and INFO. */
  admin: Redis;
  log(message: string): void;
  /** Empties the bench DB (FLUSHDB; the bench never touches other DBs). */
  flush(): Promise<void>;
}

/** The project root: the nearest directory upwards holding l1-orderbook's package.json. */
export function findProjectRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (
      existsSync(pkg) &&
      (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'l1-orderbook'
    )
      return dir;
    if (dirname(dir) === dir) throw new Error(`no l1-orderbook package.json above ${from}`);
  }
}

/** A fresh client on the bench DB; callers disconnect it. */
export function connect(ctx: Pick<BenchContext, 'url'>): Redis {
  return new Redis(ctx.url, { maxRetriesPerRequest: 1 });
}

/** used_memory from INFO memory, bytes. */
export async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  const m = /used_memory:(\d+)/.exec(info);
  if (!m) throw new Error('INFO memory has no used_memory');
  return Number(m[1]);
}
