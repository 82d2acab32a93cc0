/**
 * The container and service files, checked without a container engine: every file, script, bin
 * and L1_ variable they name exists, and the image's install step (npm pack, then a global
 * --omit=dev install of the tarball) is run here, exactly as the Dockerfile writes it, into a
 * temporary prefix; the installed l1-fetch then captures the example CSV into Redis.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { FakeCoinbase } from '../support/fake-coinbase.js';
import { FETCH_BIN, runCli } from '../support/run-cli.js';
import { useTestRedis } from '../support/test-redis.js';

const redis = useTestRedis();
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');
const pkg = JSON.parse(read('package.json')) as {
  name: string;
  version: string;
  bin: Record<string, string>;
  files: string[];
  scripts: Record<string, string>;
};

/** Dockerfile instructions, continuation lines joined, comments dropped. */
function instructions(text: string): { op: string; args: string }[] {
  const joined = text
    .split('\n')
    .filter((l) => !l.trimStart().startsWith('#'))
    .join('\n')
    .replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const [op = '', ...rest] = l.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(' ') };
    });
}

const dockerfile = instructions(read('Dockerfile'));
const runs = dockerfile.filter((i) => i.op === 'RUN').map((i) => i.args);
const env = Object.fromEntries(
  dockerfile
    .filter((i) => i.op === 'ENV')
    .flatMap((i) => [...i.args.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1], m[2]])),
) as Record<string, string>;
/** Where `npm install -g` puts the package under the image's prefix (/usr/local). */
const GLOBAL_PACKAGE_DIR = `/usr/local/lib/node_modules/${pkg.name}`;

let variables: string[] = [];
beforeAll(async () => {
  const r = await runCli(FETCH_BIN, ['--print-config', '--csv', 'x']);
  variables = (JSON.parse(r.stdout) as { env: string | null }[]).flatMap((e) => (e.env ? [e.env] : []));
  expect(variables).toContain('L1_METRICS_PORT');
});

/** Every L1_ variable a file sets must be one l1-fetch reads (a typo would be silently ignored). */
function expectKnownVariables(names: Iterable<string>, file: string): void {
  for (const name of names) if (name.startsWith('L1_')) expect(variables, `${file}: ${name}`).toContain(name);
}

describe('Dockerfile', () => {
  it('builds in one stage, runs as a non-root user with tini and a health check in another', () => {
    expect(dockerfile.filter((i) => i.op === 'FROM').map((i) => i.args)).toEqual([
      'node:20-bookworm-slim AS build',
      'node:20-bookworm-slim',
    ]);
    expect(runs.some((r) => r.startsWith('npm ci '))).toBe(true);
    const last = dockerfile.slice(dockerfile.findLastIndex((i) => i.op === 'FROM'));
    expect(last.find((i) => i.op === 'USER')?.args).toBe('node');
    expect(last.some((i) => i.op === 'RUN' && /apt-get install .*\btini\b/.test(i.args))).toBe(true);
    const entrypoint = JSON.parse(last.find((i) => i.op === 'ENTRYPOINT')?.args ?? '[]') as string[];
    expect(entrypoint).toEqual(['/usr/bin/tini', '--', '/usr/local/bin/l1-fetch']);
    const health = last.find((i) => i.op === 'HEALTHCHECK')?.args ?? '';
    expect(health).toContain('/healthz');
    expect(health).toContain('process.env.L1_METRICS_PORT');
    expect(env.L1_METRICS_PORT).toBe('9464');
    expect(env.L1_METRICS_HOST).toBe('0.0.0.0');
    // The spool lives on a volume the non-root user owns.
    const spoolHome = last.find((i) => i.op === 'VOLUME')?.args ?? '';
    expect(env.L1_SPOOL_DIR?.startsWith(`${spoolHome}/`), env.L1_SPOOL_DIR).toBe(true);
    expect(
      last.some((i) => i.op === 'RUN' && i.args.includes(`install -d -o node -g node ${spoolHome}`)),
    ).toBe(true);
  });

  it('names only files, scripts, bins and variables that exist', () => {
    for (const copy of dockerfile.filter((i) => i.op === 'COPY' && !i.args.startsWith('--from'))) {
      const sources = copy.args.split(/\s+/).slice(0, -1);
      for (const source of sources) expect(existsSync(join(ROOT, source)), `COPY ${source}`).toBe(true);
    }
    for (const r of runs)
      for (const [, script] of r.matchAll(/npm run (\S+)/g))
        expect(pkg.scripts, `npm run ${script}`).toHaveProperty(script as string);
    expect(pkg.bin).toHaveProperty('l1-fetch');
    // The example the image polls by default ships in the package.
    expect(env.L1_CSV).toBe(`${GLOBAL_PACKAGE_DIR}/example_products.csv`);
    expect(pkg.files).toContain('example_products.csv');
    expectKnownVariables(Object.keys(env), 'Dockerfile');
    const ignored = read('.dockerignore').split('\n');
    for (const dir of ['node_modules', 'dist']) expect(ignored).toContain(dir);
  });
});

