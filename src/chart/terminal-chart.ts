/**
 * A text chart for `l1-query --chart`: bid and ask drawn in braille dots (2×4 per cell), a short
 * block-character spread chart under them, a time axis and a legend. Pure: returns the lines joined
 * with newlines; no line is wider than `width` visible cells.
 */
import { type ChartData, type ChartInput, type Sample, toChartData, valueRange } from './chart-data.js';
import {
  type Domain,
  decimalsFor,
  formatNumber,
  formatTime,
  formatTimeRange,
  niceStep,
  valueDomain,
  valueTicks,
} from './scale.js';

export interface TerminalChartOptions {
  /** Columns available, e.g. process.stdout.columns. */
  width: number;
  /** Lines available for the whole chart. */
  height: number;
  /** ANSI colours; without them bid and ask get distinct characters. */
  color: boolean;
}

const ANSI = {
  bid: '\x1b[32m',
  ask: '\x1b[31m',
  both: '\x1b[33m',
  spread: '\x1b[36m',
  dim: '\x1b[90m',
} as const;
const RESET = '\x1b[0m';
/** Without colour: bid sits low in the cell, ask high, both fill it, so the glyphs read as positions. */
const PLAIN = { bid: '.', ask: "'", both: ':' } as const;
const BLOCKS = ' ▁▂▃▄▅▆▇█';
/** Braille dot bits by [row][column] inside a 2×4 cell (Unicode U+2800 block layout). */
const BRAILLE_BITS = [
  [0x01, 0x08],
  [0x02, 0x10],
  [0x04, 0x20],
  [0x40, 0x80],
] as const;

export function renderTerminalChart(input: ChartInput | ChartData, options: TerminalChartOptions): string {
  const width = Math.max(10, Math.floor(options.width));
  const height = Math.max(6, Math.floor(options.height));
  const paint = (kind: keyof typeof ANSI, s: string): string =>
    options.color ? `${ANSI[kind]}${s}${RESET}` : s;

  const probe = toChartData(input, width * 2);
  const lines = [fit(titleLine(probe), width)];
  const priceRange = valueRange(probe.bid, probe.ask);
  if (probe.startMicros === undefined || probe.endMicros === undefined || priceRange === undefined) {
    lines.push('', center('no data', width));
    return lines.join('\n');
  }

  // title + separator + axis + time labels + legend = 5 fixed lines.
  const spreadRows = height >= 20 ? 3 : height >= 12 ? 2 : 1;
  const priceRows = Math.max(2, height - 5 - spreadRows);
  const priceDomain = valueDomain(priceRange.min, priceRange.max, 0.02);
  const priceTicks = valueTicks(priceDomain, Math.max(2, Math.floor(priceRows / 3)), 3);
  const spreadMax = Math.max(0, valueRange(probe.spread)?.max ?? 0);
  const spreadLabels = [formatNumber(spreadMax, decimalsFor(niceStep(spreadMax || 1, 10))), '0'];
  let labelW = Math.max(...priceTicks.map((t) => t.label.length), ...spreadLabels.map((l) => l.length));
  // On a very narrow terminal the plot matters more than the labels.
  if (width - labelW - 2 < 8) labelW = 0;
  const yLabel = (label: string | undefined): string =>
    labelW > 0 && label ? label.padStart(labelW) : ' '.repeat(labelW);
  const yAxis = (label: string | undefined): string => paint('dim', labelW > 0 && label ? '┤' : '│');
  const plotW = Math.max(1, width - labelW - 2);

  const data = toChartData(probe, plotW * 2);
  const time: Domain = { lo: probe.startMicros, hi: probe.endMicros };
  const xDot = (t: number): number =>
    time.hi > time.lo ? Math.round(((t - time.lo) / (time.hi - time.lo)) * (plotW * 2 - 1)) : plotW;
  const yDot = (v: number): number =>
    Math.round(((priceDomain.hi - v) / (priceDomain.hi - priceDomain.lo)) * (priceRows * 4 - 1));

  const bid = rasterize(data.bid, plotW, priceRows, xDot, yDot);
  const ask = rasterize(data.ask, plotW, priceRows, xDot, yDot);
  const rowLabels = new Map<number, string>();
  for (const t of priceTicks) {
    const row = Math.floor(yDot(t.value) / 4);
    if (row >= 0 && row < priceRows && !rowLabels.has(row)) rowLabels.set(row, t.label);
  }
  for (let r = 0; r < priceRows; r++) {
    const label = rowLabels.get(r);
    let row = '';
    for (let c = 0; c < plotW; c++) row += cell(bid[r]?.[c] ?? 0, ask[r]?.[c] ?? 0, options.color);
    lines.push(`${yLabel(label)} ${yAxis(label)}${row}`);
  }

  const caption = ' spread (ask − bid) ';
  const rule =
    plotW > caption.length + 2 ? `╌╌${caption}${'╌'.repeat(plotW - caption.length - 2)}` : '╌'.repeat(plotW);
  lines.push(`${' '.repeat(labelW)} ${paint('dim', `├${rule}`)}`);
  const blocks = spreadBlocks(data.spread, plotW, spreadRows, spreadMax, (t) => Math.floor(xDot(t) / 2));
  blocks.forEach((row, r) => {
    const label = r === 0 ? spreadLabels[0] : r === spreadRows - 1 ? spreadLabels[1] : undefined;
    lines.push(`${yLabel(label)} ${yAxis(label)}${paint('spread', row)}`);
  });

  lines.push(...timeAxis(time, labelW, plotW, paint));
  lines.push(legend(width, options.color, paint));
  return lines.join('\n');
}

