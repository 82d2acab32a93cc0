/**
 * Bounded-memory reduction of one time series (bid, ask or spread) for drawing. Up to `capacity`
 * values are kept exactly; past that, values fall into at most `capacity` time buckets that each keep
 * first, min, max and last, so a spike one snapshot wide still reaches the chart. When a value lands
 * past the last bucket, the bucket width doubles and neighbours merge, so the time span need not be
 * known up front.
 */

/** One drawn value of one series: epoch microseconds and the value. */
export interface Sample {
  t: number;
  v: number;
}

/** A value, or a hole (`v` undefined) that breaks the line. */
interface Entry {
  t: number;
  v: number | undefined;
}

interface Filled {
  first: Sample;
  last: Sample;
  min: Sample;
  max: Sample;
  /** The series was missing before the first value in this bucket, or after the last: break the line there. */
  gapBefore: boolean;
  gapAfter: boolean;
}

/** 'gap' = only missing values fell here. */
type Bucket = Filled | 'gap';

export class SeriesAccumulator {
  readonly #capacity: number;
  #raw: Entry[] | undefined = [];
  #buckets: (Bucket | undefined)[] = [];
  #origin = 0;
  #width = 1;

  constructor(capacity: number) {
    // Two is the least that lets a bucket shift make room (see #shiftFor).
    this.#capacity = Math.max(2, Math.floor(capacity));
  }

  /** Values or buckets held: never more than the capacity. */
  get size(): number {
    if (this.#raw) return this.#raw.length;
    let used = 0;
    for (const b of this.#buckets) if (b !== undefined) used++;
    return used;
  }

  add(t: number, v: number | undefined): void {
    if (!Number.isFinite(t)) return;
    const value = v !== undefined && Number.isFinite(v) ? v : undefined;
    const raw = this.#raw;
    if (raw === undefined) {
      this.#insert(t, value);
      return;
    }
    // A run of holes draws the same as one hole.
    if (value === undefined && raw.length > 0 && raw[raw.length - 1]?.v === undefined) return;
    raw.push({ t, v: value });
    if (raw.length > this.#capacity) this.#switchToBuckets(raw);
  }

  /** Runs of samples in time order; a hole in the data starts a new run. */
  segments(): Sample[][] {
    const out: Sample[][] = [];
    let run: Sample[] = [];
    const cut = (): void => {
      if (run.length > 0) out.push(run);
      run = [];
    };
    if (this.#raw) {
      for (const e of sortedByTime(this.#raw)) {
        if (e.v === undefined) cut();
        else run.push({ t: e.t, v: e.v });
      }
    } else {
      for (const b of this.#buckets) {
        if (b === undefined) continue;
        if (b === 'gap') {
          cut();
          continue;
        }
        if (b.gapBefore) cut();
        run.push(...bucketSamples(b));
        if (b.gapAfter) cut();
      }
    }
    cut();
    return out;
  }

  #switchToBuckets(raw: Entry[]): void {
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const e of raw) {
      lo = Math.min(lo, e.t);
      hi = Math.max(hi, e.t);
    }
    this.#origin = lo;
    // +1 µs keeps the latest value inside the last bucket instead of forcing a merge at once.
    this.#width = (hi - lo + 1) / this.#capacity;
    this.#buckets = new Array<Bucket | undefined>(this.#capacity);
    this.#raw = undefined;
    for (const e of raw) this.#insert(e.t, e.v);
  }

  #insert(t: number, v: number | undefined): void {
    if (t < this.#origin) this.#shiftFor(t);
    let i = Math.max(0, Math.floor((t - this.#origin) / this.#width));
    while (i >= this.#capacity) {
      this.#double();
      i = Math.max(0, Math.floor((t - this.#origin) / this.#width));
    }
    this.#buckets[i] = addTo(this.#buckets[i], t, v);
  }

  #double(): void {
    const merged = new Array<Bucket | undefined>(this.#capacity);
    this.#buckets.forEach((b, i) => {
      const j = i >> 1;
      merged[j] = merge(merged[j], b);
    });
    this.#buckets = merged;
    this.#width *= 2;
  }

  /** An out-of-order value earlier than the first bucket: move the buckets right (merging if needed). */
  #shiftFor(t: number): void {
    let hi = this.#buckets.length - 1;
    while (hi >= 0 && this.#buckets[hi] === undefined) hi--;
    for (;;) {
      const shift = Math.ceil((this.#origin - t) / this.#width);
      if (hi + shift < this.#capacity) {
        const moved = new Array<Bucket | undefined>(this.#capacity);
        for (let i = 0; i <= hi; i++) moved[i + shift] = this.#buckets[i];
        this.#buckets = moved;
        this.#origin -= shift * this.#width;
        return;
      }
      this.#double();
      hi >>= 1;
    }
  }
}

function sortedByTime(entries: Entry[]): Entry[] {
  for (let i = 1; i < entries.length; i++) {
    const prev = entries[i - 1];
    const cur = entries[i];
    // Array.sort is stable, so a hole stays after the value it follows at the same time.
    if (prev !== undefined && cur !== undefined && cur.t < prev.t)
      return [...entries].sort((a, b) => a.t - b.t);
  }
  return entries;
}

function addTo(b: Bucket | undefined, t: number, v: number | undefined): Bucket {
  if (v === undefined) {
    if (b === undefined || b === 'gap') return 'gap';
    b.gapAfter = true;
    return b;
  }
  const s: Sample = { t, v };
  if (b === undefined || b === 'gap') {
    return { first: s, last: s, min: s, max: s, gapBefore: b === 'gap', gapAfter: false };
  }
  if (t < b.first.t) b.first = s;
  if (t >= b.last.t) b.last = s;
  if (v < b.min.v) b.min = s;
  if (v > b.max.v) b.max = s;
  // A hole narrower than one bucket (one pixel column) is not drawn.
  b.gapAfter = false;
  return b;
}

/** `a` is the earlier bucket. */
function merge(a: Bucket | undefined, b: Bucket | undefined): Bucket | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  if (a === 'gap') return b === 'gap' ? 'gap' : { ...b, gapBefore: true };
  if (b === 'gap') return { ...a, gapAfter: true };
  return {
    first: a.first,
    last: b.last,
    min: b.min.v < a.min.v ? b.min : a.min,
    max: b.max.v > a.max.v ? b.max : a.max,
    gapBefore: a.gapBefore,
    gapAfter: b.gapAfter,
  };
}

/** first, min, max, last in time order, each once: at most 4 per bucket. */
function bucketSamples(b: Filled): Sample[] {
  const picked: Sample[] = [];
  for (const s of [b.first, b.min, b.max, b.last].sort((x, y) => x.t - y.t)) {
    const prev = picked[picked.length - 1];
    if (prev === undefined || prev.t !== s.t || prev.v !== s.v) picked.push(s);
  }
  return picked;
}
