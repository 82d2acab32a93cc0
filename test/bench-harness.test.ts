// `npm run bench` is not a test, but its harness is code: run it on a tiny size against this file's
// test DB and check that it writes valid JSON with every case. Nothing timed is asserted.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CASE_IDS, runBench } from '../bench/harness.js';
import { type BenchReport, formatTable, writeReport } from '../bench/report.js';
import { useTestRedis } from './support/test-redis.js';

const redis = useTestRedis();
const out = mkdtempSync(join(tmpdir(), 'l1-bench-test-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('bench harness', () => {
  it('runs every case on a tiny size and writes a JSON report', { timeout: 90_000 }, async () => {
    const report = await runBench({ mode: 'tiny', redisUrl: redis.url });
    const path = writeReport(report, out);
    expect(path).toMatch(/bench-tiny-\d{4}-\d{2}-\d{2}T\d{6}Z\.json$/);

    const saved = JSON.parse(readFileSync(path, 'utf8')) as BenchReport;
    expect(saved.schema).toBe('l1-orderbook-bench/1');
    expect(saved.mode).toBe('tiny');
    expect(saved.machine.redis).toMatch(/^\d+\.\d+/);
    expect(saved.cases.map((c) => c.id)).toEqual([...CASE_IDS]);
    for (const c of saved.cases) {
      // A case either measured something or says why it could not (e.g. no dist/ build yet).
      if (c.rows.length === 0) {
        expect(c.skipped, c.id).toMatch(/\w/);
        continue;
      }
      for (const r of c.rows) {
        expect(r.summary.samples.length, `${c.id} ${r.name}`).toBeGreaterThan(0);
        for (const v of [r.summary.median, r.summary.min, r.summary.max])
          expect(Number.isFinite(v)).toBe(true);
        expect(r.summary.min).toBeLessThanOrEqual(r.summary.max);
        if (r.vs) expect(r.vs.ratio).toBeGreaterThan(0);
      }
      // Every figure of the project's code is shown next to a baseline of the same run.
      expect(
        c.rows.some((r) => r.baseline),
        c.id,
      ).toBe(true);
    }
    const store = saved.cases.find((c) => c.id === 'store');
    expect(store?.rows[0]?.name).toBe('RedisStore.write');
    expect(store?.rows[0]?.vs?.ratio).toBeGreaterThan(0);
    const memory = saved.cases.find((c) => c.id === 'memory');
    expect(memory?.details?.hashEncoding).toBe('listpack');

    const table = formatTable(saved);
    for (const id of CASE_IDS) expect(table).toContain(id);
    // The bench cleans up after itself.
    expect(await redis.client().dbsize()).toBe(0);
  });
});