/** Dot masks per cell, [row][column], for runs of samples joined by straight lines. */
function rasterize(
  runs: Sample[][],
  cols: number,
  rows: number,
  xDot: (t: number) => number,
  yDot: (v: number) => number,
): number[][] {
  const masks = Array.from({ length: rows }, () => new Array<number>(cols).fill(0));
  const set = (x: number, y: number): void => {
    const row = masks[y >> 2];
    const bit = BRAILLE_BITS[y & 3]?.[x & 1];
    if (row === undefined || bit === undefined || x < 0 || x >= cols * 2) return;
    row[x >> 1] = (row[x >> 1] ?? 0) | bit;
  };
  for (const run of runs) {
    let prev: [number, number] | undefined;
    for (const s of run) {
      const p: [number, number] = [xDot(s.t), yDot(s.v)];
      if (prev) line(prev, p, set);
      else set(p[0], p[1]);
      prev = p;
    }
  }
  return masks;
}

/** Bresenham: every dot between two dots, so a steep move draws as a connected stroke. */
function line(a: [number, number], b: [number, number], set: (x: number, y: number) => void): void {
  let [x, y] = a;
  const [x1, y1] = b;
  const dx = Math.abs(x1 - x);
  const dy = -Math.abs(y1 - y);
  const sx = x < x1 ? 1 : -1;
  const sy = y < y1 ? 1 : -1;
  let err = dx + dy;
  for (;;) {
    set(x, y);
    if (x === x1 && y === y1) return;
    const e2 = 2 * err;
    if (e2 >= dy) {
      err += dy;
      x += sx;
    }
    if (e2 <= dx) {
      err += dx;
      y += sy;
    }
  }
}

function cell(bid: number, ask: number, color: boolean): string {
  if (bid === 0 && ask === 0) return ' ';
  const kind = bid !== 0 && ask !== 0 ? 'both' : bid !== 0 ? 'bid' : 'ask';
  if (!color) return PLAIN[kind];
  return `${ANSI[kind]}${String.fromCharCode(0x2800 | bid | ask)}${RESET}`;
}

/**
 * The spread as a block-character area chart, `rows` high, the largest spread in each column (a
 * one-snapshot spike still shows). Columns between two samples of a run are interpolated; a column
 * with no data stays blank so gaps show.
 */
function spreadBlocks(
  runs: Sample[][],
  cols: number,
  rows: number,
  max: number,
  colOf: (t: number) => number,
): string[] {
  const value = new Array<number | undefined>(cols).fill(undefined);
  const put = (c: number, v: number): void => {
    if (c < 0 || c >= cols) return;
    const old = value[c];
    value[c] = old === undefined ? v : Math.max(old, v);
  };
  for (const run of runs) {
    let prev: Sample | undefined;
    for (const s of run) {
      const c = colOf(s.t);
      put(c, s.v);
      if (prev) {
        const pc = colOf(prev.t);
        for (let k = pc + 1; k < c; k++) put(k, prev.v + ((s.v - prev.v) * (k - pc)) / (c - pc));
      }
      prev = s;
    }
  }
  const levels = rows * 8;
  const out: string[] = [];
  for (let r = 0; r < rows; r++) {
    const floor = (rows - 1 - r) * 8;
    let s = '';
    for (const v of value) {
      if (v === undefined) {
        s += ' ';
        continue;
      }
      // At least the lowest block wherever there is data, so a tight spread is not mistaken for a gap.
      const level = Math.max(1, Math.round((Math.max(0, v) / (max || 1)) * levels));
      s += BLOCKS[Math.min(8, Math.max(0, level - floor))] ?? ' ';
    }
    out.push(s);
  }
  return out;
}

