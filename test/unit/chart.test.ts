import { describe, expect, it, vi } from 'vitest';
import { ChartAccumulator, type ChartPoint, downsample, rebucket } from '../../src/chart/chart-data.js';
import { svgToPng } from '../../src/chart/png.js';
import { decimalsFor, timeTicks, valueTicks } from '../../src/chart/scale.js';
import { renderSvgChart } from '../../src/chart/svg-chart.js';
import { renderTerminalChart, visibleLength } from '../../src/chart/terminal-chart.js';

interface XmlElement {
  name: string;
  attrs: Map<string, string>;
  children: XmlElement[];
  text: string;
}

/**
 * A strict little XML reader, enough to prove the SVG is well formed: one root, balanced tags,
 * quoted and unique attributes, only the predefined or numeric entities, no stray '<' or '&'.
 * Throws on the first problem.
 */
function parseXml(xml: string): XmlElement {
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`${why} at offset ${i}: ${JSON.stringify(xml.slice(i, i + 40))}`);
  };
  const isNameChar = (c: string | undefined): boolean =>
    c !== undefined && (c === ':' || c === '_' || c === '-' || c === '.' || /[A-Za-z0-9]/.test(c));
  const readName = (): string => {
    const start = i;
    while (isNameChar(xml[i])) i++;
    if (i === start) fail('expected a name');
    return xml.slice(start, i);
  };
  const skipSpace = (): void => {
    while (xml[i] === ' ' || xml[i] === '\n' || xml[i] === '\t' || xml[i] === '\r') i++;
  };
  const decode = (raw: string): string => {
    let out = '';
    for (let k = 0; k < raw.length; k++) {
      const c = raw[k];
      if (c === '<') fail('raw < in text');
      if (c !== '&') {
        out += c;
        continue;
      }
      const end = raw.indexOf(';', k);
      if (end < 0) fail('unterminated entity');
      const ref = raw.slice(k + 1, end);
      const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
      if (named[ref] !== undefined) out += named[ref];
      else if (ref.startsWith('#x')) out += String.fromCodePoint(Number.parseInt(ref.slice(2), 16));
      else if (ref.startsWith('#')) out += String.fromCodePoint(Number(ref.slice(1)));
      else fail(`unknown entity &${ref};`);
      k = end;
    }
    return out;
  };

  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  skipSpace();
  if (xml.startsWith('<?xml', i)) i = xml.indexOf('?>', i) + 2;
  while (i < xml.length) {
    if (xml[i] !== '<') {
      const end = xml.indexOf('<', i);
      const raw = xml.slice(i, end < 0 ? xml.length : end);
      const parent = stack[stack.length - 1];
      if (parent) parent.text += decode(raw);
      else if (raw.trim() !== '') fail('text outside the root');
      i += raw.length;
      continue;
    }
    if (xml.startsWith('<!--', i)) {
      i = xml.indexOf('-->', i) + 3;
      if (i < 3) fail('unterminated comment');
      continue;
    }
    if (xml[i + 1] === '/') {
      i += 2;
      const name = readName();
      skipSpace();
      if (xml[i] !== '>') fail('expected >');
      i++;
      const open = stack.pop();
      if (open?.name !== name) fail(`</${name}> closes <${open?.name}>`);
      continue;
    }
    i++;
    const el: XmlElement = { name: readName(), attrs: new Map(), children: [], text: '' };
    for (;;) {
      skipSpace();
      if (xml[i] === '>' || xml.startsWith('/>', i)) break;
      const key = readName();
      if (el.attrs.has(key)) fail(`duplicate attribute ${key}`);
      skipSpace();
      if (xml[i] !== '=') fail('expected =');
      i++;
      skipSpace();
      const quote = xml[i];
      if (quote !== '"' && quote !== "'") fail('unquoted attribute');
      const end = xml.indexOf(quote ?? '"', i + 1);
      if (end < 0) fail('unterminated attribute');
      el.attrs.set(key, decode(xml.slice(i + 1, end)));
      i = end + 1;
    }
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(el);
    else if (root) fail('a second root element');
    else root = el;
    if (xml[i] === '/') i += 2;
    else {
      i++;
      stack.push(el);
    }
  }
  if (stack.length > 0) fail(`<${stack[stack.length - 1]?.name}> never closed`);
  if (!root) return fail('no root element');
  return root;
}

