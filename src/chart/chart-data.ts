/**
 * Plain data the chart renderers take, and its reduction to what can be drawn. Prices arrive as
 * numbers here on purpose: they are only for drawing, the exact decimal strings stay in the store.
 */
import { type Sample, SeriesAccumulator } from './series-accumulator.js';

export type { Sample } from './series-accumulator.js';

export interface ChartPoint {
  /** Epoch microseconds (UTC). */
  timeMicros: number;
  bid: number | undefined;
  ask: number | undefined;
}

export interface ChartInput {
  /** e.g. "coinbase BTC-USD" */
  title: string;
  points: ChartPoint[];
}

/** A reduced chart: each series as runs of samples (a missing value ends a run). */
export interface ChartData {
  title: string;
  /** Snapshots seen, before any reduction. */
  count: number;
  /** Time of the earliest and latest snapshot seen; undefined when there were none. */
  startMicros: number | undefined;
  endMicros: number | undefined;
  bid: Sample[][];
  ask: Sample[][];
  /** ask − bid, where both are present. */
  spread: Sample[][];
}

/** At most this many samples per bucket (first, min, max, last). */
export const SAMPLES_PER_BUCKET = 4;

/** Buckets a streaming caller keeps when it does not say: finer than any screen. */
export const DEFAULT_BUCKETS = 2000;
/**
 * A pause this many times longer than the usual spacing of the snapshots breaks the lines: an
 * outage or a stopped capture shows as a gap, not as a straight line across it.
 */
export const GAP_FACTOR = 20;

/**
 * Streams points into a bounded number of time buckets per series, for callers that read snapshots
 * page by page and must not hold them all.
 */
export class ChartAccumulator {
  readonly #title: string;
  readonly #bid: SeriesAccumulator;
  readonly #ask: SeriesAccumulator;
  readonly #spread: SeriesAccumulator;
  #count = 0;
  #start: number | undefined;
  #end: number | undefined;
  #last: number | undefined;
  /** Moving average of the spacing between consecutive points, in µs. */
  #spacing: number | undefined;

  constructor(title: string, options: { buckets?: number } = {}) {
    const buckets = options.buckets ?? DEFAULT_BUCKETS;
    this.#title = title;
    this.#bid = new SeriesAccumulator(buckets);
    this.#ask = new SeriesAccumulator(buckets);
    this.#spread = new SeriesAccumulator(buckets);
  }

  get count(): number {
    return this.#count;
  }

  /** Values or buckets held across the three series (bounded by 3 × buckets). */
  get size(): number {
    return this.#bid.size + this.#ask.size + this.#spread.size;
  }

  add(point: ChartPoint): void {
    const t = point.timeMicros;
    if (!Number.isFinite(t)) return;
    this.#count++;
    this.#start = this.#start === undefined ? t : Math.min(this.#start, t);
    this.#end = this.#end === undefined ? t : Math.max(this.#end, t);
    this.#breakOnGap(t);
    const { bid, ask } = point;
    this.#bid.add(t, bid);
    this.#ask.add(t, ask);
    this.#spread.add(t, bid !== undefined && ask !== undefined ? ask - bid : undefined);
  }

  #breakOnGap(t: number): void {
    const last = this.#last;
    this.#last = t;
    if (last === undefined) return;
    const dt = Math.abs(t - last);
    if (dt === 0) return;
    if (this.#spacing !== undefined && dt > GAP_FACTOR * this.#spacing) {
      const between = (last + t) / 2;
      this.#bid.add(between, undefined);
      this.#ask.add(between, undefined);
      this.#spread.add(between, undefined);
      return; // a gap says nothing about the usual spacing
    }
    this.#spacing = this.#spacing === undefined ? dt : this.#spacing * 0.9 + dt * 0.1;
  }

  result(): ChartData {
    return {
      title: this.#title,
      count: this.#count,
      startMicros: this.#start,
      endMicros: this.#end,
      bid: this.#bid.segments(),
      ask: this.#ask.segments(),
      spread: this.#spread.segments(),
    };
  }
}

/** Reduces a series to at most `columns` buckets (so ≤ 4 samples per pixel column), keeping spikes. */
export function downsample(input: ChartInput, columns: number): ChartData {
  const acc = new ChartAccumulator(input.title, { buckets: columns });
  for (const p of input.points) acc.add(p);
  return acc.result();
}

/** Reduces already-reduced data further, e.g. a 2,000-bucket stream onto an 800-pixel plot. */
export function rebucket(data: ChartData, columns: number): ChartData {
  const reduce = (runs: Sample[][]): Sample[][] => {
    const acc = new SeriesAccumulator(columns);
    runs.forEach((run, i) => {
      for (const s of run) acc.add(s.t, s.v);
      const last = run[run.length - 1];
      // A hole right after each run but the last keeps the break between runs.
      if (last !== undefined && i < runs.length - 1) acc.add(last.t, undefined);
    });
    return acc.segments();
  };
  return { ...data, bid: reduce(data.bid), ask: reduce(data.ask), spread: reduce(data.spread) };
}

/** What a renderer calls: raw points or reduced data in, at most `columns` buckets out. */
export function toChartData(input: ChartInput | ChartData, columns: number): ChartData {
  return 'points' in input ? downsample(input, columns) : rebucket(input, columns);
}

/** Smallest and largest value over runs of samples; undefined when there are none. */
export function valueRange(...series: Sample[][][]): { min: number; max: number } | undefined {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const runs of series) {
    for (const run of runs) {
      for (const s of run) {
        if (s.v < min) min = s.v;
        if (s.v > max) max = s.v;
      }
    }
  }
  return min <= max ? { min, max } : undefined;
}
