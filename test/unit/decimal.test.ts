import { describe, expect, it } from 'vitest';
import {
  addDecimal,
  compareDecimal,
  decimalToNumber,
  formatDecimal,
  isDecimal,
  maxDecimal,
  meanDecimal,
  midPrice,
  minDecimal,
  normalizeDecimal,
  parseDecimal,
  roundDecimal,
  spread,
  spreadBps,
  subDecimal,
  sumDecimal,
} from '../../src/decimal.js';

const HUGE = '123456789012345678.123456789';

describe('parseDecimal', () => {
  it('reads plain decimals into a coefficient and a scale', () => {
    expect(parseDecimal('6247.58')).toEqual({ coef: 624758n, scale: 2 });
    expect(parseDecimal('-1.5')).toEqual({ coef: -15n, scale: 1 });
    expect(parseDecimal('0.00000001')).toEqual({ coef: 1n, scale: 8 });
    expect(parseDecimal('42')).toEqual({ coef: 42n, scale: 0 });
  });

  it('reads exponent forms', () => {
    expect(parseDecimal('1e-8')).toEqual({ coef: 1n, scale: 8 });
    expect(parseDecimal('1E+3')).toEqual({ coef: 1000n, scale: 0 });
    expect(parseDecimal('1.5e2')).toEqual({ coef: 150n, scale: 0 });
    expect(parseDecimal('2.5E-3')).toEqual({ coef: 25n, scale: 4 });
  });

  it.each([
    '',
    ' 1',
    '1 ',
    'abc',
    '1.',
    '.5',
    '1..2',
    '1.2.3',
    '1e',
    'e5',
    '1e5.5',
    '0x10',
    '1_000',
    '1,5',
    '--1',
    '+-1',
    'NaN',
    'Infinity',
    '1/2',
  ])('rejects %j with an Error that shows the value', (junk) => {
    expect(() => parseDecimal(junk)).toThrow(Error);
    expect(() => parseDecimal(junk)).toThrow(/is not a decimal number/);
    expect(isDecimal(junk)).toBe(false);
  });

  it('rejects exponents large enough to exhaust memory', () => {
    expect(() => parseDecimal('1e999999999')).toThrow(/exponent/);
    expect(() => parseDecimal('1e-1001')).toThrow(/exponent/);
    expect(normalizeDecimal('1e1000')).toBe(`1${'0'.repeat(1000)}`);
  });

  it('accepts what it can parse', () => {
    expect(isDecimal('6247.58')).toBe(true);
    expect(isDecimal('1e-8')).toBe(true);
  });
});

describe('canonical form', () => {
  it.each([
    ['1E+3', '1000'],
    ['1e-8', '0.00000001'],
    ['1.5e-3', '0.0015'],
    ['1.50e1', '15.0'],
    ['-1.5', '-1.5'],
    ['+2', '2'],
    ['007.50', '7.50'],
    ['-0', '0'],
    ['-0.00', '0.00'],
    ['0e5', '0'],
    ['6247.50', '6247.50'],
    [HUGE, HUGE],
  ])('%s → %s', (input, expected) => {
    expect(normalizeDecimal(input)).toBe(expected);
  });

  it('keeps trailing zeros, which carry the tick size', () => {
    expect(formatDecimal({ coef: 624750n, scale: 2 })).toBe('6247.50');
    expect(formatDecimal({ coef: -5n, scale: 3 })).toBe('-0.005');
  });
});

describe('addDecimal / subDecimal / sumDecimal', () => {
  it('is exact where floats are not', () => {
    expect(0.1 + 0.2).not.toBe(0.3);
    expect(addDecimal('0.1', '0.2')).toBe('0.3');
    expect(subDecimal('0.3', '0.1')).toBe('0.2');
    expect(sumDecimal(['0.1', '0.1', '0.1'])).toBe('0.3');
  });

  it('keeps the larger scale of its inputs', () => {
    expect(addDecimal('1.10', '2')).toBe('3.10');
    expect(addDecimal('-1.5', '1.5')).toBe('0.0');
    expect(subDecimal('1', '1.001')).toBe('-0.001');
    expect(addDecimal('1e-8', '1E+3')).toBe('1000.00000001');
  });

  it('handles values far beyond 2^53', () => {
    expect(addDecimal(HUGE, '0.000000001')).toBe('123456789012345678.123456790');
    expect(subDecimal(HUGE, HUGE)).toBe('0.000000000');
    expect(addDecimal(HUGE, HUGE)).toBe('246913578024691356.246913578');
  });

  it('sums nothing to zero', () => {
    expect(sumDecimal([])).toBe('0');
  });
});

describe('midPrice and spread', () => {
  it('computes the documented example', () => {
    expect(midPrice('6247.58', '6251.52')).toBe('6249.55');
    expect(spread('6247.58', '6251.52')).toBe('3.94');
  });

  it('is exact for tiny prices', () => {
    expect(midPrice('0.00000001', '0.00000003')).toBe('0.00000002');
    expect(midPrice('1e-8', '3e-8')).toBe('0.00000002');
    expect(spread('0.00000001', '0.00000003')).toBe('0.00000002');
  });

  it('adds at most one digit when the sum is odd', () => {
    expect(midPrice('1', '2')).toBe('1.5');
    expect(midPrice('0.1', '0.2')).toBe('0.15');
    expect(midPrice('0.00000001', '0.00000002')).toBe('0.000000015');
    expect(midPrice('6247.58', '6251.51')).toBe('6249.545');
  });

  it('keeps the input scale when the sum is even', () => {
    expect(midPrice('1.00', '3.00')).toBe('2.00');
  });

  it('is exact for huge prices', () => {
    expect(midPrice(HUGE, '123456789012345679.123456789')).toBe('123456789012345678.623456789');
    expect(spread(HUGE, '123456789012345679.123456789')).toBe('1.000000000');
  });

  it('gives a negative spread for a crossed book', () => {
    expect(spread('101', '100')).toBe('-1');
    expect(midPrice('101', '100')).toBe('100.5');
  });
});

