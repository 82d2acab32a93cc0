/**
 * Case 5, end to end, as a user runs it: the built `dist/cli/fetch.js` against a loopback fake
 * Coinbase with no rate limit, 100 products; snapshots stored per second (wall clock from spawn to
 * exit, counted in Redis afterwards) vs bench/e2e-baseline.mjs doing the least possible for the
 * same result. And cold start: `l1-query --help` / `l1-fetch --help` vs `node -e 0` and vs Node
 * importing ioredis.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeCoinbase } from '../../test/support/fake-coinbase.js';
import { type BenchContext, connect } from '../context.js';
import { productIds } from '../data.js';
import { type CaseResult, type Row, ratio } from '../report.js';
import { summarize } from '../stats.js';

interface Timed {
  ms: number;
  code: number | null;
  stderr: string;
}

/** Spawns `node args…` and resolves with the wall time from spawn to exit. */
function timeNode(args: readonly string[], cwd: string, timeoutMs = 120_000): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, args, {
      cwd,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, NO_COLOR: '1', REDIS_URL: undefined },
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr = (stderr + d).slice(-4000);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ ms: performance.now() - t0, code, stderr });
    });
  });
}

function missingBuild(ctx: BenchContext): string | undefined {
  for (const bin of ['dist/cli/fetch.js', 'dist/cli/query.js']) {
    if (!existsSync(join(ctx.root, bin))) return `${bin} is missing: run npm run build first`;
  }
  return undefined;
}

/** Which of the capture flags this build of l1-fetch has (they arrive in stages). */
function fetchFlags(ctx: BenchContext): { rateLimit: boolean; polling: boolean } {
  const help = spawnSync(process.execPath, [join(ctx.root, 'dist/cli/fetch.js'), '--help'], {
    cwd: ctx.root,
    encoding: 'utf8',
  }).stdout;
  return {
    rateLimit: help.includes('--rate-limit'),
    polling: help.includes('--interval') && help.includes('--count'),
  };
}

