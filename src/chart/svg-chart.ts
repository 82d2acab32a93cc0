/**
 * A standalone SVG of an L1 series: bid and ask over time on top, the spread (ask − bid) below,
 * sharing one UTC time axis. Pure: data in, markup out; the caller writes the file.
 */
import { type ChartData, type ChartInput, type Sample, toChartData, valueRange } from './chart-data.js';
import {
  type Domain,
  formatTimeRange,
  type Tick,
  type TimeTick,
  timeTicks,
  valueDomain,
  valueTicks,
} from './scale.js';

export interface SvgChartOptions {
  width?: number;
  height?: number;
}

const COLORS = { bid: '#1a9641', ask: '#d7191c', spread: '#2b6cb0' } as const;
// Linux fonts first: resvg 2.6 falls back to a serif font when an earlier-listed Arial or Helvetica
// is missing instead of trying the next name. Elsewhere Arial/Helvetica are installed anyway.
const FONT = "'DejaVu Sans', 'Liberation Sans', Arial, Helvetica, sans-serif";
const TICK_FONT = 12;
/** Average advance of a digit as a fraction of the font size (DejaVu Sans is the widest usual font). */
const CHAR_EM = 0.64;
const TOP = 78;
const PANEL_GAP = 34;
const BOTTOM = 58;
const RIGHT = 24;

interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export function renderSvgChart(input: ChartInput | ChartData, options: SvgChartOptions = {}): string {
  const width = Math.max(320, Math.round(options.width ?? 1200));
  const height = Math.max(240, Math.round(options.height ?? 700));
  const plotH = height - TOP - PANEL_GAP - BOTTOM;
  const priceH = Math.round(plotH * 0.7);
  const spreadH = plotH - priceH;

  // The left margin depends on label widths, which depend only on the data and panel heights.
  const coarse = toChartData(input, width);
  const priceRange = valueRange(coarse.bid, coarse.ask);
  const spreadRange = valueRange(coarse.spread);
  const priceDomain = priceRange && valueDomain(priceRange.min, priceRange.max, 0.06);
  const spreadDomain = spreadRange && spreadDomainOf(spreadRange.min, spreadRange.max);
  const priceTicks = priceDomain ? valueTicks(priceDomain, Math.max(2, Math.floor(priceH / 40)), 3) : [];
  const spreadTicks = spreadDomain ? valueTicks(spreadDomain, Math.max(2, Math.floor(spreadH / 30)), 3) : [];
  const labelChars = Math.max(4, ...[...priceTicks, ...spreadTicks].map((t) => t.label.length));
  const left = Math.ceil(labelChars * TICK_FONT * CHAR_EM + 18);

  const price: Rect = { x: left, y: TOP, w: width - left - RIGHT, h: priceH };
  const spread: Rect = { x: left, y: TOP + priceH + PANEL_GAP, w: price.w, h: spreadH };
  // One bucket per pixel column of the plot: ≤ 4 vertices per column whatever the input size.
  const data = toChartData(coarse, price.w);
  const time = timeDomain(data);

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    clipRect('clip-price', price),
    clipRect('clip-spread', spread),
    text(16, 26, data.title, 'font-size="18" font-weight="bold" fill="#111"'),
    text(16, 47, subtitle(data), 'font-size="13" fill="#555"'),
  );

  const xTicks = time ? timeTicks(time.lo, time.hi, price.w, TICK_FONT * CHAR_EM, 28) : [];
  const xOf = (t: number): number => (time ? price.x + ((t - time.lo) / (time.hi - time.lo)) * price.w : 0);
  const tickXs = xTicks.map((t) => xOf(t.value));
  out.push(...verticalGrid(price, tickXs), ...verticalGrid(spread, tickXs));
  out.push(...panelAxes(price, priceDomain, priceTicks), ...panelAxes(spread, spreadDomain, spreadTicks));
  out.push(...timeLabels(spread, xTicks, xOf, width));

  if (time && priceDomain) {
    const yOf = (v: number): number => yIn(price, priceDomain, v);
    const widest = spreadRange ? (spreadRange.max / (priceDomain.hi - priceDomain.lo)) * price.h : 0;
    // Lines within 3 px of each other: ask wide underneath, bid narrow on top, so both colours show.
    const overlap = widest < 3;
    out.push(
      ...series('ask', data.ask, xOf, yOf, 'clip-price', overlap ? 2.6 : 1.5),
      ...series('bid', data.bid, xOf, yOf, 'clip-price', overlap ? 1.3 : 1.5),
    );
    const note = 'bid and ask overlap at this scale: see the spread panel';
    // Only where it fits left of the legend; on a narrow chart the legend alone has to do.
    if (overlap && note.length * 12 * CHAR_EM < price.w - 150) {
      out.push(
        text(price.x + price.w - 140, price.y - 10, note, 'font-size="12" fill="#777" text-anchor="end"'),
      );
    }
  } else {
    out.push(
      text(
        price.x + price.w / 2,
        price.y + price.h / 2,
        'no data',
        'font-size="16" fill="#888" text-anchor="middle"',
      ),
    );
  }
  if (time && spreadDomain) {
    const yOf = (v: number): number => yIn(spread, spreadDomain, v);
    out.push(...series('spread', data.spread, xOf, yOf, 'clip-spread', 1.5));
  } else {
    out.push(
      text(
        spread.x + spread.w / 2,
        spread.y + spread.h / 2,
        'no data',
        'font-size="14" fill="#888" text-anchor="middle"',
      ),
    );
  }

  out.push(
    ...legend(price),
    text(spread.x, spread.y - 9, 'spread (ask − bid)', `font-size="13" fill="${COLORS.spread}"`),
  );
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/** Spreads are measured from zero, so zero stays on the axis (a crossed book shows below it). */
function spreadDomainOf(min: number, max: number): Domain {
  const lo = Math.min(0, min);
  const hi = Math.max(0, max);
  // A locked book (spread 0 throughout): show 0 to 1 rather than a negative half.
  if (hi === lo) return { lo: 0, hi: 1 };
  const pad = (hi - lo) * 0.08;
  return { lo: lo < 0 ? lo - pad : 0, hi: hi + pad };
}

