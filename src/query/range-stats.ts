/**
 * `l1-query --stats`: statistics of a product over a range, accumulated one snapshot at a time so a
 * range of millions needs constant memory. Spreads are exact decimals (the mean is rounded half to
 * even); sequence numbers are compared as BigInt, since venues' sequences exceed 2^53.
 *
 *   count, first, last        snapshots and the index times of the oldest and newest
 *   quoted                    snapshots with both a bid and an ask (the spread statistics use these)
 *   spread min/max/mean       ask − bid, exact; the mean has two more decimals than the finest input
 *   spread bps min/max/mean   (ask − bid) / mid × 10,000; min and max exactly as the rows print them
 *                             (4 decimals), the mean from per-snapshot values exact to 1e-8 bp
 *   largest gap               the longest time between consecutive snapshots, and where it is
 *   sequence jumps            consecutive snapshots (in time) whose sequence grows by more than 1;
 *                             repeats (same sequence: the book did not change) and backwards steps
 *                             (a restart or reordering) are counted apart
 */
import {
  type Decimal,
  divideHalfEven,
  formatDecimal,
  parseDecimal,
  spreadBps,
  spread as spreadOf,
} from '../decimal.js';
import { formatDuration } from '../duration.js';
import { timestampOfSnapshotKey } from '../store/keys.js';
import type { StoredSnapshot } from '../store/redis-store.js';
import { fromEpochMicros, toEpochMicros } from '../timestamp.js';

const BPS_PLACES = 4;
/** Per-snapshot basis points are computed this precisely before they are averaged. */
const BPS_WORK_PLACES = 8;
const SEQUENCE = /^\d+$/;

/** The flat result, as printed by every format (numbers are counts; decimals stay strings). */
export interface RangeStatsRecord {
  exchange: string;
  product_id: string;
  /** The requested bounds (ISO, UTC), null when open. */
  from: string | null;
  to: string | null;
  count: number;
  first: string | null;
  last: string | null;
  quoted: number;
  spread_min: string | null;
  spread_max: string | null;
  spread_mean: string | null;
  spread_bps_min: string | null;
  spread_bps_max: string | null;
  spread_bps_mean: string | null;
  largest_gap_us: number | null;
  largest_gap: string | null;
  largest_gap_start: string | null;
  largest_gap_end: string | null;
  with_sequence: number;
  sequence_jumps: number;
  sequence_repeats: number;
  sequence_backwards: number;
  largest_sequence_jump: string | null;
}

export const STATS_COLUMNS: readonly (keyof RangeStatsRecord)[] = [
  'exchange',
  'product_id',
  'from',
  'to',
  'count',
  'first',
  'last',
  'quoted',
  'spread_min',
  'spread_max',
  'spread_mean',
  'spread_bps_min',
  'spread_bps_max',
  'spread_bps_mean',
  'largest_gap_us',
  'largest_gap',
  'largest_gap_start',
  'largest_gap_end',
  'with_sequence',
  'sequence_jumps',
  'sequence_repeats',
  'sequence_backwards',
  'largest_sequence_jump',
];

/** A running exact sum with its extremes, on parsed decimals (no re-parsing per comparison). */
class DecimalSummary {
  #coef = 0n;
  #scale = 0;
  #maxScale = 0;
  count = 0;
  min: Decimal | undefined;
  max: Decimal | undefined;
  /** Whatever the caller wants to remember about the extremes (e.g. the quote behind them). */
  minTag: [string, string] | undefined;
  maxTag: [string, string] | undefined;

  add(d: Decimal, tag?: [string, string]): void {
    if (d.scale > this.#scale) {
      this.#coef *= 10n ** BigInt(d.scale - this.#scale);
      this.#scale = d.scale;
    }
    this.#coef += d.coef * 10n ** BigInt(this.#scale - d.scale);
    this.#maxScale = Math.max(this.#maxScale, d.scale);
    this.count += 1;
    if (this.min === undefined || compare(d, this.min) < 0) {
      this.min = d;
      this.minTag = tag;
    }
    if (this.max === undefined || compare(d, this.max) > 0) {
      this.max = d;
      this.maxTag = tag;
    }
  }

  /** The mean rounded half to even to `places` decimals (default: two more than the finest input). */
  mean(places = this.#maxScale + 2): string | undefined {
    if (this.count === 0) return undefined;
    const num = this.#coef * 10n ** BigInt(places);
    const den = BigInt(this.count) * 10n ** BigInt(this.#scale);
    return formatDecimal({ coef: divideHalfEven(num, den), scale: places });
  }
}

function compare(a: Decimal, b: Decimal): number {
  const scale = Math.max(a.scale, b.scale);
  const x = a.coef * 10n ** BigInt(scale - a.scale);
  const y = b.coef * 10n ** BigInt(scale - b.scale);
  return x === y ? 0 : x < y ? -1 : 1;
}

export class RangeStats {
  readonly #desc: boolean;
  #count = 0;
  #firstMicros: number | undefined;
  #lastMicros: number | undefined;
  #prevMicros: number | undefined;
  #gap: { us: number; start: number; end: number } | undefined;
  readonly #spread = new DecimalSummary();
  readonly #bps = new DecimalSummary();
  #withSequence = 0;
  #prevSequence: bigint | undefined;
  #jumps = 0;
  #repeats = 0;
  #backwards = 0;
  #largestJump: bigint | undefined;

