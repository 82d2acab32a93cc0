// l1-archive as a user runs it: the built binary moves old snapshots from a real Redis into a
// Hive-partitioned Parquet tree. DuckDB reads the tree back and every value is compared with what
// Redis held before; the crash tests kill the archiver (SIGKILL, via its L1_ARCHIVE_CRASH_AT hook)
// at each step between writing a file and removing its snapshots, then check that a rerun leaves
// every snapshot exactly once: in the archive or in Redis.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { CRASH_POINTS } from '../../src/archive/crash-point.js';
import type { L1Snapshot } from '../../src/snapshot.js';
import { RedisStore } from '../../src/store/redis-store.js';
import { fromEpochMicros } from '../../src/timestamp.js';
import { snap, tape } from '../query/fixtures.js';
import { type ParquetRow, readParquet } from '../support/duckdb-reader.js';
import { ARCHIVE_BIN, QUERY_BIN, runCli } from '../support/run-cli.js';
import { useTestRedis } from '../support/test-redis.js';
import { expectedRow, type StoredHash, storedHashes } from './expected-rows.js';

const redis = useTestRedis();
const base = mkdtempSync(join(tmpdir(), 'l1-archive-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
let dir: string;
let n = 0;

const archive = (args: string[], env: Record<string, string> = {}) =>
  runCli(ARCHIVE_BIN, ['--dir', dir, ...args], { env: { REDIS_URL: redis.url, ...env } });

/** 23:59:58.5 on 2026-11-23, every 0.25 s: the first 6 on the 23rd, the rest on the 24th. */
const DAY_START = Date.UTC(2026, 10, 23, 23, 59, 58, 500) * 1000;
const BTC = tape(40, { startUs: DAY_START, stepUs: 250_000 });
const ETH = tape(10, { startUs: DAY_START, stepUs: 250_000, product: 'ETH-USD', seq0: 7n });
/** The cutoff: BTC's first 30 and ETH's 10 are older. */
const CUTOFF = fromEpochMicros(DAY_START + 30 * 250_000);

function files(): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else out.push(relative(dir, join(d, e.name)));
    }
  };
  walk(dir);
  return out.sort();
}

async function allHashes(): Promise<StoredHash[]> {
  const c = redis.client();
  return [
    ...(await storedHashes(c, 'orderbook:index:BTC-USD')),
    ...(await storedHashes(c, 'orderbook:index:ETH-USD')),
  ];
}

async function seed(snapshots: L1Snapshot[] = [...BTC, ...ETH]): Promise<StoredHash[]> {
  await new RedisStore(redis.client()).write(snapshots);
  return allHashes();
}

const sortRows = (rows: ParquetRow[]) =>
  [...rows].sort(
    (a, b) =>
      String(a.product_id).localeCompare(String(b.product_id)) || Number(a.time_us) - Number(b.time_us),
  );

beforeEach(async () => {
  await redis.flush();
  dir = join(base, `run-${++n}`);
});