/** The time span shown; a single instant gets a minute around it. */
function timeDomain(data: ChartData): Domain | undefined {
  const { startMicros: lo, endMicros: hi } = data;
  if (lo === undefined || hi === undefined) return undefined;
  return hi > lo ? { lo, hi } : { lo: lo - 30_000_000, hi: hi + 30_000_000 };
}

function subtitle(data: ChartData): string {
  if (data.startMicros === undefined || data.endMicros === undefined) return 'no snapshots';
  const n = data.count;
  return `${formatTimeRange(data.startMicros, data.endMicros)} · ${n.toLocaleString('en-US')} snapshot${n === 1 ? '' : 's'}`;
}

/** Higher values sit higher: SVG y grows downwards. */
function yIn(r: Rect, d: Domain, v: number): number {
  return r.y + r.h - ((v - d.lo) / (d.hi - d.lo)) * r.h;
}

function series(
  name: 'bid' | 'ask' | 'spread',
  runs: Sample[][],
  xOf: (t: number) => number,
  yOf: (v: number) => number,
  clip: string,
  stroke: number,
): string[] {
  const color = COLORS[name];
  const d = runs
    .map((run) => run.map((s, i) => `${i === 0 ? 'M' : 'L'}${fmt(xOf(s.t))},${fmt(yOf(s.v))}`).join(''))
    .join('');
  const out = [
    `<path id="series-${name}" class="series series-${name}" clip-path="url(#${clip})" d="${d}" fill="none" stroke="${color}" stroke-width="${stroke}" stroke-linejoin="round"/>`,
  ];
  // A run of one sample draws nothing as a path: mark it with a dot.
  for (const run of runs) {
    const only = run.length === 1 ? run[0] : undefined;
    if (only !== undefined) {
      out.push(
        `<circle class="marker-${name}" clip-path="url(#${clip})" cx="${fmt(xOf(only.t))}" cy="${fmt(yOf(only.v))}" r="2.5" fill="${color}"/>`,
      );
    }
  }
  return out;
}

