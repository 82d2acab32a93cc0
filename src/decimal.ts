/**
 * Exact decimal arithmetic on decimal strings. Prices and sizes stay strings end to end: a float turns
 * 0.1 + 0.2 into 0.30000000000000004 and drops the trailing zeros that show a venue's tick size.
 * A value is held as an integer coefficient and a scale (value = coef / 10^scale).
 *
 * Canonical output: plain notation (never an exponent), no leading zeros, no '+', '-0' written '0',
 * and trailing zeros kept (they carry the tick size: '6247.50' stays '6247.50'). Sums and differences
 * take the larger scale of their inputs; a mid price takes at most one more digit.
 */

/** A parsed decimal: value = coef / 10^scale, scale >= 0. */
export interface Decimal {
  readonly coef: bigint;
  readonly scale: number;
}

const DECIMAL_PATTERN = /^([+-]?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;
// Bounds BigInt growth: '1e999999999' would otherwise allocate a billion digits.
const MAX_EXPONENT = 1000;
const MAX_PLACES = 100;

function describe(text: string): string {
  return text.length > 40 ? `'${text.slice(0, 40)}…'` : `'${text}'`;
}

/** Parses '6247.58', '-1.5', '0.00000001', '1e-8' or '1E+3'; throws an Error for anything else. */
export function parseDecimal(text: string): Decimal {
  const m = DECIMAL_PATTERN.exec(text);
  if (!m) {
    throw new Error(`${describe(text)} is not a decimal number; expected e.g. 6247.58, -1.5 or 1e-8`);
  }
  const [, sign = '', int = '', frac = '', exp = '0'] = m;
  const exponent = Number(exp);
  if (Math.abs(exponent) > MAX_EXPONENT) {
    throw new Error(`${describe(text)} has an exponent beyond ±${MAX_EXPONENT}; write it in plain form`);
  }
  const magnitude = BigInt(int + frac);
  const coef = sign === '-' ? -magnitude : magnitude;
  const scale = frac.length - exponent;
  return scale >= 0 ? { coef, scale } : { coef: coef * 10n ** BigInt(-scale), scale: 0 };
}

/** True when parseDecimal would accept the text. */
export function isDecimal(text: string): boolean {
  try {
    parseDecimal(text);
    return true;
  } catch {
    return false;
  }
}

/** Writes a Decimal in canonical plain form. */
export function formatDecimal(d: Decimal): string {
  const negative = d.coef < 0n;
  const digits = (negative ? -d.coef : d.coef).toString().padStart(d.scale + 1, '0');
  const cut = digits.length - d.scale;
  const int = digits.slice(0, cut);
  const frac = d.scale > 0 ? `.${digits.slice(cut)}` : '';
  return `${negative ? '-' : ''}${int}${frac}`;
}

/** Rewrites a decimal string in canonical form ('1e-8' → '0.00000001', '007.50' → '7.50'). */
export function normalizeDecimal(text: string): string {
  return formatDecimal(parseDecimal(text));
}

function rescale(d: Decimal, scale: number): bigint {
  return d.coef * 10n ** BigInt(scale - d.scale);
}

/** Both values as coefficients at their common (larger) scale. */
function align(a: string, b: string): { a: bigint; b: bigint; scale: number } {
  const x = parseDecimal(a);
  const y = parseDecimal(b);
  const scale = Math.max(x.scale, y.scale);
  return { a: rescale(x, scale), b: rescale(y, scale), scale };
}

function checkPlaces(places: number): void {
  if (!Number.isInteger(places) || places < 0 || places > MAX_PLACES) {
    throw new RangeError(`decimal places must be an integer from 0 to ${MAX_PLACES}, got ${places}`);
  }
}

/** n / d rounded half to even (banker's rounding), so repeated statistics do not drift upwards. */
export function divideHalfEven(n: bigint, d: bigint): bigint {
  if (d === 0n) throw new RangeError('division by zero');
  let num = n;
  let den = d;
  if (den < 0n) {
    num = -num;
    den = -den;
  }
  let q = num / den;
  let r = num % den;
  if (r < 0n) {
    // BigInt division truncates toward zero; move to floor so 0 <= r < den.
    q -= 1n;
    r += den;
  }
  const twice = 2n * r;
  if (twice > den || (twice === den && q % 2n !== 0n)) q += 1n;
  return q;
}

/** a + b, exact. */
export function addDecimal(a: string, b: string): string {
  const x = align(a, b);
  return formatDecimal({ coef: x.a + x.b, scale: x.scale });
}

/** a - b, exact. */
export function subDecimal(a: string, b: string): string {
  const x = align(a, b);
  return formatDecimal({ coef: x.a - x.b, scale: x.scale });
}

/** The exact sum of all values ('0' for none). */
export function sumDecimal(values: readonly string[]): string {
  return values.reduce((acc, v) => addDecimal(acc, v), '0');
}

/** -1, 0 or 1 as a is less than, equal to or greater than b ('1.50' equals '1.5'). */
export function compareDecimal(a: string, b: string): -1 | 0 | 1 {
  const x = align(a, b);
  if (x.a === x.b) return 0;
  return x.a < x.b ? -1 : 1;
}

/** The smallest value in canonical form, or undefined for an empty list. */
export function minDecimal(values: readonly string[]): string | undefined {
  return pick(values, (c) => c < 0);
}

/** The largest value in canonical form, or undefined for an empty list. */
export function maxDecimal(values: readonly string[]): string | undefined {
  return pick(values, (c) => c > 0);
}

function pick(values: readonly string[], better: (cmp: number) => boolean): string | undefined {
  let best: string | undefined;
  for (const v of values) {
    if (best === undefined || better(compareDecimal(v, best))) best = v;
  }
  return best === undefined ? undefined : normalizeDecimal(best);
}

/** (bid + ask) / 2, exact: the result has at most one more decimal digit than the inputs. */
export function midPrice(bid: string, ask: string): string {
  const x = align(bid, ask);
  const sum = x.a + x.b;
  // An odd sum halves to a trailing 5 one place further right: sum * 5 / 10^(scale + 1).
  return sum % 2n === 0n
    ? formatDecimal({ coef: sum / 2n, scale: x.scale })
    : formatDecimal({ coef: sum * 5n, scale: x.scale + 1 });
}

/** ask - bid, exact; negative for a crossed book. */
export function spread(bid: string, ask: string): string {
  return subDecimal(ask, bid);
}

/**
 * (ask - bid) / mid * 10000, rounded half to even to `places` decimals (always written with exactly
 * that many). Undefined when the mid is zero, where basis points mean nothing. Negative when crossed.
 */
export function spreadBps(bid: string, ask: string, places = 4): string | undefined {
  checkPlaces(places);
  const x = align(bid, ask);
  const sum = x.a + x.b;
  if (sum === 0n) return undefined;
  // (ask - bid) / ((ask + bid) / 2) * 10000 = (ask - bid) * 20000 / (ask + bid); the scales cancel.
  const coef = divideHalfEven((x.b - x.a) * 20000n * 10n ** BigInt(places), sum);
  return formatDecimal({ coef, scale: places });
}

/** Rounds half to even to exactly `places` decimals ('2.345', 2 → '2.34'; '1.5', 3 → '1.500'). */
export function roundDecimal(value: string, places: number): string {
  checkPlaces(places);
  const d = parseDecimal(value);
  if (d.scale <= places) return formatDecimal({ coef: rescale(d, places), scale: places });
  return formatDecimal({ coef: divideHalfEven(d.coef, 10n ** BigInt(d.scale - places)), scale: places });
}

/** The mean: exact sum divided by the count, rounded half to even to `places`; undefined for none. */
export function meanDecimal(values: readonly string[], places: number): string | undefined {
  checkPlaces(places);
  if (values.length === 0) return undefined;
  const sum = parseDecimal(sumDecimal(values));
  const coef = divideHalfEven(
    sum.coef * 10n ** BigInt(places),
    BigInt(values.length) * 10n ** BigInt(sum.scale),
  );
  return formatDecimal({ coef, scale: places });
}

/**
 * The nearest JavaScript number. LOSSY (about 15-17 significant digits): for charts and rough
 * comparisons only, never for stored or displayed prices.
 */
export function decimalToNumber(value: string): number {
  return Number(normalizeDecimal(value));
}
