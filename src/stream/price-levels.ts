/**
 * One side of a local order book (Coinbase level2_batch), kept sorted best first so the top is
 * O(1) and a change is a binary search plus a splice.
 *
 * Levels are identified by the price's numeric value, because the venue writes the same price with
 * different trailing zeros in a snapshot ("10101.10") and in an update ("10101.10000000"); the text
 * kept for a level is the one of the message that last set it, so what is stored is what was sent.
 * Doubles identify prices exactly up to 15 significant digits, beyond any venue's tick.
 */
import type { Level } from '../snapshot.js';

export class PriceLevels {
  /** Prices best first: descending for bids, ascending for asks. */
  private readonly order: number[] = [];
  private readonly levels = new Map<number, Level>();

  constructor(private readonly descending: boolean) {}

  get size(): number {
    return this.order.length;
  }

  /** The best level as last sent, or undefined when the side is empty. */
  best(): Level | undefined {
    const top = this.order[0];
    return top === undefined ? undefined : this.levels.get(top);
  }

  /** The numeric value of the best price (for the crossed-book check). */
  bestValue(): number | undefined {
    return this.order[0];
  }

  /** Sets a level's size; a zero size removes it. `value`/`zero` are the caller's parsed price and size test. */
  set(value: number, price: string, size: string, zero: boolean): void {
    const known = this.levels.has(value);
    if (zero) {
      if (!known) return;
      this.levels.delete(value);
      this.order.splice(this.position(value), 1);
      return;
    }
    this.levels.set(value, [price, size]);
    if (!known) this.order.splice(this.position(value), 0, value);
  }

  clear(): void {
    this.order.length = 0;
    this.levels.clear();
  }

  /** Index of `value` in `order`, or where it would go. */
  private position(value: number): number {
    let lo = 0;
    let hi = this.order.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const v = this.order[mid] as number;
      if (this.descending ? v > value : v < value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
