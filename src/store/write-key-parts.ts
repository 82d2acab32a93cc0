import type { L1Snapshot } from '../snapshot.js';
import { fromEpochMicros } from '../timestamp.js';
import { type KeyScheme, productMember } from './keys.js';

/**
 * Key parts one write() reuses: each product's index key and set member, built (and validated)
 * once per product instead of once per snapshot, and the text of the last whole second seen, since
 * the snapshots of one poll share it; the scheme (keys.ts) still builds and checks every key.
 */
export class WriteKeyParts {
  private readonly products = new Map<string, { index: string; member: string }>();
  private second = Number.NaN;
  private secondText = '';

  constructor(private readonly keys: KeyScheme) {}

  product(s: L1Snapshot): { index: string; member: string } {
    const id = `${s.exchange}:${s.product_id}`;
    let parts = this.products.get(id);
    if (parts === undefined) {
      parts = {
        index: this.keys.indexKey(s.exchange, s.product_id),
        member: productMember(s.exchange, s.product_id),
      };
      this.products.set(id, parts);
    }
    return parts;
  }

  snapshotKey(s: L1Snapshot, micros: number): string {
    // fromEpochMicros(micros), with the Date work done once per second.
    const whole = Math.floor(micros / 1_000_000);
    if (whole !== this.second) {
      this.second = whole;
      this.secondText = fromEpochMicros(whole * 1_000_000).slice(0, 19);
    }
    const timestamp = `${this.secondText}.${String(micros - whole * 1_000_000).padStart(6, '0')}Z`;
    return this.keys.snapshotKey(s.exchange, s.product_id, timestamp);
  }
}
