import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration, tryParseDuration } from '../../src/duration.js';
import { EXIT_USAGE, UsageError } from '../../src/errors.js';

function usageError(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (err) {
    if (err instanceof UsageError) return err;
    throw err;
  }
  throw new Error('expected a UsageError, nothing was thrown');
}

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['1s', 1000],
    ['1.5s', 1500],
    ['5s', 5000],
    ['1m', 60_000],
    ['2h', 7_200_000],
    ['7d', 604_800_000],
    ['1w', 604_800_000],
    ['0.5m', 30_000],
    ['1h30m', 5_400_000],
    ['2m 30s', 150_000],
    ['1d 1h 1m 1.001s', 90_061_001],
    [' 5s ', 5000],
    ['+5s', 5000],
    ['1ms', 1],
    ['1.0005s', 1001], // rounded to the nearest millisecond
  ])('%j is %d ms', (text, ms) => {
    expect(parseDuration(text, '--interval')).toBe(ms);
  });

  it('says what is wrong, naming the option, with examples', () => {
    expect(() => parseDuration('5x', '--interval')).toThrow(
      new UsageError("--interval: '5x' is not a duration; use e.g. 500ms, 5s, 1m, 2h or 7d"),
    );
    expect(usageError(() => parseDuration('5x', '--interval')).exitCode).toBe(EXIT_USAGE);
  });

  it.each([
    '5x',
    's',
    'ms',
    '1.s',
    '.5s',
    '5sec',
    '5 s',
    '5S',
    '1M',
    '1e3ms',
    'Infinity',
    'NaN',
    'soon',
    '5s,',
  ])('rejects %j as not a duration', (text) => {
    const err = usageError(() => parseDuration(text, '--timeout'));
    expect(err.message).toBe(`--timeout: '${text}' is not a duration; use e.g. 500ms, 5s, 1m, 2h or 7d`);
  });

  it('rejects a bare number as ambiguous and suggests units', () => {
    const err = usageError(() => parseDuration('5', '--interval'));
    expect(err.message).toBe(
      "--interval: '5' has no unit; write e.g. 5s for seconds or 5ms for milliseconds",
    );
    expect(usageError(() => parseDuration('1.5', '--interval')).message).toMatch(/'1.5' has no unit.*1.5s/);
    expect(usageError(() => parseDuration('-5', '--interval')).message).toMatch(/has no unit/);
  });

  it.each(['0s', '0ms', '0.4ms', '0m 0s'])('rejects %j as too short', (text) => {
    expect(usageError(() => parseDuration(text, '--interval')).message).toMatch(
      new RegExp(`^--interval: '${text}' is less than 1ms; a duration must be at least 1ms`),
    );
  });

  it('rejects negative durations', () => {
    expect(usageError(() => parseDuration('-5s', '--interval')).message).toMatch(
      /^--interval: '-5s' is negative; a duration must be greater than zero/,
    );
  });

  it('rejects an empty value', () => {
    expect(usageError(() => parseDuration('  ', '--interval')).message).toMatch(
      /^--interval: a duration is required/,
    );
  });

  it('rejects durations too long to count in milliseconds', () => {
    expect(usageError(() => parseDuration('99999999999999w', '--retention')).message).toMatch(/is too long/);
  });
});

describe('tryParseDuration', () => {
  it('returns milliseconds, zero included, or undefined', () => {
    expect(tryParseDuration('15m')).toBe(900_000);
    expect(tryParseDuration('0s')).toBe(0);
    expect(tryParseDuration('-15m')).toBeUndefined();
    expect(tryParseDuration('15')).toBeUndefined();
  });
});

describe('formatDuration', () => {
  it.each([
    [500, '500ms'],
    [0, '0ms'],
    [1000, '1s'],
    [1500, '1.5s'],
    [59_999, '59.999s'],
    [60_000, '1m'],
    [150_000, '2m 30s'],
    [3_600_000, '1h'],
    [5_400_000, '1h 30m'],
    [604_800_000, '7d'],
    [90_061_001, '1d 1h 1m 1.001s'],
    [86_400_500, '1d 0.5s'],
    [-1500, '-1.5s'],
    [0.25, '0.25ms'],
    [1234.4, '1.234s'],
    [999.6, '1s'],
  ])('%d ms → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('writes what parseDuration reads back', () => {
    for (const ms of [1, 500, 1500, 60_000, 150_000, 5_400_000, 604_800_000, 90_061_001, 123_456_789]) {
      expect(parseDuration(formatDuration(ms), '--x')).toBe(ms);
    }
  });

  it('does not pretend non-finite values are durations', () => {
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe('Infinity');
  });
});