function all(el: XmlElement): XmlElement[] {
  return [el, ...el.children.flatMap(all)];
}

function byId(root: XmlElement, id: string): XmlElement | undefined {
  return all(root).find((e) => e.attrs.get('id') === id);
}

/** The vertices of a path's `d` (M/L commands only, which is all the chart writes), one array per subpath. */
function subpaths(d: string): [number, number][][] {
  const out: [number, number][][] = [];
  for (const cmd of d.split(/(?=[ML])/)) {
    if (cmd === '') continue;
    const [x = Number.NaN, y = Number.NaN] = cmd.slice(1).split(',').map(Number);
    if (cmd[0] === 'M') out.push([]);
    out[out.length - 1]?.push([x, y]);
  }
  return out;
}

function seriesPath(svg: string, name: string): [number, number][][] {
  const path = byId(parseXml(svg), `series-${name}`);
  if (!path) throw new Error(`no series-${name} in the SVG`);
  return subpaths(path.attrs.get('d') ?? '');
}

const T0 = Date.UTC(2026, 10, 24, 10, 0, 0) * 1000;
const SECOND = 1_000_000;

function point(sec: number, bid: number | undefined, ask: number | undefined): ChartPoint {
  return { timeMicros: T0 + sec * SECOND, bid, ask };
}

/** A deterministic random walk around BTC-USD (mulberry32, so runs compare). */
function randomWalk(n: number, stepMicros: number, seed = 1): ChartPoint[] {
  let s = seed >>> 0;
  const rnd = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out: ChartPoint[] = [];
  let mid = 97_000;
  for (let i = 0; i < n; i++) {
    mid += (rnd() - 0.5) * 8;
    const spread = 0.01 + rnd() * 5;
    out.push({ timeMicros: T0 + i * stepMicros, bid: mid - spread / 2, ask: mid + spread / 2 });
  }
  return out;
}

describe('parseXml (the test helper)', () => {
  it('rejects what is not well formed', () => {
    expect(() => parseXml('<a><b></a></b>')).toThrow();
    expect(() => parseXml('<a x=1/>')).toThrow();
    expect(() => parseXml('<a>&nbsp;</a>')).toThrow();
    expect(() => parseXml('<a/><b/>')).toThrow();
    expect(() => parseXml('<a>')).toThrow();
    expect(parseXml('<a x="&lt;1"><b/>t&amp;</a>').attrs.get('x')).toBe('<1');
  });
});

