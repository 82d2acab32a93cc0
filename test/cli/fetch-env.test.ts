/**
 * Every l1-fetch flag has an L1_ environment variable: flags win over the environment, the
 * environment over defaults. The options are read from the program itself (--print-config lists
 * them), so a flag added later is covered without touching this file.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeCoinbase } from '../support/fake-coinbase.js';
import { FETCH_BIN, runCli } from '../support/run-cli.js';
import { useTestRedis } from '../support/test-redis.js';

const redis = useTestRedis();
const dir = mkdtempSync(join(tmpdir(), 'l1-env-'));
const csv = join(dir, 'products.csv');
writeFileSync(csv, 'product_id\nBTC-USD\n');

interface Entry {
  flag: string;
  env: string | null;
  value: unknown;
  source: string;
}

async function printConfig(env: Record<string, string | undefined>, args: string[] = []): Promise<Entry[]> {
  const r = await runCli(FETCH_BIN, ['--print-config', ...args], { env });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Entry[];
}

const upperSnake = (flag: string) => `L1_${flag.slice(2).replace(/-/g, '_').toUpperCase()}`;

/**
 * A valid value per known flag, with what the program should make of it, and a second one for the
 * flag itself (precedence). Flags missing here are still checked with a value that may be invalid:
 * the program must either take it from the variable or refuse it naming the variable.
 */
const SAMPLES: Record<string, { env: string; parsed: unknown; flag?: string; flagParsed?: unknown }> = {
  '--csv': { env: csv, parsed: csv, flag: '/other.csv', flagParsed: '/other.csv' },
  '--redis-url': {
    env: 'redis://app:s3cret@10.1.2.3:6380/4',
    parsed: 'redis://app:***@10.1.2.3:6380/4',
    flag: 'redis://127.0.0.1:7000',
    flagParsed: 'redis://127.0.0.1:7000',
  },
  '--exchange': { env: 'kraken', parsed: 'kraken', flag: 'okx', flagParsed: 'okx' },
  '--base-url': { env: 'kraken=http://127.0.0.1:1', parsed: ['kraken=http://127.0.0.1:1'] },
  '--json': { env: 'true', parsed: true },
  '--timeout': { env: '2s', parsed: 2000, flag: '3s', flagParsed: 3000 },
  '--retries': { env: '7', parsed: 7, flag: '1', flagParsed: 1 },
  '--concurrency': { env: '3', parsed: 3, flag: '2', flagParsed: 2 },
  '--interval': { env: '250ms', parsed: 250, flag: '1s', flagParsed: 1000 },
  '--count': { env: '5', parsed: 5 },
  '--duration': { env: '1h', parsed: 3_600_000 },
  '--skip-unchanged': { env: 'yes', parsed: true },
  '--stale-after': { env: '2m', parsed: 120_000 },
  '--log-format': { env: 'json', parsed: 'json', flag: 'plain', flagParsed: 'plain' },
  '--max-queue': { env: '1000', parsed: 1000 },
  '--flush-timeout': { env: '20s', parsed: 20_000 },
  '--retention': { env: '7d', parsed: 7 * 86_400_000 },
  '--rate-limit': { env: '2.5', parsed: 2.5 },
  '--redis-tls-insecure': { env: 'on', parsed: true },
  '--metrics-port': { env: '9464', parsed: 9464, flag: '9465', flagParsed: 9465 },
  '--metrics-host': { env: '0.0.0.0', parsed: '0.0.0.0' },
};

// Not set in the bulk run: files that must exist, or values that only make sense with rediss://.
const SEPARATE = new Set(['--redis-tls-ca', '--redis-tls-cert', '--redis-tls-key', '--redis-tls-insecure']);

let options: Entry[] = [];
beforeAll(async () => {
  options = await printConfig({ L1_CSV: csv });
});

