// Every byte of output reaches the reader before a CLI exits, whatever the reader's pace: a
// 200,000-row export into a pipe read slowly is byte-identical to the same export into a file;
// `| head -n 1` still ends it at once with exit 0; a reader that never reads cannot hold a CLI
// forever; a refused Redis still fails in well under a second, with no ioredis timer left behind.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indexKey, PRODUCTS_KEY, productMember, snapshotKey } from '../../src/store/keys.js';
import { fromEpochMicros } from '../../src/timestamp.js';
import { T0_US } from '../query/fixtures.js';
import { freePort } from '../support/redis-server.js';
import { FETCH_BIN, QUERY_BIN, runCli } from '../support/run-cli.js';
import { readSlowly } from '../support/slow-reader.js';
import { useTestRedis } from '../support/test-redis.js';

const redis = useTestRedis();
const dir = mkdtempSync(join(tmpdir(), 'l1-exit-flush-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ROWS = 200_000;
const EXPORT = ['--product-id', 'BTC-USD', '--from', fromEpochMicros(T0_US), '--format', 'csv'];

/**
 * Seeds ROWS snapshots a second apart in one Lua call per 10,000 (RedisStore.write takes ~4 s for
 * this many). The hashes carry the fields of src/store/snapshot-hash.ts; keys come from keys.ts.
 */
async function seed(): Promise<void> {
  const fill = `
    for i = 1, #ARGV, 3 do
      local n = tonumber(ARGV[i + 2])
      redis.call('HSET', ARGV[i], 'sequence', ARGV[i + 2],
        'bids', string.format('[["%.2f","0.50000000",3]]', 97250 + n / 100),
        'asks', string.format('[["%.2f","1.25000000",7]]', 97250.05 + n / 100),
        'timestamp', ARGV[i + 1], 'received_at', ARGV[i + 1], 'exchange', 'coinbase', 'product_id', 'BTC-USD')
    end
    return 0`;
  const c = redis.client();
  const writes: Promise<unknown>[] = [];
  for (let start = 0; start < ROWS; start += 10_000) {
    const args: (string | number)[] = [];
    const index: (string | number)[] = [];
    for (let i = start; i < start + 10_000; i++) {
      const us = T0_US + i * 1_000_000;
      const key = snapshotKey('coinbase', 'BTC-USD', fromEpochMicros(us));
      args.push(key, fromEpochMicros(us), i);
      index.push(us, key);
    }
    writes.push(c.eval(fill, 0, ...args), c.zadd(indexKey('coinbase', 'BTC-USD'), ...index));
  }
  writes.push(c.sadd(PRODUCTS_KEY, productMember('coinbase', 'BTC-USD')));
  await Promise.all(writes);
}

interface Exit {
  code: number | null;
  stderr: string;
  ms: number;
}

/** Spawns `command`, stdout as given; resolves on exit with the code and stderr. */
function spawnProcess(
  command: string,
  args: string[],
  stdout: 'pipe' | 'ignore' | number,
  onChild: (child: ChildProcess) => void = () => {},
): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(command, args, {
      env: { ...process.env, NO_COLOR: '1', REDIS_URL: redis.url },
      stdio: ['ignore', stdout, 'pipe'],
    });
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, ms: performance.now() - t0 });
    });
    onChild(child);
  });
}

const node = (args: string[], stdout: 'pipe' | 'ignore' | number, onChild?: (child: ChildProcess) => void) =>
  spawnProcess(process.execPath, args, stdout, onChild);