describe('renderSvgChart', () => {
  const five = [
    point(0, 100, 101),
    point(60, 102, 103),
    point(120, 101, 102.5),
    point(180, 104, 104.2),
    point(240, 103, 104),
  ];

  it('is a standalone SVG with xmlns and viewBox', () => {
    const svg = renderSvgChart({ title: 'coinbase BTC-USD', points: five }, { width: 800, height: 500 });
    const root = parseXml(svg);
    expect(root.name).toBe('svg');
    expect(root.attrs.get('xmlns')).toBe('http://www.w3.org/2000/svg');
    expect(root.attrs.get('viewBox')).toBe('0 0 800 500');
    expect(svg).not.toMatch(/NaN|Infinity|undefined/);
  });

  it('draws bid, ask and spread with one vertex per snapshot', () => {
    const svg = renderSvgChart({ title: 't', points: five });
    for (const name of ['bid', 'ask', 'spread']) {
      const runs = seriesPath(svg, name);
      expect(runs).toHaveLength(1);
      expect(runs[0]).toHaveLength(5);
    }
  });

  it('puts higher prices higher up (smaller y) and later times further right', () => {
    const svg = renderSvgChart({ title: 't', points: five });
    const bid = seriesPath(svg, 'bid')[0] ?? [];
    const ys = bid.map(([, y]) => y);
    const xs = bid.map(([x]) => x);
    // bids 100, 102, 101, 104, 103
    expect(ys[1]).toBeLessThan(ys[0] ?? 0);
    expect(ys[2]).toBeGreaterThan(ys[1] ?? 0);
    expect(ys[3]).toBeLessThan(ys[2] ?? 0);
    expect([...xs].sort((a, b) => a - b)).toEqual(xs);
    // ask is above bid at every snapshot
    const ask = seriesPath(svg, 'ask')[0] ?? [];
    ask.forEach(([, y], k) => expect(y).toBeLessThan(ys[k] ?? 0));
  });

  it('breaks a line where the value is missing', () => {
    const points = [
      point(0, 100, 101),
      point(1, 100.5, 101),
      point(2, undefined, 101.5),
      point(3, 101, 102),
      point(4, 101, 102),
    ];
    const svg = renderSvgChart({ title: 't', points });
    expect(seriesPath(svg, 'bid').map((r) => r.length)).toEqual([2, 2]);
    expect(seriesPath(svg, 'spread').map((r) => r.length)).toEqual([2, 2]);
    expect(seriesPath(svg, 'ask').map((r) => r.length)).toEqual([5]);
  });

  it('says "no data" for no points and stays well formed', () => {
    const svg = renderSvgChart({ title: 'kraken ETH-USD', points: [] });
    const root = parseXml(svg);
    expect(all(root).some((e) => e.name === 'text' && e.text === 'no data')).toBe(true);
    expect(svg).not.toMatch(/NaN|Infinity/);
  });

  it('draws a single point as a dot', () => {
    const svg = renderSvgChart({ title: 't', points: [point(0, 3500.12, 3500.55)] });
    const root = parseXml(svg);
    expect(svg).not.toMatch(/NaN|Infinity/);
    expect(seriesPath(svg, 'bid')).toEqual([[expect.any(Array)]]);
    expect(
      all(root)
        .filter((e) => e.name === 'circle')
        .map((e) => e.attrs.get('class')),
    ).toEqual(['marker-ask', 'marker-bid', 'marker-spread']);
  });

  it('handles a flat series without dividing by zero', () => {
    const points = Array.from({ length: 20 }, (_, k) => point(k, 1, 1));
    const svg = renderSvgChart({ title: 'USDC-USDT', points });
    parseXml(svg);
    expect(svg).not.toMatch(/NaN|Infinity/);
    expect(new Set(seriesPath(svg, 'bid')[0]?.map(([, y]) => y)).size).toBe(1);
  });

  it('escapes the title and shows range and count', () => {
    const svg = renderSvgChart({ title: 'a <b> & "c"', points: five });
    const texts = all(parseXml(svg))
      .filter((e) => e.name === 'text')
      .map((e) => e.text);
    expect(texts).toContain('a <b> & "c"');
    expect(texts).toContain('2026-11-24 10:00:00 – 10:04:00 UTC · 5 snapshots');
  });

  it('labels time ticks in UTC on round minutes', () => {
    const svg = renderSvgChart({ title: 't', points: randomWalk(3 * 3600, SECOND) }, { width: 1200 });
    const labels = all(parseXml(svg))
      .filter((e) => e.name === 'text')
      .map((e) => e.text)
      .filter((t) => /^\d\d:\d\d$/.test(t));
    expect(labels.length).toBeGreaterThanOrEqual(5);
    for (const l of labels) expect(Number(l.slice(3)) % 15).toBe(0);
  });

  it('keeps a huge input small: at most 4 vertices per pixel column, spikes kept', () => {
    const points = randomWalk(200_000, 50_000);
    const spikeAt = 123_456;
    const spiked = points.map((p, k) => (k === spikeAt ? { ...p, ask: (p.ask ?? 0) + 50_000 } : p));
    const svg = renderSvgChart({ title: 't', points: spiked }, { width: 800, height: 500 });
    expect(svg.length).toBeLessThan(200_000);
    const ask = seriesPath(svg, 'ask').flat();
    expect(ask.length).toBeLessThanOrEqual(800 * 4);
    const others = seriesPath(svg, 'bid').flat();
    // The spike reaches far above everything else.
    expect(Math.min(...ask.map(([, y]) => y))).toBeLessThan(Math.min(...others.map(([, y]) => y)) - 100);
  });
});

