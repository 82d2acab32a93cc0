import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { checkRange, parseTimeInput, type TimeBound } from '../../src/time-input.js';
import { toEpochMicros } from '../../src/timestamp.js';

const NOW = toEpochMicros('2026-11-24T12:34:56.789012Z');
const us = (fixed: string): number => toEpochMicros(fixed);

function parse(text: string, bound: TimeBound = 'from'): number {
  return parseTimeInput(text, '--from', NOW, bound);
}

function usageError(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (err) {
    if (err instanceof UsageError) return err;
    throw err;
  }
  throw new Error('expected a UsageError, nothing was thrown');
}

describe('ISO-8601 times', () => {
  it.each([
    ['2026-11-24T10:00:00Z', '2026-11-24T10:00:00.000000Z'],
    ['2026-11-24T10:00:00.123456Z', '2026-11-24T10:00:00.123456Z'],
    ['2026-11-24T10:00:00.5Z', '2026-11-24T10:00:00.500000Z'],
    ['2026-11-24T10:00:00.123Z', '2026-11-24T10:00:00.123000Z'],
    ['2026-11-24T10:00:00.123456789Z', '2026-11-24T10:00:00.123456Z'],
    ['2026-11-24T10:00:00,5Z', '2026-11-24T10:00:00.500000Z'],
    ['2026-11-24t10:00:00z', '2026-11-24T10:00:00.000000Z'],
    ['2026-11-24T12:00:00+02:00', '2026-11-24T10:00:00.000000Z'],
    ['2026-11-24T12:00:00+0200', '2026-11-24T10:00:00.000000Z'],
    ['2026-11-24T12:00:00+02', '2026-11-24T10:00:00.000000Z'],
    ['2026-11-24T04:30:00-05:30', '2026-11-24T10:00:00.000000Z'],
    ['2026-11-24T01:00:00+02:00', '2026-11-23T23:00:00.000000Z'],
    ['2026-11-24T10:00', '2026-11-24T10:00:00.000000Z'],
    ['2026-11-24 10:00:00', '2026-11-24T10:00:00.000000Z'],
    ['2028-02-29T00:00:00Z', '2028-02-29T00:00:00.000000Z'],
  ])('%s is %s', (text, fixed) => {
    expect(parse(text)).toBe(us(fixed));
    expect(parse(text, 'to')).toBe(us(fixed)); // the bound only matters for date-only values
  });

  it('reads a time without a zone as UTC, not local time', () => {
    expect(parse('2026-11-24T10:00:00')).toBe(parse('2026-11-24T10:00:00Z'));
  });

  it.each([
    '2026-02-29',
    '2026-13-01',
    '2026-00-10',
    '2026-11-31',
    '2026-11-00',
    '2026-11-24T24:00:00Z',
    '2026-11-24T10:60:00Z',
    '2026-11-24T10:00:60Z',
    '2026-11-24T10:00:00+24:00',
    '2026-11-24T10:00:00+02:60',
  ])('rejects the impossible %s', (text) => {
    expect(usageError(() => parse(text)).message).toMatch(/is not a valid calendar date and time/);
  });
});

describe('date-only values', () => {
  it('mean UTC midnight as a from bound', () => {
    expect(parse('2026-11-24', 'from')).toBe(us('2026-11-24T00:00:00.000000Z'));
  });

  it('mean the inclusive end of the day as a to bound', () => {
    expect(parse('2026-11-24', 'to')).toBe(us('2026-11-24T23:59:59.999999Z'));
    expect(parse('2028-02-29', 'to')).toBe(us('2028-02-29T23:59:59.999999Z'));
  });

  it('make --from D --to D cover the whole day', () => {
    const from = parse('2026-11-24', 'from');
    const to = parse('2026-11-24', 'to');
    expect(() => checkRange(from, to)).not.toThrow();
    expect(to - from + 1).toBe(86_400_000_000);
  });
});