describe(`a ${ROWS.toLocaleString('en-US')}-row export`, () => {
  beforeAll(seed, 30_000);

  it('into a pipe read slowly arrives whole: byte-identical to the same export into a file', async () => {
    const file = join(dir, 'export.csv');
    const fd = openSync(file, 'w');
    const fileResult = await node([QUERY_BIN, ...EXPORT], fd).finally(() => closeSync(fd));
    const expected = readFileSync(file);
    // The file's size tells the reader where the last 512 KB begin; it reads those slowly, so the
    // CLI's last rows wait in the CLI until the reader takes them.
    let piped: Promise<Buffer> | undefined;
    const pipeResult = await node([QUERY_BIN, ...EXPORT], 'pipe', (child) => {
      if (!child.stdout) throw new Error('no stdout pipe');
      piped = readSlowly(child.stdout, {
        startPauseMs: 500,
        slowAfterBytes: expected.length - 512 * 1024,
        stepBytes: 4096,
        tickMs: 10,
      });
    });
    const received = await piped;

    expect(fileResult).toMatchObject({ code: 0, stderr: '' });
    expect(pipeResult).toMatchObject({ code: 0, stderr: '' });
    const lines = expected.toString('utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(ROWS + 1);
    expect(lines.at(-1)).toContain(
      snapshotKey('coinbase', 'BTC-USD', fromEpochMicros(T0_US + (ROWS - 1) * 1e6)),
    );
    expect(received?.length).toBe(expected.length);
    expect(received?.equals(expected)).toBe(true);
  }, 30_000);

  it('| head -n 1 ends it at once: quiet, exit 0', async () => {
    let stdout = '';
    const r = await spawnProcess(
      '/bin/bash',
      [
        '-c',
        `"${process.execPath}" "${QUERY_BIN}" ${EXPORT.join(' ')} | head -n 1; echo "exit \${PIPESTATUS[0]}" >&2`,
      ],
      'pipe',
      (child) => child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d)),
    );
    expect(stdout).toBe(
      'time,exchange,product_id,bid,bid_size,ask,ask_size,mid,spread,spread_bps,sequence,received_at,key\n',
    );
    expect(r).toMatchObject({ code: 0, stderr: 'exit 0\n' });
    // The whole export takes seconds; the closed pipe ends it during the first pages.
    expect(r.ms).toBeLessThan((await startupMs(QUERY_BIN)) + 1000);
  });
});

describe('--follow stopped by SIGINT while its reader lags', () => {
  it('still delivers a complete JSON array, exit 0', async () => {
    let received: Promise<Buffer> | undefined;
    let stopped = false;
    const r = await node([QUERY_BIN, '--follow', ...EXPORT.slice(0, 4), '--json'], 'pipe', (child) => {
      if (!child.stdout) throw new Error('no stdout pipe');
      // About 400 KB/s from the start: the CLI is always held up by the pipe.
      received = readSlowly(child.stdout, {
        startPauseMs: 0,
        slowAfterBytes: 0,
        stepBytes: 4096,
        tickMs: 10,
        // Well into the backlog (so the CLI is running and held up by the pipe), stop it.
        onProgress: (n) => {
          if (n >= 128 * 1024 && !stopped) stopped = child.kill('SIGINT');
        },
      });
    });
    const rows = JSON.parse((await received)?.toString('utf8') ?? '') as { key: string }[];
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^l1-query: following coinbase BTC-USD/);
    expect(rows.length).toBeGreaterThan(100);
    expect(rows.at(-1)?.key).toBe(
      snapshotKey('coinbase', 'BTC-USD', fromEpochMicros(T0_US + (rows.length - 1) * 1e6)),
    );
  });
});

const RUN_MAIN = fileURLToPath(new URL('../../dist/cli/run-main.js', import.meta.url));
const CONNECTION = fileURLToPath(new URL('../../dist/store/redis-connection.js', import.meta.url));
const CLOSE_REDIS = fileURLToPath(new URL('../../dist/store/close-redis.js', import.meta.url));

/** A command through the CLIs' runMain that writes 8 MB to stdout at once and decides exit code 3. */
const BIG_WRITER = join(dir, 'big-writer.mjs');
writeFileSync(
  BIG_WRITER,
  `import { runMain } from ${JSON.stringify(RUN_MAIN)};
   await runMain('probe', async () => {
     const kb = 'x'.repeat(1023) + '\\n';
     for (let i = 0; i < 8 * 1024; i++) process.stdout.write(kb);
     return 3;
   }, { outputDeadlineMs: Number(process.argv[2]) });
`,
);
const bigWriter = (deadlineMs: number) => [BIG_WRITER, String(deadlineMs)];

