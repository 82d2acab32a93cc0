/**
 * l1-fetch --spool-dir as a user runs it: the built CLI, a real Redis, a fake Coinbase, spool
 * directories as earlier runs leave them (written by the real spool, then damaged as a crash or a
 * power cut would).
 */
import { existsSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOCK_FILE } from '../../src/spool/spool-lock.js';
import { deadPid } from '../support/dead-pid.js';
import { FakeCoinbase } from '../support/fake-coinbase.js';
import { sequences, snapshots, storedSequences } from '../support/numbered-tape.js';
import { startRedisServer } from '../support/redis-server.js';
import { FETCH_BIN, runCli } from '../support/run-cli.js';
import { segmentFiles, spooledRecords, tempDir, writeSpool } from '../support/spool-files.js';
import { useTestRedis } from '../support/test-redis.js';

const redis = useTestRedis();
let fake: FakeCoinbase;
const work = tempDir('l1-spool-cli-');

beforeEach(async () => {
  await redis.flush();
  fake = new FakeCoinbase();
  await fake.start();
  fake.addProducts(['ETH-USD']);
});
afterEach(() => fake.stop());

function csvFile(): string {
  const path = join(work, 'products.csv');
  writeFileSync(path, 'product_id\nETH-USD\n');
  return path;
}