describe('ChartAccumulator and downsample', () => {
  it('keeps small inputs exactly', () => {
    const points = [point(0, 1, 2), point(1, 1.5, 2.5), point(2, 1.25, 2.25)];
    const data = downsample({ title: 't', points }, 100);
    expect(data.bid).toEqual([points.map((p) => ({ t: p.timeMicros, v: p.bid }))]);
    expect(data.spread[0]?.map((s) => s.v)).toEqual([1, 1, 1]);
    expect(data).toMatchObject({ count: 3, startMicros: T0, endMicros: T0 + 2 * SECOND });
  });

  it('bounds memory for a million streamed points and keeps the extremes', () => {
    const buckets = 2000;
    const acc = new ChartAccumulator('t', { buckets });
    let lowest = Number.POSITIVE_INFINITY;
    let highest = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < 1_000_000; k++) {
      const bid = 97_000 + Math.sin(k / 5000) * 100 + (k === 654_321 ? 900 : 0) - (k === 12_345 ? 700 : 0);
      lowest = Math.min(lowest, bid);
      highest = Math.max(highest, bid);
      acc.add({ timeMicros: T0 + k * 10_000, bid, ask: bid + 1 });
      if (k % 100_000 === 0) expect(acc.size).toBeLessThanOrEqual(3 * buckets);
    }
    expect(acc.size).toBeLessThanOrEqual(3 * buckets);
    const data = acc.result();
    expect(data.count).toBe(1_000_000);
    const bids = data.bid.flat();
    expect(bids.length).toBeLessThanOrEqual(4 * buckets);
    expect(Math.max(...bids.map((s) => s.v))).toBe(highest);
    expect(Math.min(...bids.map((s) => s.v))).toBe(lowest);
    expect(data.bid).toHaveLength(1);
  });

  it('keeps gaps and time order once bucketed, and through rebucket', () => {
    const acc = new ChartAccumulator('t', { buckets: 50 });
    for (let k = 0; k < 10_000; k++) {
      const missing = k >= 4000 && k < 5000;
      acc.add({ timeMicros: T0 + k * SECOND, bid: missing ? undefined : 100 + (k % 7), ask: 110 });
    }
    const data = acc.result();
    expect(data.bid).toHaveLength(2);
    expect(data.ask).toHaveLength(1);
    const times = data.bid.flat().map((s) => s.t);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    const smaller = rebucket(data, 10);
    expect(smaller.bid).toHaveLength(2);
    expect(smaller.bid.flat().length).toBeLessThanOrEqual(40);
  });

  it('accepts points that arrive out of order', () => {
    const acc = new ChartAccumulator('t', { buckets: 10 });
    for (let k = 100; k < 200; k++) acc.add(point(k, k, k + 1));
    for (let k = 0; k < 100; k++) acc.add(point(k, k, k + 1));
    const data = acc.result();
    expect(data.startMicros).toBe(T0);
    expect(Math.min(...data.bid.flat().map((s) => s.v))).toBe(0);
    expect(Math.max(...data.bid.flat().map((s) => s.v))).toBe(199);
    expect(acc.size).toBeLessThanOrEqual(30);
  });
});

describe('scale', () => {
  it('picks the precision the tick step needs', () => {
    expect(decimalsFor(50)).toBe(0);
    expect(decimalsFor(0.25)).toBe(2);
    expect(decimalsFor(5e-10)).toBe(10);
    expect(valueTicks({ lo: 96_950, hi: 97_260 }, 4).map((t) => t.label)).toEqual([
      '97,000',
      '97,100',
      '97,200',
    ]);
  });

  it('puts time ticks on clock boundaries with dates where the day changes', () => {
    const start = Date.UTC(2026, 10, 24, 22, 10) * 1000;
    const ticks = timeTicks(start, start + 4 * 3600 * SECOND, 1000, 7.7, 28);
    expect(ticks.map((t) => t.label)).toContain('00:00');
    expect(ticks.find((t) => t.label === '00:00')?.date).toBe('2026-11-25');
    expect(ticks[0]?.date).toBe('2026-11-24');
  });
});

