/**
 * Timestamps are stored as fixed-width ISO-8601 UTC strings with microseconds
 * (2026-11-24T10:00:00.123456Z): they sort as text, they are exact, and they are what users see in
 * key names. Scores in the time index are epoch microseconds (exact in a double until 2255).
 */

const FIXED = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const RFC3339 = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/;

export function isFixedTimestamp(value: string): boolean {
  return FIXED.test(value) && Number.isFinite(Date.parse(value));
}

/**
 * Converts an RFC 3339 time with any fraction (none, ms, µs, ns) and any offset into the fixed
 * form. Digits past the microsecond are dropped. Returns undefined for anything else.
 */
export function normalizeTimestamp(value: string): string | undefined {
  const m = RFC3339.exec(value);
  if (!m) return undefined;
  const [, date, time, fraction = '', offset = 'Z'] = m;
  const ms = Date.parse(`${date}T${time}${offset.toUpperCase()}`);
  if (!Number.isFinite(ms)) return undefined;
  const micros = Number(fraction.padEnd(6, '0').slice(0, 6));
  return fromEpochMicros(ms * 1000 + micros);
}

/** Epoch microseconds of a fixed-width timestamp. */
export function toEpochMicros(fixed: string): number {
  const ms = Date.parse(`${fixed.slice(0, 19)}Z`);
  return ms * 1000 + Number(fixed.slice(20, 26));
}

/**
 * toEpochMicros for a run of timestamps close in time (a range read in order): the date and time
 * of day are parsed once per second seen, only the microseconds per call. Same results as
 * toEpochMicros.
 */
export class EpochMicrosReader {
  /** The last `YYYY-MM-DDTHH:MM:SS` parsed (undefined before the first) and its epoch ms. */
  private second: string | undefined;
  private secondMs = Number.NaN;

  read(fixed: string): number {
    if (fixed.length !== 27) return toEpochMicros(fixed);
    if (this.second === undefined || !fixed.startsWith(this.second)) {
      this.second = fixed.slice(0, 19);
      this.secondMs = Date.parse(`${this.second}Z`);
    }
    return this.secondMs * 1000 + Number(fixed.slice(20, 26));
  }
}

export function fromEpochMicros(micros: number): string {
  const whole = Math.floor(micros / 1_000_000);
  const frac = micros - whole * 1_000_000;
  const base = new Date(whole * 1000).toISOString().slice(0, 19);
  return `${base}.${String(frac).padStart(6, '0')}Z`;
}

export function fromEpochMillis(ms: number): string {
  return fromEpochMicros(Math.round(ms) * 1000);
}

/** Local wall-clock time in the fixed form, to the microsecond (Date.now() stops at the ms). */
export function nowTimestamp(): string {
  return fromEpochMicros(nowMicros());
}

export function nowMicros(): number {
  return Math.floor((performance.timeOrigin + performance.now()) * 1000);
}
