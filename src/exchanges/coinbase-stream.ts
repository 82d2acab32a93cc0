/**
 * Coinbase Exchange over WebSocket: `level2_batch` (public; a full-depth `snapshot`, then `l2update`
 * batches every 50 ms) kept as a local book per product, plus `heartbeat` for liveness. `ticker`
 * fires only on trades, so it cannot serve as L1.
 *
 *   subscribe  {"type":"subscribe","channels":[{"name":"level2_batch","product_ids":[…]},{"name":"heartbeat","product_ids":[…]}]}
 *              (product ids inside each channel: a top-level product_ids list is refused nowadays)
 *   snapshot   {"type":"snapshot","product_id":"BTC-USD","bids":[["10101.10","0.45054140"]],"asks":[…]}
 *   l2update   {"type":"l2update","product_id":"BTC-USD","changes":[["buy","10101.80000000","0.162567"]],"time":"…"}
 *              size = the level's new absolute size; a zero size ("0", "0.00000000") removes it
 *   error      {"type":"error","message":"Failed to subscribe","reason":"FOO-USD is not a valid product"}
 *              (the whole subscribe is ignored: the others are subscribed again)
 *
 * What the snapshot holds: timestamp = the l2update's `time` (µs; the receipt time for the initial
 * snapshot, which has none, and for the placeholder 0001-01-01); sequence '' (this channel has none);
 * levels [price, size] as last sent for that price.
 *
 * Missed updates: the channel has no sequence and no checksum, so a lost update cannot be proved;
 * a crossed book (best bid ≥ best ask) after an update is the one visible symptom, and resyncs the
 * product (unsubscribe + subscribe → a new snapshot). A snapshot that is itself crossed (auction)
 * is taken as the venue's truth.
 */
import { z } from 'zod';
import { isValidProductId } from '../product-id.js';
import { PriceLevels } from '../stream/price-levels.js';
import type { StreamDecoder, StreamEvent, StreamProduct } from '../stream/stream-adapter.js';
import { STREAM_LIMITS } from '../stream/stream-limits.js';
import {
  DECIMAL_TEXT,
  firstIssue,
  isZeroText,
  ProductDecoder,
  parseFrame,
  preview,
  resubscribeOne,
  type SubscribeOp,
  textLevel,
  venueTime,
} from '../stream/stream-support.js';
import { SubscribingStream } from '../stream/subscribing-stream.js';

const CHANNEL = 'level2_batch';

const snapshotSchema = z.object({
  product_id: z.string(),
  bids: z.array(textLevel),
  asks: z.array(textLevel),
  time: z.string().optional(),
});
const updateSchema = z.object({
  product_id: z.string(),
  changes: z.array(z.tuple([z.string(), z.string(), z.string()])),
  time: z.string().optional(),
});
const subscriptionsSchema = z.object({
  channels: z.array(z.object({ name: z.string(), product_ids: z.array(z.string()).optional() })),
});
const errorSchema = z.object({ message: z.string().optional(), reason: z.string().optional() });

function channels(productIds: readonly string[]) {
  return [
    { name: CHANNEL, product_ids: productIds },
    { name: 'heartbeat', product_ids: productIds },
  ];
}

export class CoinbaseStream extends SubscribingStream {
  readonly id = 'coinbase' as const;
  readonly limits = STREAM_LIMITS.coinbase;
  readonly keepalive = undefined;
  override readonly rejectionFailsWholeSubscribe = true;

  nativeSymbol(productId: string): string | undefined {
    return isValidProductId(productId) ? productId : undefined;
  }

  protected message(op: SubscribeOp, products: readonly StreamProduct[]): string {
    return JSON.stringify({ type: op, channels: channels(products.map((p) => p.native)) });
  }

  /** level2_batch alone: the heartbeat subscription stays. */
  override resubscribeMessages(product: StreamProduct): string[] {
    return resubscribeOne(product, (op, one) =>
      JSON.stringify({ type: op, channels: [{ name: CHANNEL, product_ids: one.map((p) => p.native) }] }),
    );
  }

  createDecoder(products: readonly StreamProduct[]): StreamDecoder {
    return new CoinbaseDecoder(products);
  }
}

interface Book {
  bids: PriceLevels;
  asks: PriceLevels;
  /** The snapshot itself was crossed (an auction): do not resync on a crossed top. */
  crossedByVenue: boolean;
}

/** Updates for a product with no book this long after the first: its snapshot is not coming. */
const SNAPSHOT_WAIT_MS = 10_000;

class CoinbaseDecoder extends ProductDecoder {
  private readonly books = new Map<string, Book>();
  /** Date.now() of the first update seen for a product that has no book yet. */
  private readonly bookless = new Map<string, number>();

  override reset(productId: string): void {
    super.reset(productId);
    this.books.delete(productId);
  }

  decode(text: string, out: StreamEvent[]): void {
    const frame = parseFrame(text, out);
    if (frame === undefined) return;
    const type = typeof frame === 'object' && frame !== null ? (frame as { type?: unknown }).type : undefined;
    switch (type) {
      case 'l2update':
        return this.update(frame, out);
      case 'snapshot':
        return this.snapshot(frame, out);
      case 'heartbeat':
        out.push({ type: 'heartbeat' });
        return;
      case 'subscriptions':
        return this.subscriptions(frame, out);
      case 'error':
        return this.error(frame, out);
      default:
        out.push({ type: 'unknown', detail: `type ${JSON.stringify(type)}: ${preview(text)}` });
    }
  }

