/**
 * `--chart` and `--chart-out`: snapshots stream into a ChartAccumulator (bounded memory whatever
 * the range), then src/chart draws them in the terminal, as SVG or as PNG. Prices become numbers
 * here and only here: a chart needs positions, not exact decimals.
 */
import { writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { ChartAccumulator, type ChartData, type ChartPoint } from '../chart/chart-data.js';
import { svgToPng } from '../chart/png.js';
import { renderSvgChart } from '../chart/svg-chart.js';
import { renderTerminalChart } from '../chart/terminal-chart.js';
import { EXIT_FAILURE, errorMessage, L1Error, UsageError } from '../errors.js';
import { timestampOfSnapshotKey } from '../store/keys.js';
import type { StoredSnapshot } from '../store/redis-store.js';
import { toEpochMicros } from '../timestamp.js';

export type ChartFileKind = 'svg' | 'png';

/** The kind of picture a --chart-out path asks for; UsageError for any other extension. */
export function chartFileKind(path: string): ChartFileKind {
  const ext = extname(path).toLowerCase();
  if (ext === '.svg') return 'svg';
  if (ext === '.png') return 'png';
  throw new UsageError(
    `--chart-out: '${path}' must end in .svg or .png (e.g. --chart-out btc.svg or --chart-out btc.png)`,
  );
}

export function chartPoint(s: StoredSnapshot): ChartPoint {
  const bid = s.bids[0]?.[0];
  const ask = s.asks[0]?.[0];
  return {
    timeMicros: toEpochMicros(timestampOfSnapshotKey(s.key)),
    bid: bid === undefined ? undefined : Number(bid),
    ask: ask === undefined ? undefined : Number(ask),
  };
}

export function newChartAccumulator(exchange: string, productId: string): ChartAccumulator {
  return new ChartAccumulator(`${exchange} ${productId}`);
}

/** The terminal chart sized to the terminal (or 100 × 24 when stdout is not one). */
export function terminalChart(
  data: ChartData,
  out: { columns?: number; rows?: number; isTTY?: boolean },
  env: NodeJS.ProcessEnv = process.env,
): string {
  const width = out.isTTY && out.columns ? out.columns : 100;
  const height = out.isTTY && out.rows ? Math.min(40, Math.max(12, out.rows - 2)) : 24;
  const color = Boolean(out.isTTY) && env.NO_COLOR === undefined && env.TERM !== 'dumb';
  return `${renderTerminalChart(data, { width, height, color })}\n`;
}

/** Writes the chart file; L1Error (exit 1) naming the path when it cannot be written. */
export async function writeChartFile(path: string, data: ChartData): Promise<void> {
  const svg = renderSvgChart(data);
  const body = chartFileKind(path) === 'png' ? await svgToPng(svg) : svg;
  try {
    await writeFile(path, body);
  } catch (err) {
    throw new L1Error(`cannot write chart to ${path}: ${errorMessage(err)}`, EXIT_FAILURE, { cause: err });
  }
}
