/**
 * Secure Redis: a redis-server on TLS only (client certificates required), with the two ACL users
 * the README documents, created by running the README's own commands. Capture and query over TLS,
 * a wrong CA, a read-only user that tries to fetch, bad TLS files; no password in any output.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeCoinbase } from '../support/fake-coinbase.js';
import { type CliResult, FETCH_BIN, QUERY_BIN, runCli } from '../support/run-cli.js';
import { makeTlsFiles, startTlsRedis, type TlsRedis, writeInto } from '../support/tls-redis.js';

const FETCH_PASSWORD = 'fetch-Pa55-word-9731';
const QUERY_PASSWORD = 'query-Pa55-word-4410';
const README = new URL('../../README.md', import.meta.url);

let server: TlsRedis;
let admin: Redis;
const fake = new FakeCoinbase();
const dir = mkdtempSync(join(tmpdir(), 'l1-tls-acl-'));
const csv = join(dir, 'products.csv');
writeFileSync(csv, 'product_id\nBTC-USD\nETH-USD\n');

/** The `ACL SETUSER <user> …` line of the README, as arguments, with its password filled in. */
function readmeAcl(user: string, password: string): string[] {
  const line = readFileSync(README, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`redis-cli ACL SETUSER ${user} `));
  if (!line) throw new Error(`README has no "redis-cli ACL SETUSER ${user}" line`);
  const words = line
    .trim()
    .split(/\s+/)
    .slice(1)
    .map((w) => w.replace(/^'(.*)'$/, '$1'));
  return words.map((w) => w.replace(/^>[A-Z]+-PASSWORD$/, `>${password}`));
}

const url = (user: string, password: string) => `rediss://${user}:${password}@127.0.0.1:${server.port}/1`;

function tlsArgs(ca = server.files.ca): string[] {
  return [
    '--redis-tls-ca',
    ca,
    '--redis-tls-cert',
    server.files.clientCert,
    '--redis-tls-key',
    server.files.clientKey,
  ];
}

/** l1-fetch's arguments for the test CSV and the fake venue, as `user`. */
const fetchAs = (user: string, password: string, ...more: string[]) => [
  '--csv',
  csv,
  '--base-url',
  fake.url,
  '--redis-url',
  url(user, password),
  ...more,
];

const all: CliResult[] = [];
async function run(bin: string, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const r = await runCli(bin, args, { env });
  all.push(r);
  return r;
}

beforeAll(async () => {
  const files = makeTlsFiles();
  server = await startTlsRedis(files);
  admin = new Redis({
    host: '127.0.0.1',
    port: server.port,
    db: 1,
    tls: {
      ca: readFileSync(files.ca),
      cert: readFileSync(files.clientCert),
      key: readFileSync(files.clientKey),
    },
  });
  for (const [user, password] of [
    ['l1-fetch', FETCH_PASSWORD],
    ['l1-query', QUERY_PASSWORD],
  ] as const) {
    const [acl, setuser, ...rest] = readmeAcl(user, password);
    expect([acl, setuser]).toEqual(['ACL', 'SETUSER']);
    expect(await admin.call('ACL', 'SETUSER', ...rest)).toBe('OK');
  }
  await fake.start();
  fake.addProducts(['BTC-USD', 'ETH-USD']);
});

afterAll(async () => {
  // Whatever ran, no password reached any output.
  for (const r of all) {
    for (const secret of [FETCH_PASSWORD, QUERY_PASSWORD]) {
      expect(r.stdout).not.toContain(secret);
      expect(r.stderr).not.toContain(secret);
    }
  }
  admin?.disconnect();
  await fake.stop();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
  rmSync(server.files.dir, { recursive: true, force: true });
});

beforeEach(async () => {
  await admin.flushdb();
});

