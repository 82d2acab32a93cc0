/**
 * Kraken spot over WebSocket v2: the `ticker` channel with `event_trigger: "bbo"` (the default,
 * `trades`, fires only on trades), which pushes the best bid/ask with sizes whenever they change.
 *
 *   subscribe  {"method":"subscribe","params":{"channel":"ticker","symbol":["BTC/USD"],"event_trigger":"bbo","snapshot":true}}
 *   ack        {"method":"subscribe","result":{"channel":"ticker","symbol":"BTC/USD",…},"success":true,…}, one per symbol,
 *              or {"method":"subscribe","error":"Currency pair not supported NOPE/USD","success":false,…}
 *   data       {"channel":"ticker","type":"snapshot"|"update","data":[{"symbol":"BTC/USD","bid":0.10025,"bid_qty":740.0,
 *              "ask":0.10036,"ask_qty":1361.44813783,…,"timestamp":"2023-09-25T09:04:31.742648Z"}]}
 *   heartbeat  {"channel":"heartbeat"} about once a second
 *
 * Prices and sizes come as JSON NUMBERS. Frames are parsed losslessly (lossless-json), so each
 * value keeps the digits Kraken wrote ("740.0", "0.99980"); no float round trip reaches the store.
 * Status frames carry a connection_id above 2^53, which the same parse keeps exact.
 *
 * What the snapshot holds: timestamp = the ticker's `timestamp` (µs; receipt time when absent or a
 * placeholder); sequence '' (the ticker has none); levels [price, size] as written.
 * Symbols: v2 names pairs BASE/QUOTE with common codes (BTC/USD, not XBT/USD).
 * Missed updates: the ticker has no sequence or checksum; nothing can be detected. Every message
 * carries the whole top, so a missed one never corrupts what follows.
 */
import { parse as parseLossless } from 'lossless-json';
import { z } from 'zod';
import type { Level } from '../snapshot.js';
import type { StreamDecoder, StreamEvent, StreamProduct } from '../stream/stream-adapter.js';
import { STREAM_LIMITS } from '../stream/stream-limits.js';
import {
  DECIMAL_TEXT,
  firstIssue,
  isZeroText,
  ProductDecoder,
  preview,
  type SubscribeOp,
  venueTime,
} from '../stream/stream-support.js';
import { SubscribingStream } from '../stream/subscribing-stream.js';
import { splitPair } from './venue-support.js';

const tickerSchema = z.object({
  symbol: z.string(),
  bid: z.string(),
  bid_qty: z.string(),
  ask: z.string(),
  ask_qty: z.string(),
  timestamp: z.string().optional(),
});
const ackSchema = z.object({
  method: z.string(),
  success: z.boolean().optional(),
  error: z.string().optional(),
  result: z.object({ symbol: z.string().optional() }).passthrough().optional(),
});
const dataSchema = z.object({
  channel: z.string(),
  type: z.string().optional(),
  data: z.array(z.unknown()).optional(),
});

/** `BTC-USD` → `BTC/USD` (v2 uses common asset codes). */
export function krakenWsSymbol(productId: string): string | undefined {
  const pair = splitPair(productId);
  return pair ? `${pair.base}/${pair.quote}` : undefined;
}

export class KrakenStream extends SubscribingStream {
  readonly id = 'kraken' as const;
  readonly limits = STREAM_LIMITS.kraken;
  readonly keepalive = undefined;

  nativeSymbol(productId: string): string | undefined {
    return krakenWsSymbol(productId);
  }

  protected message(op: SubscribeOp, products: readonly StreamProduct[]): string {
    return subscription(op, products);
  }

  createDecoder(products: readonly StreamProduct[]): StreamDecoder {
    return new KrakenDecoder(products);
  }
}

function subscription(method: SubscribeOp, products: readonly StreamProduct[]): string {
  const symbols = products.map((p) => p.native);
  const params =
    method === 'subscribe'
      ? { channel: 'ticker', symbol: symbols, event_trigger: 'bbo', snapshot: true }
      : { channel: 'ticker', symbol: symbols, event_trigger: 'bbo' };
  return JSON.stringify({ method, params });
}

/** Every JSON number kept as the text Kraken wrote. */
function parseKeepingDigits(text: string): unknown {
  return parseLossless(text, null, (digits: string) => digits);
}

/** No state beyond the base's: every ticker message is a whole top. */
class KrakenDecoder extends ProductDecoder {
  decode(text: string, out: StreamEvent[]): void {
    let frame: unknown;
    try {
      frame = parseKeepingDigits(text);
    } catch {
      out.push({ type: 'malformed', detail: `not JSON: ${preview(text)}` });
      return;
    }
    if (typeof frame !== 'object' || frame === null) {
      out.push({ type: 'unknown', detail: preview(text) });
      return;
    }
    if ('method' in frame) return this.ack(frame, text, out);
    const parsed = dataSchema.safeParse(frame);
    if (!parsed.success) {
      out.push({ type: 'unknown', detail: preview(text) });
      return;
    }
    const { channel, data } = parsed.data;
    if (channel === 'heartbeat' || channel === 'status') {
      out.push({ type: 'heartbeat' });
      return;
    }
    if (channel !== 'ticker') {
      out.push({ type: 'unknown', detail: `channel ${channel}` });
      return;
    }
    for (const item of data ?? []) this.ticker(item, out);
  }

  private ticker(item: unknown, out: StreamEvent[]): void {
    const parsed = tickerSchema.safeParse(item);
    if (!parsed.success) {
      out.push({ type: 'malformed', detail: `ticker: ${firstIssue(parsed.error)}` });
      return;
    }
    const t = parsed.data;
    const productId = this.ours.get(t.symbol);
    if (productId === undefined) return;
    const bid = side(t.bid, t.bid_qty);
    const ask = side(t.ask, t.ask_qty);
    if (bid === null || ask === null) {
      out.push({ type: 'malformed', detail: `ticker ${t.symbol}: a price or size is not a decimal` });
      return;
    }
    out.push({
      type: 'quote',
      quote: { productId, bid, ask, timestamp: venueTime(t.timestamp), sequence: '' },
    });
  }

  private ack(frame: object, text: string, out: StreamEvent[]): void {
    const parsed = ackSchema.safeParse(frame);
    if (!parsed.success) {
      out.push({ type: 'malformed', detail: `ack: ${firstIssue(parsed.error)}` });
      return;
    }
    const a = parsed.data;
    if (a.method === 'pong' || a.method === 'unsubscribe') {
      out.push({ type: 'heartbeat' });
      return;
    }
    if (a.method !== 'subscribe') {
      out.push({ type: 'unknown', detail: preview(text) });
      return;
    }
    const symbol = a.result?.symbol ?? /([A-Z0-9]+\/[A-Z0-9]+)/.exec(a.error ?? '')?.[1];
    const productId = symbol === undefined ? undefined : this.ours.get(symbol);
    if (a.success === true) {
      out.push({ type: 'subscribed', productIds: productId ? [productId] : [] });
      return;
    }
    out.push({
      type: 'rejected',
      productIds: productId ? [productId] : [],
      message: `kraken: ${a.error ?? 'subscription refused'}`,
    });
  }
}

/** A level from Kraken's number text; undefined = empty side, null = unreadable. */
function side(price: string, size: string): Level | undefined | null {
  if (!DECIMAL_TEXT.test(price) || !DECIMAL_TEXT.test(size)) return null;
  return isZeroText(size) ? undefined : [price, size];
}