export async function endToEndCase(ctx: BenchContext): Promise<CaseResult> {
  const missing = missingBuild(ctx);
  if (missing) return { id: 'e2e', title: 'End to end', rows: [], skipped: missing };
  const { sizes } = ctx;
  const products = productIds(sizes.e2eProducts);
  const flags = fetchFlags(ctx);
  const fake = new FakeCoinbase({ enforceLimit: false }).addProducts(products);
  const baseUrl = await fake.start();
  const dir = mkdtempSync(join(tmpdir(), 'l1-bench-'));
  const csv = join(dir, 'products.csv');
  writeFileSync(csv, `product_id\n${products.join('\n')}\n`);
  const redis = connect(ctx);
  // Polling: 100 products every 50 ms asks for 2,000 snapshots/s, more than one core of fetch
  // and store can give on a 2-core box shared with the fake venue and Redis; the poller skips the
  // slot of a product whose last request is still busy, so what it stores is what it sustains.
  const intervalMs = 50;
  const rounds = ctx.mode === 'full' ? 100 : ctx.mode === 'quick' ? 20 : 2;
  const common = ['--csv', csv, '--redis-url', ctx.url, '--base-url', baseUrl, '--concurrency', '32'];
  if (flags.rateLimit) common.push('--rate-limit', '1000000');
  const fetchBin = join(ctx.root, 'dist/cli/fetch.js');
  const variants: { name: string; args: string[]; rounds: number; baseline?: boolean }[] = [
    { name: 'l1-fetch one-shot', args: [fetchBin, ...common], rounds: 1 },
    {
      name: 'raw fetch()+MULTI',
      args: [join(ctx.root, 'bench/e2e-baseline.mjs'), baseUrl, ctx.url, '1', '32', ...products],
      rounds: 1,
      baseline: true,
    },
  ];
  if (flags.polling && flags.rateLimit) {
    variants.push({
      name: `l1-fetch --interval ${intervalMs}ms --count ${rounds}`,
      args: [fetchBin, ...common, '--interval', `${intervalMs}ms`, '--count', String(rounds)],
      rounds,
    });
  }
  const runs = variants.map((v) => ({
    ...v,
    rates: [] as number[],
    wall: [] as number[],
    stored: [] as number[],
  }));

  try {
    // Without --rate-limit a run takes ~10 s of limiter waits: once is enough to show it.
    const reps = flags.rateLimit ? sizes.e2eReps : 1;
    for (let rep = 0; rep < reps; rep++) {
      for (const v of runs) {
        await ctx.flush();
        const t = await timeNode(v.args, ctx.root);
        const stored = (await redis.dbsize()) - products.length - 1;
        // Polling may skip a busy product's slot (by design); a one-shot run must store every product.
        if (
          t.code !== 0 ||
          stored > products.length * v.rounds ||
          (v.rounds === 1 && stored !== products.length)
        ) {
          throw new Error(
            `${v.name}: exit ${t.code}, stored ${stored} of ${products.length * v.rounds}\n${t.stderr}`,
          );
        }
        v.wall.push(t.ms);
        v.stored.push(stored);
        v.rates.push((stored / t.ms) * 1000);
      }
      ctx.log(
        `e2e rep ${rep + 1}: ${runs.map((v) => `${v.name} ${Math.round(v.wall.at(-1) ?? 0)} ms`).join(', ')}`,
      );
    }
  } finally {
    redis.disconnect();
    await fake.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const rows: Row[] = runs.map((v) => ({
    name: v.name,
    unit: 'snap/s',
    higherIsBetter: true,
    summary: summarize(v.rates),
    ...(v.baseline ? { baseline: true } : {}),
    note:
      `wall ${Math.round(summarize(v.wall).median)} ms median from spawn to exit, ` +
      (v.rounds === 1
        ? `${products.length} snapshots`
        : `stored ${Math.round(summarize(v.stored).median)} of ${products.length * v.rounds} asked (${products.length} products every ${intervalMs} ms)`),
  }));
  const [oneShot, oneShotBase] = rows as [Row, Row];
  oneShot.vs = ratio(oneShot, oneShotBase);
  let skipped: string | undefined;
  if (!flags.rateLimit) {
    skipped =
      "this l1-fetch has no --rate-limit: it runs at Coinbase's documented 10 req/s, so the figure is the limiter, not the code";
  } else if (!flags.polling) {
    skipped = 'this l1-fetch has no --interval/--count: one-shot runs only';
  }
  return {
    id: 'e2e',
    title: `End to end: l1-fetch, ${products.length} products, fake Coinbase without a limit`,
    rows,
    details: { products: products.length, rounds, intervalMs, flags },
    ...(skipped ? { skipped } : {}),
  };
}

export async function coldStartCase(ctx: BenchContext): Promise<CaseResult> {
  const missing = missingBuild(ctx);
  if (missing) return { id: 'cold-start', title: 'Cold start', rows: [], skipped: missing };
  const commands = [
    { name: 'node -e 0', args: ['-e', '0'], baseline: true },
    { name: 'node+ioredis', args: ['--input-type=module', '-e', "import 'ioredis'"], baseline: true },
    { name: 'l1-query --help', args: [join(ctx.root, 'dist/cli/query.js'), '--help'] },
    { name: 'l1-fetch --help', args: [join(ctx.root, 'dist/cli/fetch.js'), '--help'] },
  ].map((c) => ({ ...c, ms: [] as number[] }));
  for (const c of commands) await timeNode(c.args, ctx.root); // warm the file cache
  for (let rep = 0; rep < ctx.sizes.coldStartReps; rep++) {
    for (const c of commands) {
      const t = await timeNode(c.args, ctx.root, 30_000);
      if (t.code !== 0) throw new Error(`${c.name} exited ${t.code}: ${t.stderr}`);
      c.ms.push(t.ms);
    }
  }
  const rows: Row[] = commands.map((c) => ({
    name: c.name,
    unit: 'ms',
    higherIsBetter: false,
    summary: summarize(c.ms),
    ...(c.baseline ? { baseline: true } : {}),
  }));
  const [bare, ioredis, ...clis] = rows as [Row, Row, ...Row[]];
  ioredis.vs = ratio(ioredis, bare);
  for (const r of clis) {
    r.vs = ratio(r, ioredis);
    const over = r.summary.median - ioredis.summary.median;
    r.delta = `(${over >= 0 ? '+' : ''}${Math.round(over)} ms)`;
    r.target = '≤ +100 ms';
    r.met = over <= 100;
  }
  return { id: 'cold-start', title: 'Cold start, spawn to exit', rows };
}