function panelAxes(r: Rect, domain: Domain | undefined, ticks: Tick[]): string[] {
  const out: string[] = [];
  if (domain) {
    for (const t of ticks) {
      const y = fmt(yIn(r, domain, t.value));
      out.push(`<line x1="${r.x}" y1="${y}" x2="${r.x + r.w}" y2="${y}" stroke="#e3e3e3"/>`);
      out.push(
        text(
          r.x - 8,
          yIn(r, domain, t.value) + TICK_FONT * 0.35,
          t.label,
          `font-size="${TICK_FONT}" fill="#333" text-anchor="end"`,
        ),
      );
    }
  }
  out.push(`<rect x="${r.x}" y="${r.y}" width="${r.w}" height="${r.h}" fill="none" stroke="#999"/>`);
  return out;
}

function verticalGrid(r: Rect, xs: number[]): string[] {
  return xs.map(
    (x) => `<line x1="${fmt(x)}" y1="${r.y}" x2="${fmt(x)}" y2="${r.y + r.h}" stroke="#e3e3e3"/>`,
  );
}

function timeLabels(r: Rect, ticks: TimeTick[], xOf: (t: number) => number, width: number): string[] {
  const out: string[] = [];
  const base = r.y + r.h;
  // Labels at the plot's ends would run off the image: align them inwards instead.
  const anchored = (x: number, label: string): string => {
    const half = (label.length * TICK_FONT * CHAR_EM) / 2;
    const anchor = x + half > width - 2 ? 'end' : x - half < 2 ? 'start' : 'middle';
    return `font-size="${TICK_FONT}" fill="#333" text-anchor="${anchor}"`;
  };
  for (const t of ticks) {
    const x = xOf(t.value);
    out.push(`<line x1="${fmt(x)}" y1="${base}" x2="${fmt(x)}" y2="${base + 5}" stroke="#999"/>`);
    out.push(text(x, base + 18, t.label, anchored(x, t.label)));
    if (t.date !== undefined)
      out.push(text(x, base + 33, t.date, `${anchored(x, t.date)} fill-opacity="0.75"`));
  }
  out.push(text(r.x + r.w, base + 50, 'time (UTC)', 'font-size="12" fill="#666" text-anchor="end"'));
  return out;
}

function legend(r: Rect): string[] {
  const y = r.y - 10;
  const out: string[] = [];
  let x = r.x + r.w - 120;
  for (const name of ['bid', 'ask'] as const) {
    out.push(
      `<line x1="${x}" y1="${y - 4}" x2="${x + 22}" y2="${y - 4}" stroke="${COLORS[name]}" stroke-width="3"/>`,
    );
    out.push(text(x + 28, y, name, 'font-size="13" fill="#333"'));
    x += 64;
  }
  return out;
}

function clipRect(id: string, r: Rect): string {
  // A few pixels of slack so dots on the frame are not cut in half.
  return `<clipPath id="${id}"><rect x="${r.x - 3}" y="${r.y - 3}" width="${r.w + 6}" height="${r.h + 6}"/></clipPath>`;
}

function text(x: number, y: number, content: string, attrs: string): string {
  return `<text x="${fmt(x)}" y="${fmt(y)}" ${attrs}>${escapeXml(content)}</text>`;
}

/** One decimal is sub-pixel and keeps the file small. */
function fmt(n: number): string {
  return (Math.round(n * 10) / 10).toString();
}

const ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

/** Text safe inside an element or a quoted attribute; control characters XML 1.0 forbids are dropped. */
export function escapeXml(s: string): string {
  let out = '';
  for (const c of s) {
    const code = c.charCodeAt(0);
    if (code < 0x20 && c !== '\t' && c !== '\n' && c !== '\r') continue;
    out += ENTITIES[c] ?? c;
  }
  return out;
}
