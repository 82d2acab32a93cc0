/** The benchmark's results: one row per figure, grouped by case, printed as one table and saved as JSON. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Summary } from './stats.js';

export interface Row {
  /** Short label, e.g. 'RedisStore.write' or 'raw EVALSHA/snapshot'. */
  name: string;
  unit: string;
  /** Throughput (true) or time/bytes (false): says which way a ratio is good. */
  higherIsBetter: boolean;
  summary: Summary;
  /** Marks a baseline row (measured in the same run, on the same Redis). */
  baseline?: boolean;
  /** Name of the baseline row this one is compared with, and the ratio of the medians. */
  vs?: { name: string; ratio: number } | undefined;
  /** Extra comparison shown instead of/after the ratio, e.g. '+41 ms'. */
  delta?: string;
  /** The target for this figure, as text, and whether this run met it. */
  target?: string;
  met?: boolean;
  note?: string;
}

export interface CaseResult {
  /** Stable id: store, range, latest, memory, e2e, cold-start. */
  id: string;
  title: string;
  rows: Row[];
  /** Set when the case could not run here (e.g. redis-benchmark not installed), saying why. */
  skipped?: string;
  /** Anything else worth keeping in the JSON (sizes, encodings, verification counts). */
  details?: Record<string, unknown>;
}

export interface BenchReport {
  schema: 'l1-orderbook-bench/1';
  mode: string;
  startedAt: string;
  durationMs: number;
  machine: { cpus: number; cpuModel: string; node: string; platform: string; redis: string };
  sizes: Record<string, number>;
  cases: CaseResult[];
}

/** Ratio of medians, oriented so that > 1 always means "the project's code is faster/bigger than the baseline". */
export function ratio(row: Row, base: Row): { name: string; ratio: number } {
  return { name: base.name, ratio: row.summary.median / base.summary.median };
}

function fmt(value: number, unit: string): string {
  if (!Number.isFinite(value)) return String(value);
  if (unit === 'snap/s' || unit === 'ops/s' || unit === 'req/min')
    return Math.round(value).toLocaleString('en-US');
  if (unit === 'B/snap' || unit === 'B') return Math.round(value).toLocaleString('en-US');
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 10) return value.toFixed(1);
  if (Math.abs(value) >= 1) return value.toFixed(2);
  return value.toFixed(3);
}

export function formatTable(report: BenchReport): string {
  const header = ['CASE', 'MEASURE', 'UNIT', 'MEDIAN', 'MIN', 'MAX', 'N', 'VS BASELINE', 'TARGET'];
  const lines: string[][] = [];
  for (const c of report.cases) {
    if (c.skipped && c.rows.length === 0) {
      lines.push([c.id, `skipped: ${c.skipped}`, '', '', '', '', '', '', '']);
      continue;
    }
    c.rows.forEach((r) => {
      const vs = r.vs ? `${r.vs.ratio.toFixed(2)}× ${r.vs.name}` : r.baseline ? '(baseline)' : '';
      const target = r.target ? `${r.target} ${r.met === undefined ? '' : r.met ? 'ok' : 'MISSED'}` : '';
      lines.push([
        c.id,
        r.name,
        r.unit,
        fmt(r.summary.median, r.unit),
        fmt(r.summary.min, r.unit),
        fmt(r.summary.max, r.unit),
        String(r.summary.samples.length),
        [vs, r.delta].filter(Boolean).join(' '),
        target.trim(),
      ]);
    });
    if (c.skipped) lines.push([c.id, `note: ${c.skipped}`, '', '', '', '', '', '', '']);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const numeric = new Set([3, 4, 5, 6]);
  const render = (cells: string[]) =>
    cells
      .map((cell, i) => (numeric.has(i) ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const out = [render(header), widths.map((w) => '-'.repeat(w)).join('  ')];
  let last = '';
  for (const l of lines) {
    if (last && l[0] !== last) out.push('');
    last = l[0] ?? '';
    out.push(render(l));
  }
  const notes = report.cases.flatMap((c) =>
    c.rows.filter((r) => r.note).map((r) => `  ${c.id} / ${r.name}: ${r.note}`),
  );
  if (notes.length > 0) out.push('', 'Notes:', ...notes);
  return out.join('\n');
}

/** Writes `<dir>/bench-<mode>-<UTC timestamp>.json` and returns its path. */
export function writeReport(report: BenchReport, dir: string): string {
  mkdirSync(dir, { recursive: true });
  const stamp = report.startedAt.replace(/[:]/g, '').replace(/\.\d+Z$/, 'Z');
  const path = join(dir, `bench-${report.mode}-${stamp}.json`);
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
  return path;
}