  private snapshot(frame: unknown, out: StreamEvent[]): void {
    const parsed = snapshotSchema.safeParse(frame);
    if (!parsed.success) {
      out.push({ type: 'malformed', detail: `snapshot: ${firstIssue(parsed.error)}` });
      // A product's unreadable snapshot leaves it without a book: ask for another.
      const named = this.ours.get(String((frame as { product_id?: unknown }).product_id));
      if (named !== undefined) out.push({ type: 'resync', productId: named, reason: 'unreadable snapshot' });
      return;
    }
    const m = parsed.data;
    const productId = this.ours.get(m.product_id);
    if (productId === undefined) return;
    const book: Book = { bids: new PriceLevels(true), asks: new PriceLevels(false), crossedByVenue: false };
    const bad = fill(book.bids, m.bids) + fill(book.asks, m.asks);
    if (bad > 0)
      out.push({
        type: 'malformed',
        detail: `${m.product_id} snapshot: ${bad} level(s) with a bad price or size skipped`,
      });
    book.crossedByVenue = crossed(book);
    this.books.set(productId, book);
    this.bookless.delete(productId);
    out.push({ type: 'quote', quote: top(productId, book, venueTime(m.time)) });
  }

  private update(frame: unknown, out: StreamEvent[]): void {
    const parsed = updateSchema.safeParse(frame);
    if (!parsed.success) {
      out.push({ type: 'malformed', detail: `l2update: ${firstIssue(parsed.error)}` });
      return;
    }
    const m = parsed.data;
    const productId = this.ours.get(m.product_id);
    if (productId === undefined) return;
    // Updates before the product's snapshot (after a resync request) belong to no book yet; if the
    // snapshot does not follow, the subscription is asked for again.
    const book = this.books.get(productId);
    if (!book) {
      const since = this.bookless.get(productId);
      if (since === undefined) this.bookless.set(productId, Date.now());
      else if (Date.now() - since > SNAPSHOT_WAIT_MS) {
        this.bookless.delete(productId);
        out.push({ type: 'resync', productId, reason: 'updates but no snapshot for 10 s' });
      }
      return;
    }
    let bad = 0;
    for (const [side, price, size] of m.changes) {
      const levels = side === 'buy' ? book.bids : side === 'sell' ? book.asks : undefined;
      if (!levels || !DECIMAL_TEXT.test(price) || !DECIMAL_TEXT.test(size)) {
        bad += 1;
        continue;
      }
      levels.set(Number(price), price, size, isZeroText(size));
    }
    if (bad > 0)
      out.push({ type: 'malformed', detail: `${m.product_id} l2update: ${bad} change(s) skipped` });
    if (crossed(book) && !book.crossedByVenue) {
      this.books.delete(productId);
      out.push({ type: 'gap', productId, detail: 'crossed book after an update (best bid ≥ best ask)' });
      out.push({ type: 'resync', productId, reason: 'crossed book' });
      return;
    }
    if (!crossed(book)) book.crossedByVenue = false;
    out.push({ type: 'quote', quote: top(productId, book, venueTime(m.time)) });
  }

  private subscriptions(frame: unknown, out: StreamEvent[]): void {
    const parsed = subscriptionsSchema.safeParse(frame);
    if (!parsed.success) {
      out.push({ type: 'malformed', detail: `subscriptions: ${firstIssue(parsed.error)}` });
      return;
    }
    const channel = parsed.data.channels.find((c) => c.name === CHANNEL);
    const ids = (channel?.product_ids ?? []).flatMap((n) => this.ours.get(n) ?? []);
    out.push({ type: 'subscribed', productIds: ids });
  }

  private error(frame: unknown, out: StreamEvent[]): void {
    const parsed = errorSchema.safeParse(frame);
    const message = parsed.success
      ? [parsed.data.message, parsed.data.reason].filter(Boolean).join(': ')
      : '';
    const named = /([A-Z0-9]+(?:-[A-Z0-9]+)+) is not a valid product/.exec(message)?.[1];
    if (/failed to subscribe/i.test(message)) {
      const productId = named === undefined ? undefined : this.ours.get(named);
      out.push({
        type: 'rejected',
        productIds: productId ? [productId] : [],
        message: `coinbase: ${message}`,
      });
      return;
    }
    out.push({ type: 'venue_error', message: `coinbase: ${message || preview(JSON.stringify(frame))}` });
  }
}

/** Fills one side from snapshot levels; returns how many levels were unusable (skipped). */
function fill(levels: PriceLevels, entries: readonly (readonly unknown[])[]): number {
  let bad = 0;
  for (const entry of entries) {
    const [price, size] = entry as [string, string];
    if (!DECIMAL_TEXT.test(price) || !DECIMAL_TEXT.test(size)) {
      bad += 1;
      continue;
    }
    levels.set(Number(price), price, size, isZeroText(size));
  }
  return bad;
}

function crossed(book: Book): boolean {
  const bid = book.bids.bestValue();
  const ask = book.asks.bestValue();
  return bid !== undefined && ask !== undefined && bid >= ask;
}

function top(productId: string, book: Book, timestamp: string | undefined) {
  return { productId, bid: book.bids.best(), ask: book.asks.best(), timestamp, sequence: '' };
}