describe('svgToPng', () => {
  it('renders a PNG of the SVG size', async () => {
    const svg = renderSvgChart(
      { title: 'coinbase BTC-USD', points: randomWalk(500, SECOND) },
      { width: 640, height: 400 },
    );
    const png = await svgToPng(svg);
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    // IHDR comes first: width and height as big-endian uint32 at bytes 16 and 20.
    expect(png.readUInt32BE(16)).toBe(640);
    expect(png.readUInt32BE(20)).toBe(400);
  });

  it('explains what to do when @resvg/resvg-js cannot load', async () => {
    vi.resetModules();
    vi.doMock('@resvg/resvg-js', () => {
      throw new Error('no prebuilt binary for this platform');
    });
    try {
      const { svgToPng: fresh } = await import('../../src/chart/png.js');
      await expect(fresh('<svg xmlns="http://www.w3.org/2000/svg"/>')).rejects.toThrow(
        /@resvg\/resvg-js.*\.svg/,
      );
    } finally {
      vi.doUnmock('@resvg/resvg-js');
      vi.resetModules();
    }
  });
});

describe('renderTerminalChart', () => {
  const walk = { title: 'coinbase BTC-USD', points: randomWalk(3 * 3600, SECOND) };

  it.each([
    [80, 24],
    [40, 12],
    [120, 40],
    [20, 8],
  ])('fits %i columns (and %i lines)', (width, height) => {
    for (const color of [true, false]) {
      const lines = renderTerminalChart(walk, { width, height, color }).split('\n');
      for (const line of lines) expect(visibleLength(line)).toBeLessThanOrEqual(width);
      expect(lines.length).toBeLessThanOrEqual(height);
    }
  });

  it('uses braille and colour with color, plain distinct characters without', () => {
    const colored = renderTerminalChart(walk, { width: 80, height: 24, color: true });
    expect(colored).toMatch(/[\u2801-\u28ff]/);
    expect(colored).toContain('\x1b[');
    const plain = renderTerminalChart(walk, { width: 80, height: 24, color: false });
    expect(plain).not.toContain('\x1b');
    expect(plain).toContain('. bid');
    expect(plain).toContain("' ask");
  });

  it('labels the price axis and the start and end times', () => {
    const lines = renderTerminalChart(walk, { width: 80, height: 24, color: false }).split('\n');
    expect(lines.some((l) => /^\s*9\d,\d00 ┤/.test(l))).toBe(true);
    expect(lines.some((l) => l.includes('2026-11-24 10:00:00') && l.includes('12:59:59 UTC'))).toBe(true);
    expect(lines.some((l) => l.includes('spread (ask − bid)'))).toBe(true);
  });

  it('handles 0 and 1 points', () => {
    expect(
      renderTerminalChart({ title: 't', points: [] }, { width: 80, height: 24, color: false }),
    ).toContain('no data');
    const one = renderTerminalChart(
      { title: 't', points: [point(0, 1, 2)] },
      { width: 80, height: 24, color: false },
    );
    expect(one).toContain("'");
    expect(one).toContain('.');
    expect(one).not.toMatch(/NaN|Infinity/);
  });
});

describe('ChartAccumulator gaps', () => {
  it('breaks the lines across a pause much longer than the usual spacing, without counting it', () => {
    const acc = new ChartAccumulator('gap');
    const base = Date.UTC(2026, 10, 24) * 1000;
    for (let i = 0; i < 50; i++) acc.add({ timeMicros: base + i * 1_000_000, bid: 100 + i, ask: 101 + i });
    // a 10-minute outage, then the capture resumes
    for (let i = 0; i < 50; i++)
      acc.add({ timeMicros: base + 660_000_000 + i * 1_000_000, bid: 100, ask: 101 });
    const data = acc.result();
    expect(data.count).toBe(100);
    expect(data.bid).toHaveLength(2);
    expect(data.ask).toHaveLength(2);
    expect(data.spread).toHaveLength(2);
  });

  it('keeps one line when the spacing only wobbles', () => {
    const acc = new ChartAccumulator('steady');
    let t = Date.UTC(2026, 10, 24) * 1000;
    for (let i = 0; i < 200; i++) {
      t += (i % 7 === 0 ? 5 : 1) * 1_000_000;
      acc.add({ timeMicros: t, bid: 100, ask: 101 });
    }
    expect(acc.result().bid).toHaveLength(1);
  });
});
