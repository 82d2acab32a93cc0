/**
 * Case: Parquet export of one product's whole tape (1M snapshots in the full run), beside the range
 * read alone as the baseline (the same RedisStore.range, every snapshot consumed and dropped):
 *   - speed: exportParquet into a file vs the range read, snap/s (goal: ≥ 0.5× the range read);
 *   - size: bytes per snapshot in the file (Redis holds 514 B per snapshot: the memory case);
 *   - memory: peak RSS of the built `l1-query --format parquet --out` for 10,000 snapshots and for
 *     the whole tape, beside `l1-query --format csv` of the whole tape (the existing streamed export).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportParquet } from '../../src/query/parquet-export.js';
import { RedisStore } from '../../src/store/redis-store.js';
import { type BenchContext, connect } from '../context.js';
import { type CaseResult, type Row, ratio } from '../report.js';
import { summarize } from '../stats.js';
import { READ_PRODUCT, type ReadData } from './reads.js';

const REF = { exchange: 'coinbase' as const, productId: READ_PRODUCT };

/** Peak RSS (MiB) of the built l1-query with these arguments, read from bench/rss-hook.mjs. */
function peakRss(ctx: BenchContext, args: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', join(ctx.root, 'bench/rss-hook.mjs'), join(ctx.root, 'dist/cli/query.js'), ...args],
      { cwd: ctx.root, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, REDIS_URL: ctx.url } },
    );
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr = (stderr + d).slice(-4000);
    });
    child.once('error', reject);
    child.once('close', (code) => {
      const m = /bench-maxrss-kib=(\d+)/.exec(stderr);
      if (code !== 0 || !m) reject(new Error(`l1-query ${args.join(' ')} failed (${code}): ${stderr}`));
      else resolve(Number(m[1]) / 1024);
    });
  });
}

export async function exportCase(ctx: BenchContext, data: ReadData): Promise<CaseResult> {
  const { sizes } = ctx;
  const total = data.tape.length;
  // The other read cases are done with the tape (1M objects in memory); drop it, so the export
  // runs in a heap like l1-query's, not in one whose every full GC marks a million snapshots.
  data.tape = [];
  const dir = mkdtempSync(join(tmpdir(), 'l1-bench-export-'));
  const redis = connect(ctx);
  try {
    const store = new RedisStore(redis);
    const file = join(dir, 'tape.parquet');
    let bytes = 0;
    const methods = [
      {
        name: 'Parquet export (range → file)',
        run: async () => {
          const r = await exportParquet(store, [REF], {}, { kind: 'file', path: file }, process.stdout);
          bytes = statSync(file).size;
          return r.count;
        },
        rates: [] as number[],
      },
      {
        name: 'RedisStore.range alone',
        run: async () => {
          let n = 0;
          for await (const _ of store.range(REF, {})) n += 1;
          return n;
        },
        rates: [] as number[],
      },
    ];
    // Warm-up: worker start, zstd's WebAssembly, JIT; not measured.
    await exportParquet(store, [REF], { limit: 10_000 }, { kind: 'file', path: file }, process.stdout);
    for await (const _ of store.range(REF, { limit: 10_000 })) {
      // drained
    }
    for (let rep = 0; rep < sizes.exportReps; rep++) {
      for (let k = 0; k < methods.length; k++) {
        const m = methods[(k + rep) % methods.length];
        if (!m) continue;
        const t0 = performance.now();
        const n = await m.run();
        const ms = performance.now() - t0;
        if (n !== total) throw new Error(`${m.name} handled ${n} snapshots, expected ${total}`);
        m.rates.push((n / ms) * 1000);
        ctx.log(`export rep ${rep + 1}: ${m.name} ${Math.round((n / ms) * 1000)} snap/s`);
      }
    }
    const [exportRow, rangeRow] = methods.map(
      (m, i): Row => ({
        name: m.name,
        unit: 'snap/s',
        higherIsBetter: true,
        summary: summarize(m.rates),
        ...(i > 0 ? { baseline: true } : {}),
      }),
    ) as [Row, Row];
    exportRow.vs = ratio(exportRow, rangeRow);
    exportRow.target = '≥ 0.50× range';
    exportRow.met = exportRow.vs.ratio >= 0.5;
    const sizeRow: Row = {
      name: 'Parquet file (zstd)',
      unit: 'B/snap',
      higherIsBetter: false,
      summary: summarize([bytes / total]),
      note: `${total} snapshots, ${bytes} bytes; in Redis a snapshot costs 514 B (see the memory case)`,
    };

    const small = Math.min(10_000, total);
    const from = '2000-01-01';
    const out = join(dir, 'rss.parquet');
    const rss = { small: [] as number[], all: [] as number[], csv: [] as number[] };
    for (let rep = 0; rep < sizes.exportRssReps; rep++) {
      const base = ['--product-id', READ_PRODUCT, '--from', from];
      rss.small.push(
        await peakRss(ctx, [...base, '--limit', String(small), '--format', 'parquet', '--out', out]),
      );
      rss.all.push(await peakRss(ctx, [...base, '--format', 'parquet', '--out', out]));
      rss.csv.push(await peakRss(ctx, [...base, '--format', 'csv']));
    }
    const rssRow = (name: string, values: number[], baseline = false): Row => ({
      name,
      unit: 'MiB',
      higherIsBetter: false,
      summary: summarize(values),
      ...(baseline ? { baseline: true } : {}),
    });
    const rssAll = rssRow(`l1-query parquet peak RSS, ${total} snap`, rss.all);
    const rssSmall = rssRow(`l1-query parquet peak RSS, ${small} snap`, rss.small, true);
    const rssCsv = rssRow(`l1-query csv peak RSS, ${total} snap`, rss.csv, true);
    rssAll.vs = ratio(rssAll, rssSmall);
    rssAll.note = `csv of the same ${total} snapshots: ${Math.round(rssCsv.summary.median)} MiB`;
    return {
      id: 'export',
      title: `Parquet export of ${total} snapshots of one product`,
      rows: [exportRow, rangeRow, sizeRow, rssAll, rssSmall, rssCsv],
      details: { snapshots: total, bytes, bytesPerSnapshot: bytes / total },
    };
  } finally {
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  }
}
