// l1-fetch and l1-query on a real Redis Cluster (3 masters, one replica each, spawned for this
// file), run as a user runs them: the built binaries with --redis-url redis+cluster://…, --cluster
// or L1_CLUSTER=1. Covers capture, every l1-query mode, clear errors, and a master failing over
// in the middle of a polling run with nothing lost or stored twice.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CLUSTER_KEYS } from '../../src/store/keys.js';
import { slotOf } from '../../src/store/redis-client.js';
import { connectRedisClient } from '../../src/store/redis-connection.js';
import { RedisStore } from '../../src/store/redis-store.js';
import { fromEpochMicros, nowMicros } from '../../src/timestamp.js';
import { snap, T0_US, tape } from '../query/fixtures.js';
import { readParquet } from '../support/duckdb-reader.js';
import { FakeCoinbase } from '../support/fake-coinbase.js';
import { type RedisClusterHandle, startRedisCluster } from '../support/redis-cluster.js';
import { ARCHIVE_BIN, FETCH_BIN, QUERY_BIN, runCli, startFetch, waitForStderr } from '../support/run-cli.js';
import { useTestRedis } from '../support/test-redis.js';

const standalone = useTestRedis();
const SECOND = 1_000_000;
const dir = mkdtempSync(join(tmpdir(), 'l1-cluster-'));
const PRODUCTS = Array.from({ length: 12 }, (_, i) => `P${i}-USD`);
let cluster: RedisClusterHandle;
let client: Cluster;
let fake: FakeCoinbase;

function csv(ids: readonly string[]): string {
  const path = join(dir, `p-${Math.random().toString(36).slice(2)}.csv`);
  writeFileSync(path, `product_id\n${ids.join('\n')}\n`);
  return path;
}

