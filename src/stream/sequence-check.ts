/**
 * Monotonic checks of a venue's update ids, per product. On level-1 feeds the ids skip values
 * between messages (updates are merged), so a jump proves nothing; what can be seen is the same id
 * again (a re-push), an id going backwards (a reset or a replay), and a venue's restart marker.
 */

export type SequenceStep = 'first' | 'next' | 'same' | 'back';

/** Compares two non-negative decimal integer strings of any length, without parsing them. */
export function compareSequence(a: string, b: string): -1 | 0 | 1 {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

export class SequenceTracker {
  private readonly last = new Map<string, string>();

  /** Records `sequence` for the product and says how it relates to the one before. */
  step(productId: string, sequence: string): SequenceStep {
    const previous = this.last.get(productId);
    this.last.set(productId, sequence);
    if (previous === undefined) return 'first';
    const c = compareSequence(sequence, previous);
    return c > 0 ? 'next' : c === 0 ? 'same' : 'back';
  }

  forget(productId: string): void {
    this.last.delete(productId);
  }
}
