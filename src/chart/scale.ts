/**
 * Axis arithmetic shared by the SVG and terminal charts: value domains that never have zero width,
 * "nice" price ticks with a precision that follows the tick step, and UTC time ticks on
 * second/minute/hour/day boundaries.
 */

export interface Domain {
  lo: number;
  hi: number;
}

export interface Tick {
  value: number;
  label: string;
}

export interface TimeTick {
  /** Epoch microseconds. */
  value: number;
  /** Time of day (or the date itself when ticks are days apart). */
  label: string;
  /** YYYY-MM-DD, set on ticks where the date changes (and on the first) when ticks are within a day. */
  date: string | undefined;
}

/**
 * [min, max] widened by `pad` of its width on both sides. A flat series gets a width of its own
 * (1e-4 of the value, or 1 around zero) so nothing divides by zero.
 */
export function valueDomain(min: number, max: number, pad = 0.05): Domain {
  if (max > min) {
    const d = (max - min) * pad;
    return { lo: min - d, hi: max + d };
  }
  const half = Math.abs(min) * 1e-4 || 0.5;
  return { lo: min - half, hi: max + half };
}

/** 1, 2 or 5 × 10^k, the smallest such step giving at most `maxTicks` intervals over `span`. */
export function niceStep(span: number, maxTicks: number): number {
  const raw = span / Math.max(1, maxTicks);
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const mag = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * mag >= raw * (1 - 1e-9)) return m * mag;
  return 10 * mag;
}

/** Digits after the point that show every multiple of `step` exactly (0.25 → 2, 50 → 0). */
export function decimalsFor(step: number): number {
  for (let d = 0; d < 15; d++) {
    const scaled = step * 10 ** d;
    const whole = Math.round(scaled);
    // Relative tolerance: 5e-10 is not "0 decimals" however close it is to 0.
    if (whole >= 1 && Math.abs(scaled - whole) < 1e-9 * scaled) return d;
  }
  return 15;
}

export function formatNumber(value: number, decimals: number): string {
  // Thousands separators: 97,250 reads faster than 97250 on a BTC axis.
  return value.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

/**
 * Ticks at multiples of a nice step inside the domain, labelled with the precision the step needs.
 * The step is refined until at least `minTicks` land inside: an axis with one label says little.
 */
export function valueTicks(domain: Domain, maxTicks: number, minTicks = 2): Tick[] {
  let ticks: Tick[] = [];
  for (let m = Math.max(1, maxTicks); m < maxTicks + 8; m++) {
    ticks = ticksWithStep(domain, niceStep(domain.hi - domain.lo, m));
    if (ticks.length >= minTicks) break;
  }
  return ticks;
}

function ticksWithStep(domain: Domain, step: number): Tick[] {
  const decimals = decimalsFor(step);
  const ticks: Tick[] = [];
  for (let k = Math.ceil(domain.lo / step - 1e-9); k * step <= domain.hi + step * 1e-9; k++) {
    const value = k * step;
    // k * step can land on -0.
    ticks.push({ value, label: formatNumber(value === 0 ? 0 : value, decimals) });
  }
  return ticks;
}

const MS = 1000;
const SECOND = 1_000_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Steps people expect on a clock: 1/2/5/10/15/30 s, 1/2/5/10/15/30 min, 1/2/3/6/12 h, then days. */
const TIME_STEPS = [
  ...[1, 2, 5, 10, 20, 50, 100, 200, 500].map((n) => n * MS),
  ...[1, 2, 5, 10, 15, 30].map((n) => n * SECOND),
  ...[1, 2, 5, 10, 15, 30].map((n) => n * MINUTE),
  ...[1, 2, 3, 6, 12].map((n) => n * HOUR),
  ...[1, 2, 7, 14, 30, 61, 91, 182, 365, 730, 1826, 3652].map((n) => n * DAY),
];

/** Characters in a tick label at this step: HH:MM:SS.mmm, HH:MM:SS, HH:MM, or YYYY-MM-DD. */
export function timeLabelChars(step: number): number {
  if (step < SECOND) return 12;
  if (step < MINUTE) return 8;
  return step < DAY ? 5 : 10;
}

/**
 * Time ticks over [start, end] µs: the finest clock step for which labels `charWidth` wide each,
 * plus `gap`, fit in `width` (pixels or terminal cells). Below a day, ticks where the date changes
 * (and the first) carry the date for a second label line.
 */
export function timeTicks(
  start: number,
  end: number,
  width: number,
  charWidth: number,
  gap: number,
): TimeTick[] {
  const span = end - start;
  if (!(span > 0)) return [];
  let step = TIME_STEPS[TIME_STEPS.length - 1] ?? DAY;
  for (const s of TIME_STEPS) {
    if ((s / span) * width >= timeLabelChars(s) * charWidth + gap) {
      step = s;
      break;
    }
  }
  const ticks: TimeTick[] = [];
  let prevDate = '';
  for (let v = Math.ceil(start / step) * step; v <= end; v += step) {
    const iso = new Date(v / 1000).toISOString();
    const date = iso.slice(0, 10);
    let label: string;
    if (step >= DAY) label = date;
    else if (step >= MINUTE) label = iso.slice(11, 16);
    else if (step >= SECOND) label = iso.slice(11, 19);
    else label = iso.slice(11, 23);
    ticks.push({ value: v, label, date: step < DAY && date !== prevDate ? date : undefined });
    prevDate = date;
  }
  // Ticks are at least two to a day, so only the first tick's date can crowd the next one; the date
  // where the day changes matters more.
  const first = ticks[0];
  const next = ticks.slice(1).find((t) => t.date !== undefined);
  if (first && next && ((next.value - first.value) / span) * width < 10 * charWidth + gap)
    first.date = undefined;
  return ticks;
}

/** "2026-11-24 10:00:00" (with .mmm when `millis`), UTC. */
export function formatTime(micros: number, millis = false): string {
  const iso = new Date(micros / 1000).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, millis ? 23 : 19)}`;
}

/** "2026-11-24 10:00:00 – 13:00:00 UTC": the end drops the date when it is the same day. */
export function formatTimeRange(start: number, end: number): string {
  const millis = end - start < 10 * SECOND && (start % SECOND !== 0 || end % SECOND !== 0);
  const a = formatTime(start, millis);
  if (end === start) return `${a} UTC`;
  const b = formatTime(end, millis);
  return `${a} – ${a.slice(0, 10) === b.slice(0, 10) ? b.slice(11) : b} UTC`;
}
