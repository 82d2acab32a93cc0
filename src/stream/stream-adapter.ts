/**
 * The small interface every streaming venue implements (one file per venue, beside its REST
 * adapter: src/exchanges/<venue>-stream.ts), and the events its decoder produces.
 *
 * An adapter knows its venue's URL, subscribe messages, keepalive and message shapes, and nothing
 * else. Connections (reconnect, backoff, keepalive timer, silence timer, rotation, pacing) are
 * written once in feed-connection.ts; turning quotes into stored snapshots, once in capture/streamer.ts.
 */
import type { ExchangeId } from '../exchanges/exchange-ids.js';
import type { Level } from '../snapshot.js';
import type { StreamLimits } from './stream-limits.js';

/** The top of one product's book as the venue last showed it; prices and sizes are the venue's text. */
export interface Quote {
  productId: string;
  /** Best bid / ask as [price, size]; undefined when that side is empty. */
  bid: Level | undefined;
  ask: Level | undefined;
  /** The venue's time for this state, fixed form; undefined when the venue gives none (receipt time is used). */
  timestamp: string | undefined;
  /** The venue's update id / sequence as a decimal string; '' when it gives none. */
  sequence: string;
}

export type StreamEvent =
  /** A (possibly unchanged) top of book for a product. */
  | { type: 'quote'; quote: Quote }
  /** The venue confirmed these products' subscriptions. */
  | { type: 'subscribed'; productIds: readonly string[] }
  /** The venue refused these products (unknown symbol …); `productIds` empty when it did not say which. */
  | { type: 'rejected'; productIds: readonly string[]; message: string }
  /** The decoder found this product's state inconsistent and dropped it: ask the venue for a fresh snapshot. */
  | { type: 'resync'; productId: string; reason: string }
  /** Proof that updates were missed or the venue restarted (the next quote is a fresh state). */
  | { type: 'gap'; productId: string; detail: string }
  /** The same update id again (a re-push): harmless, counted. */
  | { type: 'duplicate'; productId: string }
  /** Liveness only: heartbeat, pong, subscription bookkeeping. */
  | { type: 'heartbeat' }
  /** A message we could not read (bad JSON, a field of the wrong shape): counted and skipped. */
  | { type: 'malformed'; detail: string }
  /** A well-formed message of a kind we do not use: counted and skipped. */
  | { type: 'unknown'; detail: string }
  /** An error frame from the venue not tied to a product. */
  | { type: 'venue_error'; message: string }
  /** The venue announced it will close this connection (maintenance): reconnect now. */
  | { type: 'closing'; reason: string };

/** Turns one connection's text frames into events. A new decoder per connection: no state crosses a reconnect. */
export interface StreamDecoder {
  decode(text: string, out: StreamEvent[]): void;
  /** Forgets a product's state (before asking the venue for a fresh snapshot of it). */
  reset(productId: string): void;
}

/** A product as a stream carries it: the unified id and the venue's own symbol. */
export interface StreamProduct {
  productId: string;
  native: string;
}

export interface StreamAdapter {
  readonly id: ExchangeId;
  readonly limits: StreamLimits;
  /** The venue's stream symbol for a unified BASE-QUOTE id; undefined when it cannot be a spot pair there. */
  nativeSymbol(productId: string): string | undefined;
  /** The URL of a connection carrying `products` (Binance names its streams in the URL). */
  connectionUrl(base: string, products: readonly StreamProduct[]): string;
  /** Messages that subscribe `products`, sent in order right after the connection opens. */
  subscribeMessages(products: readonly StreamProduct[]): string[];
  /** Messages that make the venue send a fresh snapshot of one product (resynchronisation). */
  resubscribeMessages(product: StreamProduct): string[];
  /** An application-level ping the venue wants from us; undefined where ws-level pings suffice. */
  readonly keepalive: { everyMs: number; message: string } | undefined;
  /**
   * True when subscribing brings no snapshot (Binance bookTicker pushes only on change): after each
   * (re)connect the products' current top is then read once over REST.
   */
  readonly restSnapshotOnConnect: boolean;
  /** True when one refused symbol makes the venue ignore its whole subscribe message (Coinbase). */
  readonly rejectionFailsWholeSubscribe: boolean;
  createDecoder(products: readonly StreamProduct[]): StreamDecoder;
}