async function waitFor(what: string, ok: () => boolean | Promise<boolean>, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

beforeAll(async () => {
  // A short node timeout: the failover test kills a master, and its replica takes over after it.
  cluster = await startRedisCluster({ masters: 3, replicas: 1, nodeTimeoutMs: 1000 });
  client = (await connectRedisClient(cluster.url)) as Cluster;
  fake = new FakeCoinbase({ enforceLimit: false });
  await fake.start();
});
afterAll(async () => {
  client?.disconnect();
  await fake?.stop();
  await cluster?.stop();
});
beforeEach(async () => {
  for (const n of await cluster.nodes()) if (n.role === 'master') await cluster.node(n.port).flushall();
  fake.books.clear();
  fake.served.length = 0;
  fake.addProducts(PRODUCTS);
});

describe('l1-fetch and l1-query on a Redis Cluster', () => {
  it('captures into every master with tagged keys, and l1-query lists, reads, charts and prunes it', async () => {
    const fetched = await runCli(FETCH_BIN, [
      '--csv',
      csv(PRODUCTS),
      '--base-url',
      fake.url,
      '--redis-url',
      cluster.url,
      '--json',
    ]);
    expect(fetched.stderr).toContain('stored 12 of 12 product(s)');
    expect(fetched.code).toBe(0);
    const rows = JSON.parse(fetched.stdout) as { key: string; product_id: string }[];
    for (const r of rows) expect(r.key).toMatch(new RegExp(`^orderbook:\\{${r.product_id}\\}:\\d{4}-`));
    const perMaster = [...(await cluster.keysPerMaster()).values()];
    expect(perMaster.length).toBe(3);
    for (const n of perMaster) expect(n).toBeGreaterThan(0);
    expect(perMaster.reduce((a, b) => a + b)).toBe(12 * 2 + 1);

    // More history for P0-USD, then every l1-query mode, through each way of saying "cluster".
    await new RedisStore(client).write(tape(30, { product: 'P0-USD' }));
    const list = await runCli(QUERY_BIN, ['--list', '--json'], { env: { REDIS_URL: cluster.url } });
    expect(list.code).toBe(0);
    const listed = JSON.parse(list.stdout) as { product_id: string; count: number }[];
    expect(listed.map((p) => p.product_id).sort()).toEqual([...PRODUCTS].sort());
    expect(listed.find((p) => p.product_id === 'P0-USD')?.count).toBe(31);

    const range = await runCli(
      QUERY_BIN,
      [
        '--product-id',
        'P0-USD',
        '--from',
        '2026-11-24T10:00:10Z',
        '--to',
        '2026-11-24T10:00:12Z',
        '--format',
        'csv',
      ],
      { env: { REDIS_URL: cluster.seedUrl, L1_CLUSTER: '1' } },
    );
    expect(range.code).toBe(0);
    expect(
      range.stdout
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.slice(11, 19)),
    ).toEqual(['10:00:10', '10:00:11', '10:00:12']);

    const stats = await runCli(QUERY_BIN, [
      '--product-id',
      'P0-USD',
      '--from',
      '2026-11-24',
      '--to',
      '2026-11-24',
      '--stats',
      '--chart',
      '--redis-url',
      cluster.seedUrl,
      '--cluster',
    ]);
    expect(stats.code).toBe(0);
    expect(stats.stdout).toMatch(/^snapshots\s+30$/m);
    expect(stats.stdout).toMatch(/⣀|⠁|▁|█/); // the terminal chart follows the stats

    const prune = await runCli(QUERY_BIN, [
      '--prune',
      '--before',
      'now',
      '--yes',
      '--json',
      '--redis-url',
      cluster.url,
    ]);
    expect(prune.code).toBe(0);
    expect(JSON.parse(prune.stdout)).toMatchObject({ removed: 12 + 30 });
    const hashes = (
      await Promise.all(
        (
          await cluster.nodes()
        )
          .filter((n) => n.role === 'master')
          .map((n) => cluster.node(n.port).keys('orderbook:{*')),
      )
    ).flat();
    expect(hashes).toEqual([]);
    const after = await runCli(QUERY_BIN, ['--list', '--redis-url', cluster.url]);
    expect(after.stdout.match(/no data \(pruned\)/g)?.length).toBe(12);
  });

  it('--follow prints snapshots as they are written to the cluster, across a failover, and stops on SIGINT', async () => {
    const store = new RedisStore(client);
    await store.write(tape(3, { product: 'P5-USD' }));
    let out = '';
    let child: import('node:child_process').ChildProcess | undefined;
    const done = runCli(
      QUERY_BIN,
      ['--product-id', 'P5-USD', '--follow', '--format', 'ndjson', '--redis-url', cluster.url],
      {
        onSpawn: (_, c) => {
          child = c;
          c.stdout?.on('data', (d: string) => {
            out += d;
          });
        },
      },
    );
    const lines = () => out.split('\n').filter(Boolean).length;
    await waitFor('the backlog', () => lines() === 3);
    // Its master hands over to its replica meanwhile (coordinated): follow goes on from the new one.
    await cluster.failover(
      (await cluster.masterOf(slotOf(CLUSTER_KEYS.indexKey('coinbase', 'P5-USD')))).port,
    );
    await store.write([snap(T0_US + 60 * SECOND, { product: 'P5-USD', sequence: '60' })]);
    await waitFor('the new snapshot', () => lines() === 4);
    child?.kill('SIGINT');
    const r = await done;
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}')).toMatchObject({ sequence: '60' });
  });

  it('says plainly when a URL names the wrong kind of Redis, or a bad cluster URL (exit 2, nothing written)', async () => {
    // Every tool, before it reads or writes anything: a plain client on one node would see only
    // that node's slots (a --list of part of the products, or none, and no error).
    const said = (tool: string) =>
      `${tool}: cannot use Redis at ${cluster.seedUrl}: this Redis is a cluster node (HELLO): connect with --redis-url redis+cluster://host:port[,host:port…], or add --cluster\n`;
    // An old tape on every master: nothing of it may be read, archived or removed.
    await new RedisStore(client).write(PRODUCTS.flatMap((p) => tape(2, { product: p })));
    const keysNow = async () => {
      let n = 0;
      for (const node of await cluster.nodes())
        if (node.role === 'master') n += await cluster.node(node.port).dbsize();
      return n;
    };
    const before = await keysNow();
    expect(before).toBeGreaterThan(0);
    for (const [bin, tool, args] of [
      [QUERY_BIN, 'l1-query', ['--product-id', 'P0-USD']],
      [QUERY_BIN, 'l1-query', ['--list']],
      [FETCH_BIN, 'l1-fetch', ['--csv', csv(['P0-USD']), '--base-url', fake.url]],
      [ARCHIVE_BIN, 'l1-archive', ['--before', '-1s', '--dir', join(dir, 'plain-archive')]],
    ] as const) {
      const r = await runCli(bin, [...args, '--redis-url', cluster.seedUrl]);
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 1, stderr: said(tool) });
    }
    expect(await keysNow()).toBe(before);
    const plainUrl = standalone.url.replace(/\/\d+$/, '');
    const notCluster = await runCli(QUERY_BIN, ['--list', '--cluster', '--redis-url', plainUrl]);
    expect(notCluster.code).toBe(1);
    expect(notCluster.stderr).toMatch(
      /cannot use the Redis Cluster at redis:\/\/127\.0\.0\.1:\d+\/?: this Redis is not in cluster mode/,
    );
    for (const [url, said] of [
      [
        'redis+cluster://:s3cret@127.0.0.1:7000/2',
        /names database 2, but a Redis Cluster has database 0 only/,
      ],
      ['redis+cluster://:s3cret@127.0.0.1:70000', /has a bad port in '127\.0\.0\.1:70000'/],
      ['redis+cluster://', /names no node/],
    ] as const) {
      const r = await runCli(FETCH_BIN, [
        '--csv',
        csv(['P0-USD']),
        '--base-url',
        fake.url,
        '--redis-url',
        url,
      ]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(said);
      expect(r.stderr).not.toContain('s3cret');
    }
    const env = await runCli(FETCH_BIN, ['--csv', csv(['P0-USD']), '--redis-url', cluster.url], {
      env: { L1_CLUSTER: 'maybe' },
    });
    expect(env.code).toBe(2);
    expect(env.stderr.trim()).toBe(
      "l1-fetch: L1_CLUSTER: 'maybe' is not on or off; use 1, true, yes, on or 0, false, no, off",
    );
    expect(fake.served).toEqual([]);
  });

  it('loses nothing and stores nothing twice when a master fails over during a polling run', async () => {
    const products = PRODUCTS.slice(0, 6);
    const victim = await cluster.masterOf(slotOf(CLUSTER_KEYS.indexKey('coinbase', 'P0-USD')));
    let stored = 0;
    const polling = runCli(
      FETCH_BIN,
      [
        '--csv',
        csv(products),
        '--base-url',
        fake.url,
        '--redis-url',
        cluster.url,
        '--interval',
        '100ms',
        '--duration',
        '3s',
        '--rate-limit',
        '200',
        '--log-format',
        'json',
      ],
      { timeoutMs: 20_000 },
    );
    const count = async () => {
      stored = await client.zcard(CLUSTER_KEYS.indexKey('coinbase', 'P0-USD'));
      return stored >= 5;
    };
    await waitFor('the first snapshots of P0-USD', count);
    const promoted = await cluster.failover(victim.port, 'kill');
    const atFailover = stored;
    const r = await polling;
    expect(r.code).toBe(0);
    expect((await cluster.masterOf(slotOf(CLUSTER_KEYS.indexKey('coinbase', 'P0-USD')))).port).toBe(promoted);

    const store = new RedisStore(client);
    for (const p of products) {
      const served = fake.served.filter((s) => s.productId === p).map((s) => s.sequence);
      const back: string[] = [];
      for await (const s of store.range({ exchange: 'coinbase', productId: p })) back.push(s.sequence);
      expect(back.sort()).toEqual(served.sort());
    }
    // The run went on well past the failover.
    expect(await client.zcard(CLUSTER_KEYS.indexKey('coinbase', 'P0-USD'))).toBeGreaterThan(atFailover + 10);
  });

  it('l1-archive moves old snapshots of every product out of the cluster into Parquet, one slot per removal', async () => {
    const archiveDir = mkdtempSync(join(tmpdir(), 'l1-cluster-archive-'));
    const products = PRODUCTS.slice(0, 4);
    await new RedisStore(client).write(products.flatMap((p) => tape(6, { product: p })));
    const r = await runCli(ARCHIVE_BIN, [
      '--redis-url',
      cluster.url,
      '--dir',
      archiveDir,
      '--before',
      fromEpochMicros(T0_US + 4 * SECOND),
    ]);
    expect(r.stderr).toContain('l1-archive: archived 16 snapshots older than');
    expect(r.code).toBe(0);
    const { rows } = await readParquet(join(archiveDir, '**/*.parquet'), { hive: true });
    expect(rows).toHaveLength(16);
    for (const p of products) expect(await client.zcard(CLUSTER_KEYS.indexKey('coinbase', p))).toBe(2);
  });

  it('l1-fetch --cluster --archive-dir: the background pass connects to the cluster as the capture does', async () => {
    const archiveDir = mkdtempSync(join(tmpdir(), 'l1-cluster-fetch-archive-'));
    // Two days old: the first pass (2 s after start) moves these.
    const old = tape(5, { product: 'P1-USD', startUs: nowMicros() - 2 * 86_400 * SECOND });
    await new RedisStore(client).write(old);
    // A master that serves slots now (the failover test may have killed the seed node).
    const live = (await cluster.nodes()).find((n) => n.role === 'master' && n.slots > 0);
    const run = startFetch([
      '--csv',
      csv(['P1-USD']),
      '--base-url',
      fake.url,
      '--redis-url',
      `redis://127.0.0.1:${live?.port}`,
      '--cluster',
      '--interval',
      '250ms',
      '--archive-dir',
      archiveDir,
      '--archive-after',
      '1d',
    ]);
    // Stopped once the pass has reported, not after a fixed time: a busy machine starts it later.
    const archived = /archived 5 snapshot\(s\) older than 1d into 1 file\(s\) under /;
    await waitForStderr(run, archived);
    const r = await run.stop();
    expect(r.stderr).toMatch(archived);
    expect(r.code).toBe(0);
    const { rows } = await readParquet(join(archiveDir, '**/*.parquet'));
    expect(rows.map((x) => x.sequence)).toEqual(old.map((s) => s.sequence));
  });
});
