/** Small pieces the venue stream decoders share. */
import { z } from 'zod';
import { preview } from '../exchanges/venue-support.js';
import { normalizeTimestamp } from '../timestamp.js';
import { type SequenceStep, SequenceTracker } from './sequence-check.js';
import type { StreamDecoder, StreamEvent, StreamProduct } from './stream-adapter.js';

/** JSON.parse that reports a bad frame as a malformed event instead of throwing. */
export function parseFrame(text: string, out: StreamEvent[]): unknown {
  try {
    return JSON.parse(text);
  } catch {
    out.push({ type: 'malformed', detail: `not JSON: ${preview(text)}` });
    return undefined;
  }
}

/** The first zod issue of a failed parse, as `path: message`. */
export function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'unexpected shape';
}

/** A venue's RFC 3339 time in the fixed form; undefined for a placeholder (year 0001, epoch 0) or junk. */
export function venueTime(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const fixed = normalizeTimestamp(value);
  // Before 2001 is a placeholder, not the venue's clock (Coinbase has sent 0001-01-01).
  if (fixed === undefined || fixed < '2001') return undefined;
  return fixed;
}

/** The symbol of a zod schema for a [price, size, …] level whose first two entries are strings. */
export const textLevel = z.tuple([z.string(), z.string()]).rest(z.unknown());

export type SubscribeOp = 'subscribe' | 'unsubscribe';

/** Subscribe messages naming at most `per` products each, built by the venue's `message`. */
export function subscribeInChunks(
  products: readonly StreamProduct[],
  per: number,
  message: (op: SubscribeOp, products: readonly StreamProduct[]) => string,
): string[] {
  const out: string[] = [];
  for (let i = 0; i < products.length; i += per) out.push(message('subscribe', products.slice(i, i + per)));
  return out;
}

/** Unsubscribe then subscribe one product: the venue sends it a fresh snapshot. */
export function resubscribeOne(
  product: StreamProduct,
  message: (op: SubscribeOp, products: readonly StreamProduct[]) => string,
): string[] {
  return [message('unsubscribe', [product]), message('subscribe', [product])];
}

/** The venue's symbol → the product id, for a decoder's products. */
export function productsByNative(products: readonly StreamProduct[]): Map<string, string> {
  return new Map(products.map((p) => [p.native, p.productId]));
}

/**
 * Records a product's update id and reports what can be seen of it: a repeat is a duplicate, a
 * step back a gap (`back` says what the venue means by it). Returns the step.
 */
export function checkSequence(
  tracker: SequenceTracker,
  productId: string,
  sequence: string,
  out: StreamEvent[],
  back: string,
): SequenceStep {
  const step = tracker.step(productId, sequence);
  if (step === 'same') out.push({ type: 'duplicate', productId });
  else if (step === 'back') out.push({ type: 'gap', productId, detail: `${back} ${sequence}` });
  return step;
}

/**
 * What every decoder keeps: which of the venue's symbols are its products, and each product's last
 * update id. `reset` forgets a product before the venue sends it a fresh snapshot.
 */
export abstract class ProductDecoder implements StreamDecoder {
  protected readonly ours: Map<string, string>;
  protected readonly sequences = new SequenceTracker();

  constructor(products: readonly StreamProduct[]) {
    this.ours = productsByNative(products);
  }

  reset(productId: string): void {
    this.sequences.forget(productId);
  }

  abstract decode(text: string, out: StreamEvent[]): void;
}

export { DECIMAL_TEXT, isZeroText, preview } from '../exchanges/venue-support.js';
