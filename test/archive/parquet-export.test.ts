// l1-query --format parquet --out FILE, as a user runs it: the built binary against a real Redis,
// the file read back by DuckDB (an independent Parquet reader) and compared value by value with
// the hashes Redis holds; the bad-target exits are checked without touching Redis.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { L1Snapshot } from '../../src/snapshot.js';
import { RedisStore } from '../../src/store/redis-store.js';
import { snap, T0_US, tape } from '../query/fixtures.js';
import { readParquet } from '../support/duckdb-reader.js';
import { QUERY_BIN, runCli } from '../support/run-cli.js';
import { useTestRedis } from '../support/test-redis.js';
import { expectedRow, storedHashes } from './expected-rows.js';

const redis = useTestRedis();
const dir = mkdtempSync(join(tmpdir(), 'l1-parquet-export-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const query = (args: string[]) => runCli(QUERY_BIN, args, { env: { REDIS_URL: redis.url } });
/** l1-query with `args` selecting what to export, --format parquet --out `out`. */
const exportTo = (out: string, ...args: string[]) => query([...args, '--format', 'parquet', '--out', out]);

/** Trailing zeros, tiny prices, one-sided books, a sequence past 2^64, no sequence. */
const TRICKY: L1Snapshot[] = [
  snap('2026-11-24T09:59:00.000000Z', { bid: '97250.10', ask: '97250.11', sequence: '18446744073709551616' }),
  snap('2026-11-24T09:59:01.000000Z', {
    bid: '0.00001234',
    ask: '0.00001240',
    bidSize: '1e-8',
    sequence: '',
  }),
  snap('2026-11-24T09:59:02.123456Z', { bid: '5', bidSize: '2', ask: undefined, sequence: '43' }),
  snap('2026-11-24T09:59:03.000001Z', { bid: undefined, ask: '6', sequence: '44' }),
];
const KRAKEN: L1Snapshot = {
  exchange: 'kraken',
  product_id: 'BTC-USD',
  bids: [['97000.10000', '0.01000000']],
  asks: [['97000.20000', '1.00000000']],
  timestamp: '2026-11-24T10:00:00.500000Z',
  sequence: '',
  received_at: '2026-11-24T10:00:00.500000Z',
  native_symbol: 'XBT/USD',
  timestamp_source: 'received',
};
/** Enough rows for two row groups. */
const ROWS = 26_000;

beforeAll(async () => {
  const store = new RedisStore(redis.client());
  await store.write([...TRICKY, ...tape(ROWS, { stepUs: 1000 }), KRAKEN, ...tape(5, { product: 'ETH-USD' })]);
});

describe('l1-query --format parquet', () => {
  it('writes one product, every value equal to what Redis holds, with the documented types', async () => {
    const out = join(dir, 'btc.parquet');
    const r = await exportTo(out, '--product-id', 'BTC-USD', '--from', '2026-11-24');
    expect(r.stderr).toBe(
      `l1-query: wrote ${(ROWS + TRICKY.length).toLocaleString('en-US')} snapshots of coinbase BTC-USD from 2026-11-24T00:00:00.000000Z on to ${out}\n`,
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const { rows, types } = await readParquet(out);
    const stored = await storedHashes(redis.client(), 'orderbook:index:BTC-USD');
    expect(rows).toHaveLength(stored.length);
    expect(rows).toEqual(stored.map(expectedRow));
    expect(types).toMatchObject({
      time: 'TIMESTAMP WITH TIME ZONE',
      received_at: 'TIMESTAMP WITH TIME ZONE',
      bid: 'VARCHAR',
      bid_size: 'VARCHAR',
      bid_f64: 'DOUBLE',
      sequence: 'VARCHAR',
      bids: 'VARCHAR',
    });
    // No temporary file is left beside it.
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('writes every product of a venue into one file, keeping venue-specific fields', async () => {
    const out = join(dir, 'kraken.parquet');
    const r = await exportTo(out, '--exchange', 'kraken');
    expect(r.code).toBe(0);
    const { rows } = await readParquet(out);
    const stored = await storedHashes(redis.client(), 'orderbook:kraken:index:BTC-USD');
    expect(rows).toEqual(stored.map(expectedRow));
    expect(rows[0]).toMatchObject({ native_symbol: 'XBT/USD', timestamp_source: 'received', sequence: '' });
  });

  it('honours --order and --limit like the other formats', async () => {
    const out = join(dir, 'newest.parquet');
    const r = await exportTo(out, '--product-id', 'ETH-USD', '--order', 'desc', '--limit', '2');
    expect(r.code).toBe(0);
    const { rows } = await readParquet(out);
    expect(rows.map((x) => x.time_us)).toEqual([T0_US + 3_000_000, T0_US + 4_000_000]); // DuckDB sorts them
  });

  it('refuses a missing --out, a terminal, a directory, and --out without parquet: exit 2, one line, nothing written', async () => {
    const cases: [string[], string][] = [
      [
        ['--product-id', 'BTC-USD', '--format', 'parquet'],
        'l1-query: --format parquet writes a file: add --out FILE.parquet\n',
      ],
      [
        ['--product-id', 'BTC-USD', '--format', 'parquet', '--out', '/dev/tty'],
        "l1-query: --out: '/dev/tty' is a terminal and Parquet is binary; give a file name, e.g. --out btc.parquet\n",
      ],
      [
        ['--product-id', 'BTC-USD', '--format', 'parquet', '--out', dir],
        `l1-query: --out: '${dir}' is a directory; give a file name, e.g. --out ${dir}/btc.parquet\n`,
      ],
      [
        ['--product-id', 'BTC-USD', '--format', 'parquet', '--out', join(dir, 'btc.parquet', 'x.parquet')],
        `l1-query: --out: cannot create a file in ${join(dir, 'btc.parquet')}: not a directory (ENOTDIR)\n`,
      ],
      [
        ['--product-id', 'BTC-USD', '--format', 'csv', '--out', join(dir, 'x.csv')],
        'l1-query: --out only applies to --format parquet; other formats print to stdout (redirect it: > file)\n',
      ],
      [
        ['--product-id', 'BTC-USD', '--format', 'parquet', '--out', join(dir, 'x.parquet'), '--stats'],
        'l1-query: --format cannot be combined with --stats: a Parquet export writes the selected snapshots to a file (see l1-query --help)\n',
      ],
    ];
    const results = await Promise.all(cases.map(([args]) => query(args)));
    for (const [i, r] of results.entries()) {
      expect({ code: r.code, stderr: r.stderr, stdout: r.stdout }).toEqual({
        code: 2,
        stderr: cases[i]?.[1],
        stdout: '',
      });
    }
    expect(existsSync(join(dir, 'x.parquet'))).toBe(false);
  });

  it('writes into a device named by --out, not to stdout; a device that fails is one line, exit 1', async () => {
    const [nul, full] = await Promise.all([
      exportTo('/dev/null', '--product-id', 'ETH-USD'),
      exportTo('/dev/full', '--product-id', 'ETH-USD'),
    ]);
    expect(nul).toMatchObject({
      code: 0,
      stdout: '',
      stderr: 'l1-query: wrote 5 snapshots of coinbase ETH-USD to /dev/null\n',
    });
    expect(full).toMatchObject({
      code: 1,
      stdout: '',
      stderr: 'l1-query: --out: writing /dev/full failed: no space left on device (ENOSPC)\n',
    });
  });
});