describe('l1-fetch environment variables', () => {
  it('every option has L1_ + its name in upper snake case, and --help shows it', async () => {
    expect(options.length).toBeGreaterThan(15);
    const help = await runCli(FETCH_BIN, ['--help']);
    const helpText = help.stdout.replace(/\s+/g, ' ');
    // The README lists them too, so that nobody has to run --help to configure a container.
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    for (const o of options) {
      expect(o.env, o.flag).toBe(upperSnake(o.flag));
      expect(helpText, o.flag).toContain(`env: ${o.env}`);
      expect(readme, `README lists ${o.env}`).toContain(`\`${o.env}\``);
    }
  });

  it('without variables, options hold their defaults', async () => {
    for (const o of options) {
      if (o.flag === '--csv') continue;
      expect(['default', 'unset'], o.flag).toContain(o.source);
    }
  });

  it('each variable sets its option, parsed like the flag', async () => {
    const env: Record<string, string> = {};
    for (const o of options) {
      const sample = SAMPLES[o.flag];
      if (sample && !SEPARATE.has(o.flag)) env[o.env as string] = sample.env;
    }
    const got = await printConfig(env);
    for (const o of got) {
      const sample = SAMPLES[o.flag];
      if (!sample || SEPARATE.has(o.flag)) continue;
      expect({ flag: o.flag, source: o.source, value: o.value }).toEqual({
        flag: o.flag,
        source: o.env,
        value: sample.parsed,
      });
    }
  });

  it('a flag wins over its variable; REDIS_URL comes after L1_REDIS_URL', async () => {
    const env: Record<string, string> = {};
    const args: string[] = [];
    for (const [flag, s] of Object.entries(SAMPLES)) {
      if (s.flag === undefined) continue;
      env[upperSnake(flag)] = s.env;
      args.push(flag, s.flag);
    }
    const got = await printConfig(env, args);
    for (const [flag, s] of Object.entries(SAMPLES)) {
      if (s.flag === undefined) continue;
      const o = got.find((e) => e.flag === flag);
      expect({ flag, source: o?.source, value: o?.value }).toEqual({
        flag,
        source: 'flag',
        value: s.flagParsed,
      });
    }
    const url = (entries: Entry[]) => entries.find((e) => e.flag === '--redis-url');
    const both = await printConfig({
      L1_CSV: csv,
      L1_REDIS_URL: 'redis://127.0.0.1:7001',
      REDIS_URL: 'redis://127.0.0.1:7002',
    });
    expect(url(both)).toMatchObject({ value: 'redis://127.0.0.1:7001', source: 'L1_REDIS_URL' });
    const legacy = await printConfig({ L1_CSV: csv, REDIS_URL: 'redis://:pw@127.0.0.1:7002' });
    expect(url(legacy)).toMatchObject({ value: 'redis://:***@127.0.0.1:7002', source: 'REDIS_URL' });
  });

  it('options without a sample above still read their variable (or refuse it naming the variable)', async () => {
    const unknown = options.filter((o) => !SAMPLES[o.flag] && !SEPARATE.has(o.flag));
    for (const o of unknown) {
      const r = await runCli(FETCH_BIN, ['--print-config'], {
        env: { L1_CSV: csv, [o.env as string]: 'x1' },
      });
      if (r.code === 0) {
        const entry = (JSON.parse(r.stdout) as Entry[]).find((e) => e.flag === o.flag);
        expect(entry?.source, o.flag).toBe(o.env);
      } else {
        expect(r.code, o.flag).toBe(2);
        expect(r.stderr.trim().split('\n'), o.flag).toEqual([expect.stringContaining(`${o.env}:`)]);
      }
    }
  });

  it('a bad value is one line naming the variable, exit 2; false booleans are off', async () => {
    const bad = await runCli(FETCH_BIN, ['--csv', csv], { env: { L1_TIMEOUT: 'soon' } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      "l1-fetch: L1_TIMEOUT: 'soon' is not a duration; use e.g. 500ms, 5s, 1m, 2h or 7d\n",
    );
    const choice = await runCli(FETCH_BIN, ['--csv', csv], { env: { L1_LOG_FORMAT: 'xml' } });
    expect(choice.code).toBe(2);
    expect(choice.stderr).toBe("l1-fetch: L1_LOG_FORMAT: 'xml' is invalid (use plain, json)\n");
    const off = await printConfig({ L1_CSV: csv, L1_JSON: '0', L1_SKIP_UNCHANGED: 'false' });
    expect(off.find((e) => e.flag === '--json')?.value).toBe(false);
    expect(off.find((e) => e.flag === '--skip-unchanged')?.value).toBe(false);
  });

  it('a run configured only by the environment captures as the flags would', async () => {
    const fake = new FakeCoinbase();
    await fake.start();
    try {
      fake.addProducts(['BTC-USD']);
      const r = await runCli(FETCH_BIN, [], {
        env: { L1_CSV: csv, L1_REDIS_URL: redis.url, L1_BASE_URL: fake.url, L1_JSON: '1' },
      });
      expect(r.stderr).toContain('stored 1 of 1 product(s)');
      expect(r.code).toBe(0);
      const [s] = JSON.parse(r.stdout) as { key: string }[];
      expect(await redis.client().exists(s?.key ?? '')).toBe(1);
    } finally {
      await fake.stop();
    }
  });
});
