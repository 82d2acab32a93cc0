/**
 * Emit on change, not on message: a streamed quote becomes a snapshot only when the best bid, the
 * best ask or one of their sizes differs from the product's previous top. Values are compared as
 * decimals ('0.50' equals '0.5': Bybit drops trailing zeros, Coinbase pads them), while the text
 * stored is the venue's own.
 *
 * With a minimum interval D, at most one snapshot per product per window of D: the first change
 * opens a window, and when it ends the product's latest top is emitted if it differs from the last
 * one emitted (the last state of the window, never a superseded one).
 */
import { compareDecimal } from '../decimal.js';
import type { L1Snapshot, Level } from '../snapshot.js';

interface ProductTop {
  /** The latest top seen (what an update is compared with). */
  current: L1Snapshot;
  /** The last snapshot emitted; differs from `current` only inside a min-interval window. */
  emitted: L1Snapshot | undefined;
  timer: NodeJS.Timeout | undefined;
}

export type Offered = 'changed' | 'unchanged';

export class TopFilter {
  private readonly products = new Map<string, ProductTop>();

  constructor(
    private readonly emit: (snapshot: L1Snapshot) => void,
    private readonly minIntervalMs: number = 0,
  ) {}

  /** Offers the product's latest top; says whether it changed the top. */
  offer(snapshot: L1Snapshot): Offered {
    const key = `${snapshot.exchange}:${snapshot.product_id}`;
    const state = this.products.get(key);
    if (state !== undefined && sameTop(state.current, snapshot)) return 'unchanged';
    if (state === undefined) {
      const fresh: ProductTop = { current: snapshot, emitted: undefined, timer: undefined };
      this.products.set(key, fresh);
      this.release(fresh);
      return 'changed';
    }
    state.current = snapshot;
    if (state.timer === undefined) this.release(state);
    return 'changed';
  }

  /** Emits every product's pending top now (shutdown) and stops the window timers. */
  flush(): void {
    for (const state of this.products.values()) {
      if (state.timer === undefined) continue;
      clearTimeout(state.timer);
      state.timer = undefined;
      this.emitIfNew(state);
    }
  }

  private release(state: ProductTop): void {
    this.emitIfNew(state);
    if (this.minIntervalMs <= 0) return;
    state.timer = setTimeout(() => {
      state.timer = undefined;
      // A window with changes emits its last state and opens the next window.
      if (!sameTop(state.emitted, state.current)) this.release(state);
    }, this.minIntervalMs);
  }

  private emitIfNew(state: ProductTop): void {
    if (state.emitted !== undefined && sameTop(state.emitted, state.current)) return;
    state.emitted = state.current;
    this.emit(state.current);
  }
}

/** Same best bid, best ask and sizes, compared as decimals. */
export function sameTop(a: L1Snapshot | undefined, b: L1Snapshot): boolean {
  if (a === undefined) return false;
  return sameLevel(a.bids[0], b.bids[0]) && sameLevel(a.asks[0], b.asks[0]);
}

function sameLevel(a: Level | undefined, b: Level | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return sameDecimal(a[0], b[0]) && sameDecimal(a[1], b[1]);
}

/** Equal as numbers; the common cases (same text, or trailing zeros) without BigInt work. */
export function sameDecimal(a: string, b: string): boolean {
  if (a === b) return true;
  const x = plain(a);
  const y = plain(b);
  if (x !== undefined && y !== undefined) return x === y;
  return compareDecimal(a, b) === 0;
}

const PLAIN = /^\d+(\.\d+)?$/;

/** '007.500' → '7.5', '1.000' → '1', '0.0' → '0'; undefined for other forms (exponents). */
function plain(text: string): string | undefined {
  if (!PLAIN.test(text)) return undefined;
  let end = text.length;
  if (text.includes('.')) {
    while (text.charCodeAt(end - 1) === 48 /* 0 */) end--;
    if (text.charCodeAt(end - 1) === 46 /* . */) end--;
  }
  let start = 0;
  while (start < end - 1 && text.charCodeAt(start) === 48 && text.charCodeAt(start + 1) !== 46) start++;
  return text.slice(start, end);
}