describe('l1-archive', () => {
  it('moves what is older than --before into Hive partitions, every value intact, and keeps the rest', async () => {
    const before = await seed();
    const r = await archive(['--before', CUTOFF, '--max-file-rows', '20']);
    expect(r.stderr).toBe(
      `l1-archive: archived 40 snapshots older than ${CUTOFF} into 5 files under ${dir}\n`,
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/coinbase BTC-USD\s+30\s+3\s+0\s+30\n/);
    const us = (i: number) => DAY_START + i * 250_000;
    expect(files()).toEqual([
      `exchange=coinbase/product=BTC-USD/date=2026-11-23/part-${us(0)}-${us(5)}.parquet`,
      `exchange=coinbase/product=BTC-USD/date=2026-11-24/part-${us(6)}-${us(25)}.parquet`,
      `exchange=coinbase/product=BTC-USD/date=2026-11-24/part-${us(26)}-${us(29)}.parquet`,
      `exchange=coinbase/product=ETH-USD/date=2026-11-23/part-${us(0)}-${us(5)}.parquet`,
      `exchange=coinbase/product=ETH-USD/date=2026-11-24/part-${us(6)}-${us(9)}.parquet`,
    ]);
    // DuckDB reads the tree as one dataset, with the partition columns.
    const { rows } = await readParquet(join(dir, '**/*.parquet'), {
      hive: true,
      extra: 'product, CAST("date" AS VARCHAR) AS date',
    });
    const archived = before.filter((h) => (h.timestamp ?? '') < CUTOFF);
    expect(rows.map(({ product, date, ...rest }) => rest)).toEqual(sortRows(archived.map(expectedRow)));
    expect(rows.map((x) => `${x.product}/${x.date}`)).toContain('BTC-USD/2026-11-24');
    // Redis keeps exactly the newer ones; the products stay listed.
    expect(await allHashes()).toEqual(before.filter((h) => (h.timestamp ?? '') >= CUTOFF));
    expect(await redis.client().smembers('orderbook:products')).toEqual(
      expect.arrayContaining(['BTC-USD', 'ETH-USD']),
    );
  });

  for (const point of CRASH_POINTS) {
    it(`killed ${point}: nothing lost, and a rerun archives nothing twice`, async () => {
      const before = await seed();
      const crashed = await archive(['--before', CUTOFF, '--product-id', 'BTC-USD'], {
        L1_ARCHIVE_CRASH_AT: point,
      });
      expect(crashed.signal).toBe('SIGKILL');
      // Right after the crash: every snapshot is in Redis or in a complete file.
      const inFiles = files().some((f) => f.endsWith('.parquet'))
        ? (await readParquet(join(dir, '**/*.parquet'))).rows
        : [];
      const inRedis = await allHashes();
      const seen = new Set([
        ...inFiles.map((r) => `${r.product_id}/${r.time_us}`),
        ...inRedis.map((h) => `${h.product_id}/${expectedRow(h).time_us}`),
      ]);
      expect(seen.size).toBe(before.length);

      const rerun = await archive(['--before', CUTOFF, '--product-id', 'BTC-USD']);
      expect(rerun.code).toBe(0);
      const { rows } = await readParquet(join(dir, '**/*.parquet'));
      const archived = before.filter((h) => h.product_id === 'BTC-USD' && (h.timestamp ?? '') < CUTOFF);
      expect(rows).toEqual(sortRows(archived.map(expectedRow)));
      expect(await allHashes()).toEqual(
        before.filter((h) => h.product_id !== 'BTC-USD' || (h.timestamp ?? '') >= CUTOFF),
      );
      expect(files().filter((f) => f.endsWith('.tmp'))).toEqual([]);
    });
  }

  it('archives a snapshot stored late inside an archived range into a new file, and says where a range went', async () => {
    await seed(BTC.slice(0, 10));
    expect((await archive(['--before', CUTOFF])).code).toBe(0);
    const late = snap(DAY_START + 7 * 250_000 + 1, { sequence: '1' });
    await new RedisStore(redis.client()).write([late]);
    const r = await archive(['--before', CUTOFF, '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({
      archived: 1,
      files: 1,
      products: [{ archived: 1, already_archived: 0, removed: 1 }],
    });
    const { rows } = await readParquet(join(dir, '**/*.parquet'));
    expect(rows).toHaveLength(11);
    expect(await redis.client().zcard('orderbook:index:BTC-USD')).toBe(0);

    // l1-query over a range that is only in the archive names the files, in every format.
    const range = ['--product-id', 'BTC-USD', '--from', '2026-11-24', '--to', '2026-11-24T00:00:00.500Z'];
    const queries = await Promise.all(
      [range, [...range, '--format', 'parquet', '--out', join(base, 'late.parquet')]].map((args) =>
        runCli(QUERY_BIN, args, { env: { REDIS_URL: redis.url } }),
      ),
    );
    for (const q of queries) {
      expect(q.code).toBe(0);
      expect(q.stderr).toContain(
        `this range is only in the archive: coinbase BTC-USD was archived to ${dir}`,
      );
      expect(q.stderr).toContain(
        `date=2026-11-24/part-${DAY_START + 6 * 250_000}-${DAY_START + 9 * 250_000}.parquet`,
      );
    }
  });

  it('a write the file system refuses is one line, exit 1, and leaves Redis as it was', async () => {
    const before = await seed(BTC.slice(0, 3));
    // A file where the product's directory belongs.
    mkdirSync(join(dir, 'exchange=coinbase'), { recursive: true });
    writeFileSync(join(dir, 'exchange=coinbase', 'product=BTC-USD'), '');
    const r = await archive(['--before', CUTOFF]);
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 1, stdout: '' });
    expect(r.stderr).toMatch(
      /^l1-archive: writing the archive failed: not a directory \(ENOTDIR\) at \S+product=BTC-USD\/date=2026-11-23; every snapshot not yet in a complete, checked file is still in Redis \(free space or fix permissions, then run again\)\n$/,
    );
    expect(await allHashes()).toEqual(before);
  });

  it('refuses bad flags with one line and moves nothing', async () => {
    await seed(BTC.slice(0, 3));
    const cases: [string[], string][] = [
      [['--dir', join(base, 'x')], 'l1-archive: --before is required, e.g. --before -7d\n'],
      [
        ['--before', 'yesterday', '--dir', join(base, 'x')],
        expect.stringMatching(/^l1-archive: --before: 'yesterday' /) as unknown as string,
      ],
      [
        ['--before', '-1d', '--dir', join(base, 'x'), '--product-id', 'btc usd'],
        expect.stringMatching(/^l1-archive: --product-id: invalid product id 'btc usd'/) as unknown as string,
      ],
      // A directory that cannot be made under /proc (Node's recursive mkdir would never return).
      [
        ['--before', '-1d', '--dir', '/proc/l1-archive'],
        expect.stringMatching(
          /^l1-archive: --dir: cannot create \/proc\/l1-archive: .+ \(E[A-Z]+\)\n$/,
        ) as unknown as string,
      ],
      // A directory that takes no new file (even for root).
      [
        ['--before', '-1d', '--dir', '/proc'],
        expect.stringMatching(
          /^l1-archive: --dir: cannot write in \/proc: .+ \(E[A-Z]+\)\n$/,
        ) as unknown as string,
      ],
    ];
    for (const [args, stderr] of cases) {
      const r = await runCli(ARCHIVE_BIN, args, { env: { REDIS_URL: redis.url } });
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 2, stderr });
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(await redis.client().zcard('orderbook:index:BTC-USD')).toBe(3);
  });
});
