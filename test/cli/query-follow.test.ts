// l1-query --follow as a user runs it: spawn the built binary, store new snapshots while it runs,
// read them from its stdout, stop it with SIGINT (exit 0). Also across a Redis restart.
import type { ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RedisStore } from '../../src/store/redis-store.js';
import { snap, T0_US, tape } from '../query/fixtures.js';
import { type RedisServerHandle, startRedisServer } from '../support/redis-server.js';
import { type CliResult, QUERY_BIN, runCli } from '../support/run-cli.js';
import { useTestRedis } from '../support/test-redis.js';

const redis = useTestRedis();
const SECOND = 1_000_000;

interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  done: Promise<CliResult>;
}

function startFollow(args: string[], url: string): Promise<Running> {
  return new Promise((resolve) => {
    let out = '';
    let err = '';
    const done = runCli(QUERY_BIN, ['--follow', ...args], {
      env: { REDIS_URL: url },
      timeoutMs: 20_000,
      onSpawn: (_, child) => {
        child.stdout?.on('data', (d: string) => {
          out += d;
        });
        child.stderr?.on('data', (d: string) => {
          err += d;
        });
        // runCli calls this before it returns: hand `done` over once it exists.
        queueMicrotask(() => resolve({ child, stdout: () => out, stderr: () => err, done }));
      },
    });
  });
}

async function waitFor(what: string, ok: () => boolean, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const times = (stdout: string) =>
  stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { timestamp: string }).timestamp.slice(11, 19));

describe('--follow', () => {
  let running: Running | undefined;
  beforeEach(() => redis.flush());
  afterEach(() => {
    running?.child.kill('SIGKILL');
    running = undefined;
  });

  it('prints the newest, then each new snapshot as it is stored, until SIGINT (exit 0)', async () => {
    const store = new RedisStore(redis.client());
    await store.write(tape(15)); // 10:00:00 … 10:00:14
    running = await startFollow(['--product-id', 'BTC-USD', '--format', 'ndjson'], redis.url);
    const r = running;
    await waitFor('the newest 10', () => times(r.stdout()).length === 10);
    expect(times(r.stdout())[0]).toBe('10:00:05');
    expect(r.stderr()).toMatch(/following coinbase BTC-USD .*Ctrl-C to stop/);

    await store.write([snap(T0_US + 20 * SECOND, { sequence: '20' })]);
    await waitFor('the first new one', () => times(r.stdout()).length === 11);
    await store.write(tape(3, { startUs: T0_US + 21 * SECOND }));
    // Written late with an exchange time older than what was printed: follow goes by exchange time.
    await store.write([snap(T0_US + 16 * SECOND, { sequence: '16' })]);
    await waitFor('three more', () => times(r.stdout()).length === 14);

    r.child.kill('SIGINT');
    const result = await r.done;
    expect(result.code).toBe(0);
    expect(result.signal).toBeNull();
    expect(times(result.stdout).slice(9)).toEqual([
      '10:00:14',
      '10:00:20',
      '10:00:21',
      '10:00:22',
      '10:00:23',
    ]);
  });

  it('--limit 0 on an empty product: a table that shows each new row at once', async () => {
    running = await startFollow(['--product-id', 'ETH-USD', '--limit', '0'], redis.url);
    const r = running;
    await waitFor('the start message', () => r.stderr().includes('following'));
    await new Promise((res) => setTimeout(res, 300)); // at least one empty poll
    await new RedisStore(redis.client()).write([
      snap(T0_US, { product: 'ETH-USD', bid: '3000.1', ask: '3000.2' }),
    ]);
    await waitFor('the row', () => r.stdout().includes('3000.1'));
    expect(r.stdout().split('\n')[0]).toMatch(/^TIME \(UTC\)\s+BID/);
    r.child.kill('SIGINT');
    expect((await r.done).code).toBe(0);
  });

  it('--from prints everything from that time on, then follows', async () => {
    const store = new RedisStore(redis.client());
    await store.write(tape(20));
    running = await startFollow(
      ['--product-id', 'BTC-USD', '--from', '2026-11-24T10:00:17Z', '--json'],
      redis.url,
    );
    const r = running;
    await waitFor('3 rows', () => (r.stdout().match(/"key"/g) ?? []).length === 3);
    await store.write([snap(T0_US + 30 * SECOND)]);
    await waitFor('4 rows', () => (r.stdout().match(/"key"/g) ?? []).length === 4);
    r.child.kill('SIGINT');
    const result = await r.done;
    expect(result.code).toBe(0);
    // SIGINT closes the JSON array: the output parses.
    const rows = JSON.parse(result.stdout) as { timestamp: string }[];
    expect(rows.map((x) => x.timestamp.slice(11, 19))).toEqual([
      '10:00:17',
      '10:00:18',
      '10:00:19',
      '10:00:30',
    ]);
  });
});

describe('--follow across a Redis restart', () => {
  let server: RedisServerHandle | undefined;
  let running: Running | undefined;
  afterEach(async () => {
    running?.child.kill('SIGKILL');
    running = undefined;
    await server?.stop();
  });

  it('says Redis is gone, waits, and carries on when it is back', async () => {
    server = await startRedisServer();
    const client = new Redis(server.url, { lazyConnect: true, retryStrategy: () => 100 });
    client.on('error', () => {});
    try {
      await client.connect();
      await new RedisStore(client).write(tape(2));
      running = await startFollow(['--product-id', 'BTC-USD', '--format', 'ndjson'], server.url);
      const r = running;
      await waitFor('the backlog', () => times(r.stdout()).length === 2);
      await server.kill();
      await waitFor('the warning', () => /Redis error while following/.test(r.stderr()));
      await server.start();
      await waitFor('our client', () => client.status === 'ready');
      await new RedisStore(client).write([snap(T0_US + 60 * SECOND)]);
      await waitFor('the new snapshot', () => times(r.stdout()).length === 3, 15_000);
      expect(r.stderr()).toMatch(/Redis is back/);
      r.child.kill('SIGINT');
      expect((await r.done).code).toBe(0);
    } finally {
      client.disconnect();
    }
  });
});