describe('TLS with the documented ACL users', () => {
  it('the fetcher user captures over TLS, and the query user reads it back', async () => {
    const fetched = await run(
      FETCH_BIN,
      [
        '--csv',
        csv,
        '--base-url',
        fake.url,
        '--redis-url',
        url('l1-fetch', FETCH_PASSWORD),
        ...tlsArgs().slice(2),
      ],
      // The CA from the environment, the client certificate from flags: both paths are used.
      { L1_REDIS_TLS_CA: server.files.ca },
    );
    expect(fetched.stderr).toContain('stored 2 of 2 product(s)');
    expect(fetched.code).toBe(0);
    expect(await admin.zcard('orderbook:index:BTC-USD')).toBe(1);

    const queried = await run(QUERY_BIN, [
      '--product-id',
      'BTC-USD',
      '--json',
      '--redis-url',
      url('l1-query', QUERY_PASSWORD),
      ...tlsArgs(),
    ]);
    expect(queried.code).toBe(0);
    const rows = JSON.parse(queried.stdout) as { product_id: string; bids: unknown }[];
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ product_id: 'BTC-USD', bids: [['100.01', '1.50000000', 3]] });

    // l1-query reads its connection from the environment too.
    const list = await run(QUERY_BIN, ['--list'], {
      L1_REDIS_URL: url('l1-query', QUERY_PASSWORD),
      L1_REDIS_TLS_CA: server.files.ca,
      L1_REDIS_TLS_CERT: server.files.clientCert,
      L1_REDIS_TLS_KEY: server.files.clientKey,
    });
    expect(list.code).toBe(0);
    expect(list.stdout).toContain('ETH-USD');
  });

  it('the read-only user cannot fetch: one "not allowed" line, exit 1, nothing written', async () => {
    const requestsBefore = fake.requests.length;
    const r = await run(FETCH_BIN, fetchAs('l1-query', QUERY_PASSWORD, ...tlsArgs()));
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^l1-fetch: cannot write to Redis at rediss:\/\/l1-query:\*\*\*@127\.0\.0\.1:\d+\/1: not allowed: Redis user 'l1-query' may not run EXISTS, HSET, ZADD, SADD, DEL, ZREM on orderbook:\* keys/,
    );
    expect(await admin.dbsize()).toBe(0);
    // Nothing was fetched either: the check comes first.
    expect(fake.requests.length).toBe(requestsBefore);
  });

  it('a wrong CA fails at once with one clear line, exit 1', async () => {
    const started = performance.now();
    const r = await run(FETCH_BIN, fetchAs('l1-fetch', FETCH_PASSWORD, ...tlsArgs(server.files.otherCa)));
    const ms = performance.now() - started;
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^l1-fetch: cannot use Redis at rediss:\/\/l1-fetch:\*\*\*@127\.0\.0\.1:\d+\/1: TLS: the server's certificate is not trusted \(self-signed certificate in certificate chain\); pass the CA that signed it with --redis-tls-ca\n$/,
    );
    // No waiting out the 3 s connect timeout or a reconnect loop (the whole CLI run is measured,
    // Node's start included; the handshake itself fails in milliseconds).
    expect(ms).toBeLessThan(2500);
    expect(await admin.dbsize()).toBe(0);
  });

  it('a wrong password names the user, never the password', async () => {
    const r = await run(QUERY_BIN, [
      '--list',
      '--redis-url',
      url('l1-query', 'not-the-Pa55-word'),
      ...tlsArgs(),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/rediss:\/\/l1-query:\*\*\*@127\.0\.0\.1:\d+\/1: wrong password or user/);
    expect(r.stderr).not.toContain('not-the-Pa55-word');
  });

  it('a bad TLS file is one line naming it, exit 2, before Redis or the venue is touched', async () => {
    const base = fetchAs('l1-fetch', FETCH_PASSWORD);
    const missing = join(dir, 'no-such-ca.pem');
    const notPem = writeInto(server.files, 'not-a-cert.pem', 'hello\n');
    const cases: [string[], Record<string, string>, string][] = [
      [['--redis-tls-ca', missing], {}, `l1-fetch: --redis-tls-ca: cannot read ${missing} (no such file)\n`],
      [
        [],
        { L1_REDIS_TLS_CA: missing },
        `l1-fetch: L1_REDIS_TLS_CA: cannot read ${missing} (no such file)\n`,
      ],
      [['--redis-tls-ca', dir], {}, `l1-fetch: --redis-tls-ca: cannot read ${dir} (it is a directory)\n`],
      [['--redis-tls-ca', notPem], {}, `l1-fetch: --redis-tls-ca: ${notPem} is not a PEM certificate\n`],
      [
        ['--redis-tls-cert', server.files.clientCert, '--redis-tls-key', server.files.serverKey],
        {},
        `l1-fetch: --redis-tls-key: the key in ${server.files.serverKey} does not belong to the certificate in ${server.files.clientCert}\n`,
      ],
    ];
    const requestsBefore = fake.requests.length;
    for (const [args, env, expected] of cases) {
      const r = await run(FETCH_BIN, [...base, ...args], env);
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 2, stderr: expected });
    }
    const plain = await run(QUERY_BIN, [
      '--list',
      '--redis-url',
      'redis://127.0.0.1:1',
      '--redis-tls-ca',
      server.files.ca,
    ]);
    expect(plain.code).toBe(2);
    expect(plain.stderr).toBe(
      "l1-query: --redis-tls-ca: TLS options need a rediss:// URL, and --redis-url is 'redis://127.0.0.1:1'\n",
    );
    expect(fake.requests.length).toBe(requestsBefore);
    expect(await admin.dbsize()).toBe(0);
  });
});