/** The axis line with ticks at start, middle and end, and their times under it. */
function timeAxis(
  time: Domain,
  labelW: number,
  plotW: number,
  paint: (kind: keyof typeof ANSI, s: string) => string,
): string[] {
  // Milliseconds only when the span is short and they are not all zero.
  const millis = time.hi - time.lo < 10_000_000 && (time.lo % 1_000_000 !== 0 || time.hi % 1_000_000 !== 0);
  const start = formatTime(time.lo, millis);
  const endFull = formatTime(time.hi, millis);
  const sameDay = start.slice(0, 10) === endFull.slice(0, 10);
  const end = `${sameDay ? endFull.slice(11) : endFull} UTC`;
  const midFull = formatTime((time.lo + time.hi) / 2, millis);
  const mid = midFull.slice(0, 10) === start.slice(0, 10) ? midFull.slice(11) : midFull;

  const axis = new Array<string>(plotW).fill('─');
  const labels = new Array<string>(plotW).fill(' ');
  const place = (text: string, at: number): void => {
    [...text].forEach((ch, i) => {
      labels[at + i] = ch;
    });
  };
  if (time.hi === time.lo) {
    // One instant: one label under the middle.
    const at = Math.max(0, Math.min(plotW - start.length, (plotW >> 1) - (start.length >> 1)));
    axis[plotW >> 1] = '┬';
    place(start.slice(0, plotW), at);
  } else {
    axis[0] = '┬';
    axis[plotW - 1] = '┬';
    if (start.length + end.length + 1 <= plotW) {
      place(start, 0);
      place(end, plotW - end.length);
      const midAt = (plotW >> 1) - (mid.length >> 1);
      if (midAt > start.length + 2 && midAt + mid.length < plotW - end.length - 2) {
        axis[plotW >> 1] = '┬';
        place(mid, midAt);
      }
    } else {
      place(start.slice(0, plotW), 0);
    }
  }
  return [
    `${' '.repeat(labelW)} ${paint('dim', `└${axis.join('')}`)}`,
    `${' '.repeat(labelW + 2)}${labels.join('')}`,
  ];
}

function titleLine(data: ChartData): string {
  if (data.startMicros === undefined || data.endMicros === undefined) return `${data.title} · no snapshots`;
  const n = data.count;
  const range = formatTimeRange(data.startMicros, data.endMicros);
  return `${data.title} · ${range} · ${n.toLocaleString('en-US')} snapshot${n === 1 ? '' : 's'}`;
}

/** As many legend entries as fit, most important first. */
function legend(
  width: number,
  color: boolean,
  paint: (kind: keyof typeof ANSI, s: string) => string,
): string {
  const entries: [string, number][] = color
    ? [
        [`${paint('bid', '⣿')} bid`, 5],
        [`${paint('ask', '⣿')} ask`, 5],
        [`${paint('spread', '▆')} spread (ask − bid)`, 20],
        [`${paint('both', '⣿')} bid and ask in one cell`, 25],
      ]
    : [
        [`${PLAIN.bid} bid`, 5],
        [`${PLAIN.ask} ask`, 5],
        [`${PLAIN.both} both`, 6],
        ['▆ spread (ask − bid)', 20],
      ];
  let out = '';
  let used = 0;
  for (const [text, cells] of entries) {
    const gap = out === '' ? 0 : 3;
    if (used + gap + cells > width) break;
    out += `${' '.repeat(gap)}${text}`;
    used += gap + cells;
  }
  return out;
}

/** Cut plain text to `width` cells with an ellipsis; ANSI-coloured lines are built to fit instead. */
function fit(s: string, width: number): string {
  if (visibleLength(s) <= width) return s;
  return `${[...s].slice(0, width - 1).join('')}…`;
}

function center(s: string, width: number): string {
  return `${' '.repeat(Math.max(0, (width - s.length) >> 1))}${s}`;
}

/** Cells a string takes on screen: ANSI colour sequences take none. */
export function visibleLength(s: string): number {
  let n = 0;
  let inEscape = false;
  for (const ch of s) {
    if (inEscape) {
      if (ch === 'm') inEscape = false;
    } else if (ch === '\x1b') inEscape = true;
    else n++;
  }
  return n;
}