describe('docker-compose.yml', () => {
  it('runs Redis with AOF on a volume, and the fetcher built here polling the example', () => {
    const compose = parseYaml(read('docker-compose.yml')) as {
      services: Record<string, Record<string, unknown>>;
      volumes: Record<string, unknown>;
    };
    const redisService = compose.services.redis ?? {};
    const command = (redisService.command as string[]).join(' ');
    expect(command).toMatch(/--appendonly yes/);
    const [volume, mount] = String((redisService.volumes as string[])[0]).split(':');
    expect(mount).toBe('/data');
    expect(compose.volumes).toHaveProperty(volume as string);

    const fetcher = compose.services.fetcher ?? {};
    expect(fetcher.build).toBe('.');
    expect(existsSync(join(ROOT, 'Dockerfile'))).toBe(true);
    const vars = fetcher.environment as Record<string, string>;
    expect(vars.L1_CSV).toBe(`${GLOBAL_PACKAGE_DIR}/example_products.csv`);
    expect(vars.L1_REDIS_URL).toBe('redis://redis:6379/0');
    expect(vars.L1_INTERVAL).toBeDefined();
    expectKnownVariables(Object.keys(vars), 'docker-compose.yml');
    // The spool directory is on a named volume, so it outlives the container.
    const mounts = (fetcher.volumes as string[]).map((v) => v.split(':'));
    const spoolMount = mounts.find(([, path]) => vars.L1_SPOOL_DIR?.startsWith(`${path}/`));
    expect(spoolMount, 'a volume holding L1_SPOOL_DIR').toBeDefined();
    expect(compose.volumes).toHaveProperty(spoolMount?.[0] as string);
  });
});

describe('deploy/l1-fetch.service', () => {
  it('restarts on failure (not on a usage error) and runs the globally installed l1-fetch', () => {
    const unit = read('deploy/l1-fetch.service');
    const setting = (key: string) =>
      unit
        .split('\n')
        .filter((l) => l.startsWith(`${key}=`))
        .map((l) => l.slice(key.length + 1));
    expect(setting('Restart')).toEqual(['on-failure']);
    expect(setting('RestartPreventExitStatus')).toEqual(['2']);
    expect(setting('ExecStart')).toEqual(['/usr/local/bin/l1-fetch']);
    expect(setting('KillSignal')).toEqual(['SIGTERM']);
    // The spool sits in the unit's own state directory.
    const spool =
      setting('Environment')
        .find((e) => e.startsWith('L1_SPOOL_DIR='))
        ?.split('=')[1] ?? '';
    expect(spool.startsWith(`/var/lib/${setting('StateDirectory')[0]}/`), spool).toBe(true);
    expectKnownVariables(
      setting('Environment').map((e) => e.split('=')[0] as string),
      'deploy/l1-fetch.service',
    );
  });
});

describe("the image's install steps", () => {
  const work = mkdtempSync(join(tmpdir(), 'l1-pack-'));
  const fake = new FakeCoinbase();
  beforeAll(() => fake.start());
  afterAll(async () => {
    await fake.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('npm pack + npm install -g --omit=dev, as the Dockerfile runs them, give working bins', async () => {
    // The build already ran (npm test builds first); pack it as the image's first stage does.
    const packLine = runs.find((r) => r.startsWith('npm pack')) ?? '';
    expect(packLine).toMatch(/^npm pack --ignore-scripts --pack-destination \/tmp /);
    execFileSync('npm', ['pack', '--ignore-scripts', '--pack-destination', work], {
      cwd: ROOT,
      stdio: 'pipe',
    });
    const tarball = join(work, `${pkg.name}-${pkg.version}.tgz`);
    expect(existsSync(tarball)).toBe(true);

    // The second stage's install line, word for word, into a prefix here instead of /usr/local.
    const installLine = (runs.find((r) => r.startsWith('npm install -g')) ?? '').split('&&')[0]?.trim() ?? '';
    const words = installLine.split(/\s+/);
    expect(words.at(-1)).toBe('/tmp/l1-orderbook.tgz');
    const prefix = join(work, 'prefix');
    execFileSync('npm', [...words.slice(1, -1), '--prefer-offline', '--prefix', prefix, tarball], {
      cwd: work,
      stdio: 'pipe',
      timeout: 120_000,
    });
    const installed = join(prefix, 'lib', 'node_modules', pkg.name);
    expect(existsSync(join(installed, 'node_modules', 'vitest'))).toBe(false);
    expect(existsSync(join(installed, 'src'))).toBe(false);

    const bin = join(prefix, 'bin', 'l1-fetch');
    expect(execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim()).toBe(pkg.version);

    // The image's default: the installed example CSV (same path under the prefix).
    fake.addProducts([
      'BTC-USD',
      'ETH-USD',
      'SOL-USD',
      'LTC-USD',
      'DOGE-USD',
      'AVAX-USD',
      'LINK-USD',
      'ETH-BTC',
    ]);
    const csv = join(prefix, env.L1_CSV?.slice('/usr/local/'.length) ?? '');
    const r = await runCli(join(installed, pkg.bin['l1-fetch'] ?? ''), [], {
      env: { L1_CSV: csv, L1_REDIS_URL: redis.url, L1_BASE_URL: fake.url },
      timeoutMs: 20_000,
    });
    expect(r.stderr).toContain('stored 8 of 8 product(s)');
    expect(r.code).toBe(0);
    expect(await redis.client().scard('orderbook:products')).toBe(8);
  });
});