describe('passwords with URL characters', () => {
  // A raw '@' works as it does in any URL (the user part ends at the last '@'); '%' and '/' must
  // be percent-encoded, and saying so must not show the password either.
  const ODD_PASSWORD = 'odd@Pa55-word@8812';
  const odd = (scheme: string, password = ODD_PASSWORD) =>
    `${scheme}://l1-odd:${password}@127.0.0.1:${server.port}`;

  it('a raw @ works, a stray % or / is one line saying how to write it, and none is shown', async () => {
    const [, , ...acl] = readmeAcl('l1-query', ODD_PASSWORD);
    expect(await admin.call('ACL', 'SETUSER', 'l1-odd', ...acl.slice(1))).toBe('OK');
    const list = await run(QUERY_BIN, ['--list', '--redis-url', `${odd('rediss')}/1`, ...tlsArgs()]);
    expect({ code: list.code, stderr: list.stderr }).toEqual({
      code: 0,
      stderr: 'l1-query: no products stored yet; capture some with: l1-fetch --csv products.csv\n',
    });
    // The cluster form reads the user part the same way: it logs in (then lacks cluster|slots).
    const cluster = await run(QUERY_BIN, ['--list', '--redis-url', odd('rediss+cluster'), ...tlsArgs()]);
    expect(cluster.code).toBe(1);
    expect(cluster.stderr).toMatch(
      /^l1-query: cannot use the Redis Cluster at rediss\+cluster:\/\/l1-odd:\*\*\*@127\.0\.0\.1:\d+: not allowed by the Redis user's ACL .*'cluster\|slots'/,
    );
    for (const [password, why] of [
      ['50%off', "has a '%' in its user or password that is not percent-encoding; write a literal % as %25"],
      ['ab/cd@ef', "has a '/', '?' or '#' in its user or password: write them as %2F, %3F, %23"],
    ] as const) {
      for (const scheme of ['rediss', 'rediss+cluster']) {
        const r = await run(QUERY_BIN, ['--list', '--redis-url', odd(scheme, password)]);
        expect({ code: r.code, stderr: r.stderr }).toEqual({
          code: 2,
          stderr: `l1-query: --redis-url: '${scheme}://l1-odd:***@127.0.0.1:${server.port}' ${why}\n`,
        });
      }
    }
    const config = await run(FETCH_BIN, ['--csv', csv, '--print-config'], { L1_REDIS_URL: odd('rediss') });
    expect(config.stdout).toContain(`"rediss://l1-odd:***@127.0.0.1:${server.port}"`);
    for (const r of all) {
      for (const part of ['Pa55-word', '50%off', 'ab/cd', 'cd@ef'])
        expect(r.stdout + r.stderr).not.toContain(part);
    }
  });
});
