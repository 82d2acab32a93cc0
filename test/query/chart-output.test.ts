// The chart path l1-query takes: stored snapshots → ChartAccumulator → SVG (and PNG). The SVG must
// be well-formed and its bid/ask/spread paths must be the plotted data, not just any line.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderSvgChart } from '../../src/chart/svg-chart.js';
import { UsageError } from '../../src/errors.js';
import {
  chartFileKind,
  chartPoint,
  newChartAccumulator,
  writeChartFile,
} from '../../src/query/chart-output.js';
import type { StoredSnapshot } from '../../src/store/redis-store.js';
import { tape } from './fixtures.js';
import { checkWellFormedXml, pathVertices } from './xml-check.js';

const dir = mkdtempSync(join(tmpdir(), 'l1-chart-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** 40 snapshots, a second apart; bid zig-zags so a wrong mapping cannot pass by accident. */
function data(): StoredSnapshot[] {
  return tape(40).map((s, i) => {
    const bid = (97250 + ((i * 7) % 11) - (i % 3) * 0.5).toFixed(2);
    const ask = (Number(bid) + 0.01 + (i % 4) * 0.02).toFixed(2);
    return {
      ...s,
      bids: [[bid, '1.0', 1]],
      asks: [[ask, '1.0', 1]],
      key: `orderbook:BTC-USD:${s.timestamp}`,
    };
  });
}

function chartOf(snaps: StoredSnapshot[]) {
  const acc = newChartAccumulator('coinbase', 'BTC-USD');
  for (const s of snaps) acc.add(chartPoint(s));
  return acc.result();
}

/** Each vertex's y is a + b·value for one a and one b < 0 (higher prices higher up), to 0.1 px. */
function expectLinear(ys: number[], values: number[]): void {
  const i = values.indexOf(Math.max(...values));
  const j = values.indexOf(Math.min(...values));
  const b = ((ys[i] ?? 0) - (ys[j] ?? 0)) / ((values[i] ?? 0) - (values[j] ?? 0));
  expect(b).toBeLessThan(0);
  const a = (ys[j] ?? 0) - b * (values[j] ?? 0);
  ys.forEach((y, k) => expect(Math.abs(y - (a + b * (values[k] ?? 0)))).toBeLessThan(0.2));
}

describe('chart output', () => {
  it('renders a well-formed SVG whose bid, ask and spread paths are the data', () => {
    const snaps = data();
    const svg = renderSvgChart(chartOf(snaps));
    const elements = checkWellFormedXml(svg);
    expect(elements[0]?.name).toBe('svg');
    expect(elements[0]?.attrs.xmlns).toBe('http://www.w3.org/2000/svg');
    expect(svg).toContain('coinbase BTC-USD');
    expect(svg).toContain('40 snapshots');

    const path = (name: string) => {
      const el = elements.find((e) => e.name === 'path' && e.attrs.id === `series-${name}`);
      expect(el, `path series-${name}`).toBeDefined();
      return pathVertices(el?.attrs.d ?? '');
    };
    const bid = path('bid');
    const ask = path('ask');
    const spread = path('spread');
    for (const series of [bid, ask, spread]) {
      expect(series).toHaveLength(40);
      // time runs left to right, evenly (one snapshot a second)
      for (let k = 1; k < series.length; k++) {
        const step = (series[k]?.x ?? 0) - (series[k - 1]?.x ?? 0);
        expect(Math.abs(step - ((series[1]?.x ?? 0) - (series[0]?.x ?? 0)))).toBeLessThan(0.2);
      }
    }
    expectLinear(
      bid.map((v) => v.y),
      snaps.map((s) => Number(s.bids[0]?.[0])),
    );
    expectLinear(
      ask.map((v) => v.y),
      snaps.map((s) => Number(s.asks[0]?.[0])),
    );
    expectLinear(
      spread.map((v) => v.y),
      snaps.map((s) => Number(s.asks[0]?.[0]) - Number(s.bids[0]?.[0])),
    );
  });

  it('writes .svg and .png files', async () => {
    const chart = chartOf(data());
    const svgPath = join(dir, 'c.svg');
    await writeChartFile(svgPath, chart);
    checkWellFormedXml(readFileSync(svgPath, 'utf8'));
    const pngPath = join(dir, 'c.PNG');
    await writeChartFile(pngPath, chart);
    const png = readFileSync(pngPath);
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(png.readUInt32BE(16)).toBe(1200); // IHDR width
  });

  it('says what it could not write', async () => {
    await expect(writeChartFile(join(dir, 'missing-dir', 'c.svg'), chartOf(data()))).rejects.toThrow(
      /cannot write chart to .*missing-dir.*ENOENT/,
    );
  });

  it('accepts only .svg and .png', () => {
    expect(chartFileKind('a.svg')).toBe('svg');
    expect(chartFileKind('dir.v1/A.PNG')).toBe('png');
    expect(() => chartFileKind('a.jpg')).toThrow(UsageError);
    expect(() => chartFileKind('svg')).toThrow(UsageError);
  });
});