describe('the end of every command (runMain)', () => {
  it('waits for a reader that starts late, and exits with the decided code', async () => {
    let received: Promise<Buffer> | undefined;
    const r = await node(bigWriter(10_000), 'pipe', (child) => {
      if (!child.stdout) throw new Error('no stdout pipe');
      received = readSlowly(child.stdout, {
        startPauseMs: 1000,
        slowAfterBytes: Number.POSITIVE_INFINITY,
        stepBytes: 0,
        tickMs: 10,
      });
    });
    expect((await received)?.length).toBe(8 * 1024 * 1024);
    expect(r).toMatchObject({ code: 3, stderr: '' });
  });

  it('gives up on a reader that never reads after the deadline, says so, keeps the code', async () => {
    const r = await node(bigWriter(500), 'pipe', (child) => {
      // Paused for good: a 'readable' listener and no read(); dropped once the CLI has exited.
      child.stdout?.on('readable', () => {});
      child.on('exit', () => child.stdout?.destroy());
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(
      /^probe: stdout was not read for 0\.5 s; exiting with code 3 and [\d,]+ bytes of output unwritten\n$/,
    );
    expect(r.ms).toBeLessThan(5000);
  });

  it("at a terminal it waits for the reader instead: a pager is read at a person's pace", async () => {
    // `script` gives the command a terminal for stderr; stdout is a pipe into a reader that starts late.
    let stdout = '';
    const r = await spawnProcess(
      'script',
      [
        '-qec',
        // POSIX sh only: `script` runs this with $SHELL, which is dash on many CI machines.
        `{ "${process.execPath}" ${bigWriter(300).join(' ')}; echo "exit $?" >&2; } | (sleep 1.5; wc -c)`,
        '/dev/null',
      ],
      'pipe',
      (child) => child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d)),
    );
    expect(r.code).toBe(0);
    // The exit line comes first: wc sees end of input only once the group has ended.
    const lines = stdout
      .replace(/\r/g, '')
      .trim()
      .split('\n')
      .map((l) => l.trim());
    expect(lines).toEqual(['exit 3', String(8 * 1024 * 1024)]);
  });
});

describe('Redis connections are closed, not left to time out', () => {
  it('a refused Redis: exit 1 within a second of starting up, from both CLIs', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    const csv = join(dir, 'products.csv');
    writeFileSync(csv, 'product_id\nBTC-USD\n');
    for (const [bin, args] of [
      [QUERY_BIN, ['--product-id', 'BTC-USD', '--redis-url', url]],
      [FETCH_BIN, ['--csv', csv, '--redis-url', url]],
    ] as const) {
      const startup = await startupMs(bin);
      const r = await runCliTimed(bin, args);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/cannot use Redis at redis:\/\/127\.0\.0\.1:\d+: connection refused/);
      // Before, ioredis' 2 s disconnect timer held the process after a refused connection.
      expect(r.ms - startup).toBeLessThan(1000);
    }
  });

  it('after a refused connection and after closeRedis, no timer or socket is left', async () => {
    const refused = `redis://127.0.0.1:${await freePort()}`;
    const r = await spawnProcess(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { connectRedisClient } from ${JSON.stringify(CONNECTION)};
         import { closeRedis } from ${JSON.stringify(CLOSE_REDIS)};
         await connectRedisClient(${JSON.stringify(refused)}).catch(() => {});
         const redis = await connectRedisClient(${JSON.stringify(redis.url)});
         await redis.ping();
         await closeRedis(redis);
         setImmediate(() => process.stderr.write(JSON.stringify(process.getActiveResourcesInfo())));`,
      ],
      'ignore',
    );
    expect(r.code).toBe(0);
    const left = JSON.parse(r.stderr) as string[];
    expect(left.filter((x) => x === 'Timeout' || x.startsWith('TCP'))).toEqual([]);
  });
});

/** What a run of `bin --version` takes here and now: Node's start and the CLI's imports. */
async function startupMs(bin: string): Promise<number> {
  const r = await runCliTimed(bin, ['--version']);
  expect(r.code).toBe(0);
  return r.ms;
}

async function runCliTimed(bin: string, args: readonly string[]) {
  const t0 = performance.now();
  const r = await runCli(bin, args);
  return { ...r, ms: performance.now() - t0 };
}