/** l1-fetch polling the fake into this file's Redis, plus `more`. */
function fetchArgs(more: string[], to: { csv?: string; redisUrl?: string } = {}): string[] {
  const csv = to.csv ?? csvFile();
  return ['--csv', csv, '--base-url', fake.url, '--redis-url', to.redisUrl ?? redis.url, ...more];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Lines of stderr that mention the spool. */
const spoolLines = (stderr: string) => stderr.split('\n').filter((l) => /spool/.test(l));

describe('l1-fetch --spool-dir', () => {
  it('writes a spool an earlier run left first, then captures, and leaves the directory empty', async () => {
    const dir = tempDir();
    writeSpool(dir, snapshots(0, 300));
    const r = await runCli(FETCH_BIN, fetchArgs(['--interval', '100ms', '--count', '3']), {
      env: { L1_SPOOL_DIR: dir },
    });
    expect(r.stderr).toMatch(
      /spool .*: 300 snapshot\(s\) from an earlier run \(.*\) are written to Redis first/,
    );
    expect(r.stderr).toMatch(/spool: the 300 snapshot\(s\) from the earlier run are in Redis \(.*\/s\)/);
    expect(await storedSequences(redis.client())).toEqual(sequences(0, 300));
    expect(await redis.client().zcard('orderbook:index:ETH-USD')).toBe(3);
    expect(readdirSync(dir)).toEqual([]);
    expect(r.code).toBe(0);
  });

  it.each([
    ['cut off mid-record', (path: string, size: number) => truncateSync(path, size - 7)],
    ['with a damaged last record', (path: string) => flipByte(path, -3)],
  ])(
    'skips a torn last record (%s), reports it in one line, and keeps every record before it',
    async (_name, damage) => {
      const dir = tempDir();
      writeSpool(dir, snapshots(0, 50));
      const [segment] = segmentFiles(dir);
      if (!segment) throw new Error('no segment written');
      damage(segment, readFileSync(segment).length);
      const r = await runCli(
        FETCH_BIN,
        fetchArgs(['--interval', '100ms', '--count', '1', '--spool-dir', dir]),
      );
      const torn = spoolLines(r.stderr).filter((l) => /torn/.test(l));
      expect(torn).toHaveLength(1);
      expect(torn[0]).toMatch(
        new RegExp(
          `warn: spool: torn last record in ${segment} at byte \\d+ .*the 49 record\\(s\\) before it are kept`,
        ),
      );
      expect(await storedSequences(redis.client())).toEqual(sequences(0, 49));
      expect(r.code).toBe(0);
    },
  );

  it('refuses a damaged spool file with one line naming it, exit 2, and writes nothing', async () => {
    const dir = tempDir();
    writeSpool(dir, snapshots(0, 50));
    const [segment] = segmentFiles(dir);
    if (!segment) throw new Error('no segment written');
    flipByte(segment, 200); // inside the first records, with many after it
    const r = await runCli(FETCH_BIN, fetchArgs(['--interval', '100ms', '--count', '1', '--spool-dir', dir]));
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        new RegExp(
          `^l1-fetch: spool file ${segment} is damaged at byte \\d+ \\(checksum mismatch\\) with more data after it; move it out of`,
        ),
      ),
    ]);
    expect(r.code).toBe(2);
    expect(await redis.client().dbsize()).toBe(0);
    expect(fake.requests).toEqual([]);
    // The damaged file is left for the operator; the lock is released.
    expect(existsSync(segment)).toBe(true);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);

    writeFileSync(segment, 'not a spool at all');
    const again = await runCli(
      FETCH_BIN,
      fetchArgs(['--interval', '100ms', '--count', '1', '--spool-dir', dir]),
    );
    expect(again.stderr).toMatch(
      new RegExp(`^l1-fetch: spool file ${segment} is not an l1-fetch spool segment \\(bad header\\)`),
    );
    expect(again.code).toBe(2);
  });

  it('lets one process use a spool directory: a second one refuses (exit 2); a dead one’s lock is taken over', async () => {
    const dir = tempDir();
    let firstPid = 0;
    let secondResult: Awaited<ReturnType<typeof runCli>> | undefined;
    const first = runCli(FETCH_BIN, fetchArgs(['--interval', '100ms', '--spool-dir', dir]), {
      onSpawn: async (pid, child) => {
        firstPid = pid;
        while (!existsSync(join(dir, LOCK_FILE))) await sleep(20);
        secondResult = await runCli(FETCH_BIN, fetchArgs(['--interval', '100ms', '--spool-dir', dir]));
        // Stopped once it polls (its signal handlers are set by then).
        while (fake.served.length === 0) await sleep(20);
        child.kill('SIGTERM');
      },
    });
    const r = await first;
    expect(secondResult?.stderr).toBe(
      `l1-fetch: --spool-dir ${dir} is in use by process ${firstPid} (lock ${join(dir, LOCK_FILE)}); one process per spool directory: stop that one or use another directory\n`,
    );
    expect(secondResult?.code).toBe(2);
    expect(r.code).toBe(0);
    expect(readdirSync(dir)).toEqual([]);

    // A lock left by a process that is gone (kill -9, reboot).
    const dead = await deadPid();
    writeFileSync(join(dir, LOCK_FILE), `${dead}\n${hostname()}\n`);
    const taken = await runCli(
      FETCH_BIN,
      fetchArgs(['--interval', '100ms', '--count', '1', '--spool-dir', dir]),
    );
    expect(taken.stderr).toContain(
      `warn: spool: took over the lock of process ${dead}, which is no longer running`,
    );
    expect(taken.code).toBe(0);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it('on SIGTERM with Redis down keeps the unwritten snapshots in the spool (exit 1); the next start writes them', async () => {
    const own = await startRedisServer();
    try {
      const dir = tempDir();
      const args = fetchArgs(['--interval', '100ms'], { redisUrl: own.url });
      args.push('--spool-dir', dir, '--flush-timeout', '300ms');
      let servedAtOutage = 0;
      const r = await runCli(FETCH_BIN, args, {
        onSpawn: async (_pid, child) => {
          // Once it captures (a cold start on a busy machine takes a while), Redis goes away.
          while (fake.served.length < 3) await sleep(20);
          servedAtOutage = fake.served.length;
          await own.kill();
          await sleep(1000);
          child.kill('SIGTERM');
        },
      });
      const outage = fake.served.slice(servedAtOutage);
      expect(outage.length).toBeGreaterThan(5);
      const kept = Number(/(\d+) snapshot\(s\) not yet in Redis stay in the spool/.exec(r.stderr)?.[1]);
      expect(kept).toBeGreaterThanOrEqual(outage.length);
      expect(r.code).toBe(1);
      // On disk, unacknowledged: at least every snapshot served since Redis went away.
      const onDisk = new Set(spooledRecords(dir).map((s) => s.sequence));
      expect(outage.filter((s) => !onDisk.has(s.sequence))).toEqual([]);

      await own.start();
      const next = await runCli(FETCH_BIN, [...args.slice(0, -2), '--count', '1']);
      expect(next.stderr).toMatch(new RegExp(`spool ${dir}: ${kept} snapshot\\(s\\) from an earlier run`));
      expect(next.code).toBe(0);
      const client = new Redis(own.url);
      try {
        const stored = new Set(await storedSequences(client, 'ETH-USD'));
        expect(outage.filter((s) => !stored.has(s.sequence))).toEqual([]);
      } finally {
        client.disconnect();
      }
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      await own.stop();
    }
  });

  it('drops the oldest past --max-spool, loudly, and writes the newest', async () => {
    const dir = tempDir();
    writeSpool(dir, snapshots(0, 2000), { segmentBytes: 16 * 1024 });
    const r = await runCli(
      FETCH_BIN,
      fetchArgs(['--interval', '100ms', '--count', '1', '--spool-dir', dir, '--max-spool', '128KiB']),
    );
    const m =
      /error: spool .* full \(--max-spool 128 KiB\): dropped the (\d+) oldest snapshot\(s\) an earlier run left/.exec(
        r.stderr,
      );
    const dropped = Number(m?.[1]);
    expect(dropped).toBeGreaterThan(1000);
    expect(await storedSequences(redis.client())).toEqual(sequences(dropped, 2000));
    expect(r.code).toBe(0);
  });

  it('stops, writes what it holds to Redis and exits 1 when the spool cannot be written mid-run', async () => {
    const dir = tempDir();
    fake.addProducts(['A-USD', 'B-USD', 'C-USD']);
    const csv = join(work, 'four.csv');
    writeFileSync(csv, 'product_id\nETH-USD\nA-USD\nB-USD\nC-USD\n');
    const r = await runCli(FETCH_BIN, fetchArgs(['--interval', '50ms', '--duration', '10s'], { csv }), {
      env: { L1_SPOOL_DIR: dir, L1_MAX_SPOOL: '64KiB' },
      // The directory vanishes under the running capture: the next segment cannot be created.
      onSpawn: async () => {
        while (fake.served.length < 8) await sleep(20);
        rmSync(dir, { recursive: true, force: true });
      },
    });
    const failed = r.stderr.split('\n').filter((l) => /error: spool: /.test(l));
    expect(failed).toEqual([
      expect.stringMatching(
        new RegExp(
          `error: spool: cannot create ${dir}/segment-\\d+\\.spool \\(no such file or directory \\(ENOENT\\)\\); stopping the capture and writing what is queued to Redis$`,
        ),
      ),
    ]);
    expect(r.code).toBe(1);
    // Redis stayed up: everything fetched is there, including what only memory held at the end.
    const stored = new Set<string>();
    for (const p of ['ETH-USD', 'A-USD', 'B-USD', 'C-USD'])
      for (const sequence of await storedSequences(redis.client(), p)) stored.add(`${p}/${sequence}`);
    expect(fake.served.filter((s) => !stored.has(`${s.productId}/${s.sequence}`))).toEqual([]);
    expect(fake.served.length).toBeGreaterThan(10);
  });

  it.each([
    [['--interval', '1s', '--spool-dir', 'FILE'], /^l1-fetch: --spool-dir .*products\.csv: not a directory$/],
    [
      ['--interval', '1s', '--spool-dir', 'FILE/spool'],
      /^l1-fetch: --spool-dir .*products\.csv\/spool: cannot create the directory \(a file is in the way\)$/,
    ],
    // Node's own recursive mkdir never returns here: the spool makes each level itself.
    [
      ['--interval', '1s', '--spool-dir', '/proc/l1-spool'],
      /^l1-fetch: --spool-dir \/proc\/l1-spool: cannot create the directory \(.+ \(E[A-Z]+\)\)$/,
    ],
    [['--interval', '1s', '--spool-dir', ''], /^l1-fetch: --spool-dir: empty; name a directory, e\.g\. /],
    [['--spool-dir', 'DIR'], /^l1-fetch: --spool-dir needs --interval or --stream/],
    [['--interval', '1s', '--max-spool', '1GiB'], /^l1-fetch: --max-spool needs --spool-dir$/],
    [
      ['--interval', '1s', '--spool-dir', 'DIR', '--max-spool', '1G'],
      /^l1-fetch: --max-spool: '1G' is not a size \(write 1GiB or 1GB\)/,
    ],
    [
      ['--interval', '1s', '--spool-dir', 'DIR', '--max-spool', '1KiB'],
      /^l1-fetch: --max-spool: '1KiB' is below the minimum, 64 KiB$/,
    ],
  ])('rejects %j with one line, exit 2, and writes nothing', async (args, message) => {
    const dir = tempDir();
    const argv = args.map((a) =>
      a === 'FILE' ? csvFile() : a === 'FILE/spool' ? `${csvFile()}/spool` : a === 'DIR' ? dir : a,
    );
    const r = await runCli(FETCH_BIN, fetchArgs(argv));
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr.trim()).toMatch(message);
    expect(r.code).toBe(2);
    expect(fake.requests).toEqual([]);
    expect(await redis.client().dbsize()).toBe(0);
  });
});

/** Flips one byte of a file; a negative offset counts from the end. */
function flipByte(path: string, offset: number): void {
  const bytes = readFileSync(path);
  const at = offset < 0 ? bytes.length + offset : offset;
  bytes[at] = (bytes[at] ?? 0) ^ 0xff;
  writeFileSync(path, bytes);
}
