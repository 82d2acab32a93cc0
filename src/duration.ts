/**
 * Durations on the command line: a number with a unit (500ms, 1.5s, 5s, 1m, 2h, 7d, 1w), or several
 * in a row (1h30m, '2m 30s', which is what formatDuration writes). Units are lower case only, so 'M'
 * can never be misread as months. A bare number is rejected: '5' could be seconds or milliseconds.
 */

import { UsageError } from './errors.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: SECOND,
  m: MINUTE,
  h: HOUR,
  d: DAY,
  w: 7 * DAY,
};

// 'ms' is listed before 'm' and 's' so '500ms' is not read as 500 minutes followed by junk.
const PART = '(\\d+(?:\\.\\d+)?)(ms|s|m|h|d|w)';
const WHOLE = new RegExp(`^${PART}(?:\\s*${PART})*$`);
const PARTS = new RegExp(PART, 'g');
const BARE_NUMBER = /^[+-]?\d+(?:\.\d+)?$/;
const EXAMPLES = 'use e.g. 500ms, 5s, 1m, 2h or 7d';

/**
 * Milliseconds for a duration such as '1.5s' or '1h30m' (rounded to the nearest ms; may be 0), or
 * undefined when the text is not a duration. No sign is accepted.
 */
export function tryParseDuration(text: string): number | undefined {
  if (!WHOLE.test(text)) return undefined;
  let total = 0;
  for (const [, amount = '', unit = ''] of text.matchAll(PARTS)) {
    total += Number(amount) * (UNIT_MS[unit] ?? Number.NaN);
  }
  return Number.isFinite(total) ? Math.round(total) : undefined;
}

/** Milliseconds for a positive duration option value; throws UsageError naming the option otherwise. */
export function parseDuration(text: string, optionName: string): number {
  const input = text.trim();
  const fail = (problem: string): never => {
    throw new UsageError(`${optionName}: '${text}' ${problem}`);
  };
  if (input === '') throw new UsageError(`${optionName}: a duration is required; ${EXAMPLES}`);
  if (BARE_NUMBER.test(input)) {
    const n = input.replace(/^[+-]/, '');
    return fail(`has no unit; write e.g. ${n}s for seconds or ${n}ms for milliseconds`);
  }
  if (input.startsWith('-') && tryParseDuration(input.slice(1)) !== undefined) {
    return fail(`is negative; a duration must be greater than zero (${EXAMPLES})`);
  }
  const ms = tryParseDuration(input.replace(/^\+/, ''));
  if (ms === undefined) return fail(`is not a duration; ${EXAMPLES}`);
  if (ms === 0) return fail(`is less than 1ms; a duration must be at least 1ms (${EXAMPLES})`);
  if (ms > Number.MAX_SAFE_INTEGER) return fail('is too long; use a shorter duration');
  return ms;
}

/** Short human form: '500ms', '1.5s', '2m 30s', '1h 30m', '7d'; exact, and parseDuration reads it back. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 0) return `-${formatDuration(-ms)}`;
  // Keep sub-millisecond precision only where it is all there is (latencies such as 0.25ms).
  if (ms < 1) return `${Number(ms.toFixed(3))}ms`;
  const total = Math.round(ms);
  if (total < SECOND) return `${total}ms`;
  const days = Math.floor(total / DAY);
  const hours = Math.floor((total % DAY) / HOUR);
  const minutes = Math.floor((total % HOUR) / MINUTE);
  const secondsMs = total % MINUTE;
  const parts: string[] = [];
  if (days > 0) parts.push(`${days}d`);
  if (hours > 0) parts.push(`${hours}h`);
  if (minutes > 0) parts.push(`${minutes}m`);
  // n / 1000 prints as the short decimal it is (1.001, 1.5), never as a long float tail.
  if (secondsMs > 0) parts.push(`${secondsMs / SECOND}s`);
  return parts.join(' ');
}