  /** `order` is the order snapshots will be added in (the range's order). */
  constructor(order: 'asc' | 'desc' = 'asc') {
    this.#desc = order === 'desc';
  }

  get count(): number {
    return this.#count;
  }

  add(s: StoredSnapshot): void {
    this.#count += 1;
    // The index time (the key's timestamp) is what ranges select on and what orders the snapshots.
    const us = toEpochMicros(timestampOfSnapshotKey(s.key));
    if (this.#firstMicros === undefined || us < this.#firstMicros) this.#firstMicros = us;
    if (this.#lastMicros === undefined || us > this.#lastMicros) this.#lastMicros = us;
    if (this.#prevMicros !== undefined) {
      const [start, end] = this.#desc ? [us, this.#prevMicros] : [this.#prevMicros, us];
      const gap = end - start;
      if (this.#gap === undefined || gap > this.#gap.us) this.#gap = { us: gap, start, end };
    }
    this.#prevMicros = us;

    const bid = s.bids[0]?.[0];
    const ask = s.asks[0]?.[0];
    if (bid !== undefined && ask !== undefined) {
      this.#spread.add(parseDecimal(spreadOf(bid, ask)));
      const bps = spreadBps(bid, ask, BPS_WORK_PLACES);
      if (bps !== undefined) this.#bps.add(parseDecimal(bps), [bid, ask]);
    }

    if (!SEQUENCE.test(s.sequence)) {
      this.#prevSequence = undefined; // compare only neighbours that both have one
      return;
    }
    this.#withSequence += 1;
    const seq = BigInt(s.sequence);
    const prev = this.#prevSequence;
    this.#prevSequence = seq;
    if (prev === undefined) return;
    const step = this.#desc ? prev - seq : seq - prev;
    if (step === 0n) this.#repeats += 1;
    else if (step < 0n) this.#backwards += 1;
    else if (step > 1n) {
      this.#jumps += 1;
      if (this.#largestJump === undefined || step > this.#largestJump) this.#largestJump = step;
    }
  }

  result(
    ref: { exchange: string; productId: string },
    bounds: { fromMicros?: number | undefined; toMicros?: number | undefined } = {},
  ): RangeStatsRecord {
    const iso = (us: number | undefined) => (us === undefined ? null : fromEpochMicros(us));
    const bpsAt = (tag: [string, string] | undefined) =>
      tag === undefined ? null : (spreadBps(tag[0], tag[1], BPS_PLACES) ?? null);
    const dec = (d: Decimal | undefined) => (d === undefined ? null : formatDecimal(d));
    const gap = this.#gap;
    return {
      exchange: ref.exchange,
      product_id: ref.productId,
      from: iso(bounds.fromMicros),
      to: iso(bounds.toMicros),
      count: this.#count,
      first: iso(this.#firstMicros),
      last: iso(this.#lastMicros),
      quoted: this.#spread.count,
      spread_min: dec(this.#spread.min),
      spread_max: dec(this.#spread.max),
      spread_mean: this.#spread.mean() ?? null,
      spread_bps_min: bpsAt(this.#bps.minTag),
      spread_bps_max: bpsAt(this.#bps.maxTag),
      spread_bps_mean: this.#bps.mean(BPS_PLACES) ?? null,
      largest_gap_us: gap?.us ?? null,
      largest_gap: gap === undefined ? null : formatDuration(gap.us / 1000),
      largest_gap_start: iso(gap?.start),
      largest_gap_end: iso(gap?.end),
      with_sequence: this.#withSequence,
      sequence_jumps: this.#jumps,
      sequence_repeats: this.#repeats,
      sequence_backwards: this.#backwards,
      largest_sequence_jump: this.#largestJump === undefined ? null : this.#largestJump.toString(),
    };
  }
}

/** The stats as label/value lines for a terminal. */
export function renderStatsText(r: RangeStatsRecord): string {
  const orNone = (v: string | number | null) => (v === null ? '—' : String(v));
  const venue = `${r.exchange} ${r.product_id}`;
  const bounds = r.from === null && r.to === null ? 'all stored' : `${r.from ?? 'start'} … ${r.to ?? 'now'}`;
  const rows: [string, string][] = [
    ['product', venue],
    ['range', bounds],
    ['snapshots', r.count.toLocaleString('en-US')],
    ['first', orNone(r.first)],
    ['last', orNone(r.last)],
    ['quoted (bid and ask)', r.quoted.toLocaleString('en-US')],
    ['spread min', orNone(r.spread_min)],
    ['spread max', orNone(r.spread_max)],
    ['spread mean', orNone(r.spread_mean)],
    ['spread bps min', orNone(r.spread_bps_min)],
    ['spread bps max', orNone(r.spread_bps_max)],
    ['spread bps mean', orNone(r.spread_bps_mean)],
    [
      'largest gap',
      r.largest_gap === null ? '—' : `${r.largest_gap} (${r.largest_gap_start} → ${r.largest_gap_end})`,
    ],
    ['with sequence', r.with_sequence.toLocaleString('en-US')],
    [
      'sequence jumps',
      `${r.sequence_jumps.toLocaleString('en-US')}${r.largest_sequence_jump === null ? '' : ` (largest +${r.largest_sequence_jump})`}`,
    ],
    ['sequence repeats', r.sequence_repeats.toLocaleString('en-US')],
    ['sequence backwards', r.sequence_backwards.toLocaleString('en-US')],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  return `${rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n')}\n`;
}