describe('spreadBps', () => {
  it('is (ask - bid) / mid * 10000 with 4 places by default', () => {
    // 3.94 / 6249.55 * 10000 = 6.304453...
    expect(spreadBps('6247.58', '6251.52')).toBe('6.3045');
    expect(spreadBps('99', '101')).toBe('200.0000');
    expect(spreadBps('6247.58', '6251.52', 2)).toBe('6.30');
    expect(spreadBps('6247.58', '6251.52', 0)).toBe('6');
  });

  // With a mid of 10000 the spread in bps equals the spread itself, which makes exact ties easy.
  it('rounds exact ties half to even', () => {
    expect(spreadBps('9998.75', '10001.25', 0)).toBe('2'); // 2.5
    expect(spreadBps('9998.25', '10001.75', 0)).toBe('4'); // 3.5
    expect(spreadBps('9999.499975', '10000.500025')).toBe('1.0000'); // 1.00005
    expect(spreadBps('9999.499925', '10000.500075')).toBe('1.0002'); // 1.00015
  });

  it('rounds non-ties to nearest', () => {
    expect(spreadBps('9998.749', '10001.251', 0)).toBe('3'); // 2.502
    expect(spreadBps('9998.751', '10001.249', 0)).toBe('2'); // 2.498
  });

  it('is negative for a crossed book, rounding ties to even too', () => {
    expect(spreadBps('10001.25', '9998.75', 0)).toBe('-2');
    expect(spreadBps('101', '99')).toBe('-200.0000');
  });

  it('is undefined when the mid is zero', () => {
    expect(spreadBps('0', '0')).toBeUndefined();
    expect(spreadBps('-1', '1')).toBeUndefined();
    expect(spreadBps('0.00', '0')).toBeUndefined();
  });

  it('works for tiny prices where the float mid would be inexact', () => {
    expect(spreadBps('0.00000001', '0.00000003')).toBe('10000.0000');
  });

  it('rejects nonsense decimal places', () => {
    expect(() => spreadBps('1', '2', -1)).toThrow(RangeError);
    expect(() => spreadBps('1', '2', 1.5)).toThrow(RangeError);
  });
});

describe('compareDecimal, minDecimal, maxDecimal', () => {
  it('compares by value, not by text', () => {
    expect(compareDecimal('1.50', '1.5')).toBe(0);
    expect(compareDecimal('-1', '0.5')).toBe(-1);
    expect(compareDecimal('1e3', '999.999')).toBe(1);
    expect(compareDecimal('10', '9')).toBe(1);
    expect(compareDecimal(HUGE, '123456789012345678.12345679')).toBe(-1);
  });

  it('sorts a list', () => {
    const sorted = ['10', '9', '-2.5', '0.00000001', '1E+3'].sort(compareDecimal);
    expect(sorted).toEqual(['-2.5', '0.00000001', '9', '10', '1E+3']);
  });

  it('finds the smallest and largest, in canonical form', () => {
    const values = ['3', '1e-8', '-2.50', '10'];
    expect(minDecimal(values)).toBe('-2.50');
    expect(maxDecimal(values)).toBe('10');
    expect(minDecimal(['1e-8'])).toBe('0.00000001');
    expect(maxDecimal(['1E+3', '999.9'])).toBe('1000');
  });

  it('is undefined for an empty list', () => {
    expect(minDecimal([])).toBeUndefined();
    expect(maxDecimal([])).toBeUndefined();
  });
});

describe('meanDecimal and roundDecimal', () => {
  it('sums exactly, then rounds half to even', () => {
    expect(meanDecimal(['0.1', '0.2', '0.3'], 2)).toBe('0.20');
    expect(meanDecimal(['1', '2'], 0)).toBe('2'); // 1.5
    expect(meanDecimal(['1', '4'], 0)).toBe('2'); // 2.5
    expect(meanDecimal(['1', '2', '2'], 4)).toBe('1.6667');
    expect(meanDecimal(['-1', '-2'], 0)).toBe('-2'); // -1.5
    expect(meanDecimal(['-1', '-4'], 0)).toBe('-2'); // -2.5
    expect(meanDecimal(['6247.58', '6251.52'], 3)).toBe('6249.550');
  });

  it('is exact for huge values', () => {
    expect(meanDecimal([HUGE, HUGE, HUGE], 9)).toBe(HUGE);
  });

  it('is undefined for an empty list', () => {
    expect(meanDecimal([], 2)).toBeUndefined();
  });

  it.each([
    ['2.345', 2, '2.34'],
    ['2.355', 2, '2.36'],
    ['-2.345', 2, '-2.34'],
    ['2.3451', 2, '2.35'],
    ['1.5', 3, '1.500'],
    ['0.5', 0, '0'],
    ['1.5', 0, '2'],
    ['1e-8', 4, '0.0000'],
  ])('roundDecimal(%s, %d) = %s', (value, places, expected) => {
    expect(roundDecimal(value, places)).toBe(expected);
  });
});

describe('decimalToNumber', () => {
  it('gives the nearest number (lossy by design)', () => {
    expect(decimalToNumber('6247.58')).toBe(6247.58);
    expect(decimalToNumber('1e-8')).toBe(1e-8);
    expect(decimalToNumber(HUGE)).toBe(123456789012345680);
  });

  it('still rejects junk instead of returning NaN', () => {
    expect(() => decimalToNumber('abc')).toThrow(/is not a decimal number/);
  });
});