describe('epoch numbers', () => {
  it('reads up to 10 digits as seconds, with an optional fraction', () => {
    expect(parse('1795514400')).toBe(us('2026-11-24T10:00:00.000000Z'));
    expect(parse('1795514400.5')).toBe(us('2026-11-24T10:00:00.500000Z'));
    expect(parse('1795514400.123456789')).toBe(us('2026-11-24T10:00:00.123456Z'));
    expect(parse('0')).toBe(0);
    expect(parse('86400')).toBe(us('1970-01-02T00:00:00.000000Z'));
  });

  it('reads 13 digits as milliseconds and 16 as microseconds', () => {
    expect(parse('1795514400123')).toBe(us('2026-11-24T10:00:00.123000Z'));
    expect(parse('1795514400123456')).toBe(us('2026-11-24T10:00:00.123456Z'));
  });

  it.each(['17955144001', '179551440012', '17955144001234', '179551440012345', '17955144001234567'])(
    'rejects the ambiguous %s and says which digit counts work',
    (text) => {
      expect(usageError(() => parse(text)).message).toBe(
        `--from: '${text}' has ${text.length} digits; epoch times have up to 10 digits (seconds), ` +
          '13 (milliseconds) or 16 (microseconds)',
      );
    },
  );

  it('allows a fraction only on seconds', () => {
    expect(usageError(() => parse('1795514400123.5')).message).toMatch(/only epoch seconds/);
  });

  it('rejects an 8-digit number that reads as a date, and shows how to write it', () => {
    expect(usageError(() => parse('20261124')).message).toBe(
      "--from: '20261124' looks like a date; write it as 2026-11-24",
    );
  });
});

describe('relative times and now', () => {
  it.each([
    ['-30s', 30_000_000],
    ['-15m', 900_000_000],
    ['-2h', 7_200_000_000],
    ['-1d', 86_400_000_000],
    ['-1w', 604_800_000_000],
    ['-500ms', 500_000],
    ['-1h30m', 5_400_000_000],
  ])('%s counts back from the injected now', (text, back) => {
    expect(parse(text)).toBe(NOW - back);
    expect(parse(text, 'to')).toBe(NOW - back);
  });

  it('reads now, in any case, with spaces around', () => {
    expect(parse('now')).toBe(NOW);
    expect(parse(' NOW ', 'to')).toBe(NOW);
    expect(parseTimeInput('now', '--to', 42_000_000, 'to')).toBe(42_000_000);
  });

  it('rejects a relative time without a unit', () => {
    expect(usageError(() => parse('-15')).message).toBe(
      "--from: '-15' is not a relative time; use e.g. -30s, -15m, -2h or -1d",
    );
    expect(usageError(() => parse('-15x')).message).toMatch(/is not a relative time/);
  });

  it('rejects a time in the future and shows the past form', () => {
    expect(usageError(() => parse('+15m')).message).toBe(
      "--from: '+15m' is in the future; relative times count back from now, e.g. -15m",
    );
  });
});

describe('range and junk', () => {
  it.each([
    '1969-12-31T23:59:59Z',
    '1970-01-01T00:30:00+01:00',
    '0050-01-01',
    '1950-01-01',
    '2300-01-01',
    '9999999999999999',
    '-3000w',
  ])('rejects %s as out of the supported range', (text) => {
    expect(usageError(() => parse(text)).message).toBe(
      `--from: '${text}' is outside the supported range 1970-01-01T00:00:00.000000Z to 2255-06-05T23:47:34.740991Z`,
    );
  });

  it.each(['yesterday', '2026/11/24', '10:00', '2026-11-24T10', '24-11-2026', 'Nov 24 2026', '1e9', '0x10'])(
    'rejects %j naming the option, the value and the accepted forms',
    (text) => {
      const err = usageError(() => parseTimeInput(text, '--to', NOW, 'to'));
      expect(err.message).toMatch(new RegExp(`^--to: '${text}' is not a time; use an ISO time`));
      expect(err.message).toContain('2026-11-24T10:00:00Z');
      expect(err.message).toContain('(2026-11-24)');
      expect(err.message).toContain('epoch seconds, ms or µs');
      expect(err.message).toContain('-15m');
      expect(err.message).toContain('now');
      expect(err.exitCode).toBe(2);
    },
  );

  it('asks for a value when given none', () => {
    expect(usageError(() => parse('')).message).toMatch(/^--from: a time is required; use an ISO time/);
  });
});

describe('checkRange', () => {
  it('accepts from before or equal to to', () => {
    expect(() => checkRange(1, 2)).not.toThrow();
    expect(() => checkRange(5, 5)).not.toThrow();
  });

  it('rejects from after to, showing both as ISO', () => {
    const from = us('2026-11-24T10:00:00.000000Z');
    const to = us('2026-11-24T09:00:00.000000Z');
    expect(() => checkRange(from, to)).toThrow(UsageError);
    expect(usageError(() => checkRange(from, to)).message).toBe(
      '--from (2026-11-24T10:00:00.000000Z) is after --to (2026-11-24T09:00:00.000000Z); ' +
        'swap them or widen the range',
    );
  });
});
