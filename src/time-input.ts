/**
 * Time options (--from, --to) as epoch microseconds, the unit of the time index scores.
 *
 * Accepted forms:
 * - ISO-8601 with a time: 2026-11-24T10:00:00Z, 2026-11-24T10:00:00.123456Z, 2026-11-24T12:00:00+02:00,
 *   2026-11-24 10:00 (seconds optional; 'T' or a space). NO ZONE MEANS UTC, never local time, so the
 *   same command gives the same answer on every machine. Digits past the microsecond are dropped.
 * - A date: 2026-11-24, a UTC day. As a 'from' bound it is 00:00:00.000000; as a 'to' bound it is the
 *   END of that day, 23:59:59.999999, so `--from 2026-11-24 --to 2026-11-24` covers the whole day.
 * - Epoch numbers, told apart by digit count: up to 10 digits = seconds (a fraction is allowed),
 *   13 = milliseconds, 16 = microseconds. Other counts are ambiguous and rejected, and so is an
 *   8-digit number that reads as a date (20261124): write 2026-11-24.
 * - Relative to now: -30s, -15m, -2h, -1d, -1w, -500ms, -1h30m. And `now`.
 * Results must lie between 1970-01-01 and 2255-06-05, where epoch microseconds are exact in a double.
 */

import { tryParseDuration } from './duration.js';
import { UsageError } from './errors.js';
import { fromEpochMicros } from './timestamp.js';

/** Which end of a range the value is for; it changes only what a date-only value means. */
export type TimeBound = 'from' | 'to';

const DAY_US = 86_400_000_000;
const MAX_US = BigInt(Number.MAX_SAFE_INTEGER);

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?)?$/;
const EPOCH = /^(\d+)(?:\.(\d+))?$/;
const YYYYMMDD = /^(19|2\d)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])$/;

const ACCEPTED =
  'use an ISO time (2026-11-24T10:00:00Z, 2026-11-24T12:00:00+02:00; no zone means UTC), a date ' +
  '(2026-11-24), epoch seconds, ms or µs (1795514400, 1795514400000), a relative time (-30s, -15m, -2h, -1d) or now';

/** Epoch microseconds for a --from/--to value; throws UsageError naming the option and the value. */
export function parseTimeInput(
  text: string,
  optionName: string,
  nowMicros: number,
  bound: TimeBound,
): number {
  const input = text.trim();
  const fail = (problem: string): never => {
    throw new UsageError(`${optionName}: '${text}' ${problem}`);
  };
  const inRange = (us: bigint | number): number => {
    const v = typeof us === 'bigint' ? us : BigInt(Math.floor(us));
    if (v < 0n || v > MAX_US) {
      return fail(
        `is outside the supported range ${fromEpochMicros(0)} to ${fromEpochMicros(Number(MAX_US))}`,
      );
    }
    return Number(v);
  };

  if (input === '') throw new UsageError(`${optionName}: a time is required; ${ACCEPTED}`);
  if (/^now$/i.test(input)) return inRange(nowMicros);

  if (input.startsWith('-')) {
    const ms = tryParseDuration(input.slice(1));
    if (ms === undefined) return fail('is not a relative time; use e.g. -30s, -15m, -2h or -1d');
    return inRange(nowMicros - ms * 1000);
  }
  if (input.startsWith('+') && tryParseDuration(input.slice(1)) !== undefined) {
    return fail(`is in the future; relative times count back from now, e.g. -${input.slice(1)}`);
  }

  const epoch = EPOCH.exec(input);
  if (epoch) {
    const [, int = '', frac] = epoch;
    if (YYYYMMDD.test(input)) {
      return fail(`looks like a date; write it as ${int.slice(0, 4)}-${int.slice(4, 6)}-${int.slice(6)}`);
    }
    if (frac !== undefined && int.length > 10) {
      return fail('has a fraction; only epoch seconds (up to 10 digits) may have one');
    }
    if (int.length <= 10) return inRange(BigInt(int) * 1_000_000n + BigInt(fractionMicros(frac)));
    if (int.length === 13) return inRange(BigInt(int) * 1000n);
    if (int.length === 16) return inRange(BigInt(int));
    return fail(
      `has ${int.length} digits; epoch times have up to 10 digits (seconds), 13 (milliseconds) or 16 (microseconds)`,
    );
  }

  const iso = ISO.exec(input);
  if (iso) {
    const us = isoMicros(iso, bound);
    return us === undefined ? fail(`is not a valid calendar date and time; ${ACCEPTED}`) : inRange(us);
  }
  return fail(`is not a time; ${ACCEPTED}`);
}

/** Epoch µs for a matched ISO value, or undefined when a field is out of its range (month 13, 24:00). */
function isoMicros(m: RegExpExecArray, bound: TimeBound): number | undefined {
  const [, y = '', mo = '', d = '', h, mi = '0', s = '0', frac = '', zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  const midnight = utcMidnightMs(year, month, day) * 1000;
  if (h === undefined) return bound === 'to' ? midnight + DAY_US - 1 : midnight;

  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const offsetMinutes = zoneOffsetMinutes(zone);
  if (offsetMinutes === undefined) return undefined;
  const seconds = hour * 3600 + minute * 60 + second - offsetMinutes * 60;
  return midnight + seconds * 1_000_000 + fractionMicros(frac);
}

/** Microseconds in a decimal fraction of a second ('5' → 500000); digits past the µs are dropped. */
function fractionMicros(frac: string | undefined): number {
  return Number((frac ?? '').padEnd(6, '0').slice(0, 6));
}

/** Minutes east of UTC for 'Z', '+02:00', '+0200' or '+02'; 0 when absent (UTC by choice). */
function zoneOffsetMinutes(zone: string | undefined): number | undefined {
  if (zone === undefined || zone.toUpperCase() === 'Z') return 0;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = Number(digits.slice(2) || '0');
  if (hours > 23 || minutes > 59) return undefined;
  return (zone.startsWith('-') ? -1 : 1) * (hours * 60 + minutes);
}

// setUTCFullYear, unlike Date.UTC, does not read years 0-99 as 1900-1999.
function utcMidnightMs(year: number, month: number, day: number): number {
  return new Date(0).setUTCFullYear(year, month - 1, day);
}

function daysInMonth(year: number, month: number): number {
  return new Date(utcMidnightMs(year, month + 1, 0)).getUTCDate();
}

/** Throws UsageError when the range is empty because --from is after --to (equal is a valid range). */
export function checkRange(fromUs: number, toUs: number): void {
  if (fromUs > toUs) {
    throw new UsageError(
      `--from (${fromEpochMicros(fromUs)}) is after --to (${fromEpochMicros(toUs)}); swap them or widen the range`,
    );
  }
}
