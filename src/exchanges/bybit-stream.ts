/**
 * Bybit spot over WebSocket: `orderbook.1.<SYMBOL>`, the level-1 book (pushed every 10 ms on change;
 * since 2025-03-27 snapshot messages only, re-sent unchanged every 3 s with the same `u`).
 *
 *   subscribe  {"op":"subscribe","args":["orderbook.1.BTCUSDT"]} (at most 10 args per message)
 *   ack        {"success":true,"ret_msg":"subscribe","conn_id":"…","op":"subscribe"}
 *              {"success":false,"ret_msg":"Invalid symbol :[orderbook.1.NOPEUSDT]",…,"op":"subscribe"}
 *   data       {"topic":"orderbook.1.BTCUSDT","ts":1748980103101,"type":"snapshot","data":{"s":"BTCUSDT",
 *              "b":[["106285.8","0.794865"]],"a":[["106285.9","1.269905"]],"u":…,"seq":…},"cts":…}
 *   keepalive  {"op":"ping"} every 20 s, answered {"success":true,"ret_msg":"pong",…,"op":"ping"}
 *
 * What the snapshot holds: timestamp = `cts` (the matching engine's time, ms), else `ts`; sequence =
 * `u`, the level-1 book's update id; levels [price, size]. Older frames sent `type:"delta"` with a
 * size "0" for a removed level: both forms are read.
 * Missed updates: `u` = 1 means the service restarted (the message is a fresh snapshot; counted as a
 * gap); a `u` going back is a reset (a gap); the same `u` again is the 3 s re-push (a duplicate,
 * stored nothing). A gap between values cannot be proved: `u` skips values between pushes.
 */
import { z } from 'zod';
import type { Level } from '../snapshot.js';
import type { StreamDecoder, StreamEvent, StreamProduct } from '../stream/stream-adapter.js';
import { STREAM_LIMITS } from '../stream/stream-limits.js';
import {
  checkSequence,
  DECIMAL_TEXT,
  firstIssue,
  isZeroText,
  ProductDecoder,
  parseFrame,
  preview,
  type SubscribeOp,
  textLevel,
} from '../stream/stream-support.js';
import { SubscribingStream } from '../stream/subscribing-stream.js';
import { bybitSymbol } from './bybit.js';
import { timestampFromMillis } from './venue-support.js';

const TOPIC = 'orderbook.1.';

const dataSchema = z.object({
  topic: z.string(),
  type: z.string(),
  ts: z.union([z.number(), z.string()]),
  cts: z.union([z.number(), z.string()]).optional(),
  data: z.object({
    s: z.string(),
    b: z.array(textLevel),
    a: z.array(textLevel),
    u: z.number(),
  }),
});
const ackSchema = z.object({
  op: z.string(),
  success: z.boolean().optional(),
  ret_msg: z.string().optional(),
});

export class BybitStream extends SubscribingStream {
  readonly id = 'bybit' as const;
  readonly limits = STREAM_LIMITS.bybit;
  readonly keepalive = { everyMs: 20_000, message: JSON.stringify({ op: 'ping' }) };

  nativeSymbol(productId: string): string | undefined {
    return bybitSymbol(productId);
  }

  protected message(op: SubscribeOp, products: readonly StreamProduct[]): string {
    return operation(op, products);
  }

  createDecoder(products: readonly StreamProduct[]): StreamDecoder {
    return new BybitDecoder(products);
  }
}

function operation(op: SubscribeOp, products: readonly StreamProduct[]): string {
  return JSON.stringify({ op, args: products.map((p) => `${TOPIC}${p.native}`) });
}

class BybitDecoder extends ProductDecoder {
  /** The top as the last message left it (legacy delta frames change it in place). */
  private readonly tops = new Map<string, { bid: Level | undefined; ask: Level | undefined }>();

  override reset(productId: string): void {
    super.reset(productId);
    this.tops.delete(productId);
  }

  decode(text: string, out: StreamEvent[]): void {
    const frame = parseFrame(text, out);
    if (frame === undefined) return;
    if (typeof frame === 'object' && frame !== null && 'op' in frame) return this.ack(frame, text, out);
    const parsed = dataSchema.safeParse(frame);
    if (!parsed.success) {
      out.push({ type: 'malformed', detail: `orderbook: ${firstIssue(parsed.error)}` });
      return;
    }
    const m = parsed.data;
    if (!m.topic.startsWith(TOPIC)) {
      out.push({ type: 'unknown', detail: `topic ${m.topic}` });
      return;
    }
    const productId = this.ours.get(m.data.s);
    if (productId === undefined) return;
    const timestamp = timestampFromMillis(m.cts ?? m.ts) ?? timestampFromMillis(m.ts);
    if (timestamp === undefined) {
      out.push({ type: 'malformed', detail: `orderbook ${m.data.s}: unreadable ts/cts` });
      return;
    }
    const u = String(m.data.u);
    let fresh = m.type === 'snapshot';
    if (u === '1') {
      out.push({
        type: 'gap',
        productId,
        detail: 'u = 1: the venue restarted; taking the message as a fresh snapshot',
      });
      this.sequences.forget(productId);
      fresh = true;
    }
    if (checkSequence(this.sequences, productId, u, out, 'a reset: u went back to') === 'back') fresh = true;
    const previous = this.tops.get(productId);
    if (!fresh && previous === undefined) {
      // A delta with no snapshot before it cannot be applied.
      out.push({ type: 'resync', productId, reason: 'delta before any snapshot' });
      return;
    }
    const bid = applySide(fresh, previous?.bid, m.data.b);
    const ask = applySide(fresh, previous?.ask, m.data.a);
    if (bid === null || ask === null) {
      out.push({ type: 'malformed', detail: `orderbook ${m.data.s}: a price or size is not a decimal` });
      return;
    }
    this.tops.set(productId, { bid, ask });
    out.push({ type: 'quote', quote: { productId, bid, ask, timestamp, sequence: u } });
  }

  private ack(frame: object, text: string, out: StreamEvent[]): void {
    const parsed = ackSchema.safeParse(frame);
    if (!parsed.success) {
      out.push({ type: 'malformed', detail: `ack: ${firstIssue(parsed.error)}` });
      return;
    }
    const a = parsed.data;
    if (a.success !== false || a.op !== 'subscribe') {
      out.push({ type: 'heartbeat' });
      return;
    }
    const message = a.ret_msg ?? preview(text);
    // "already subscribed" after a resubscribe is not a refusal.
    if (/already/i.test(message)) {
      out.push({ type: 'heartbeat' });
      return;
    }
    const named = [...message.matchAll(/orderbook\.1\.([A-Z0-9]+)/g)].flatMap(
      (m) => this.ours.get(m[1] ?? '') ?? [],
    );
    out.push({ type: 'rejected', productIds: named, message: `bybit: ${message}` });
  }
}

/**
 * The side after a message: a snapshot's first level (or empty); for a legacy delta, a level with a
 * non-zero size replaces the top and a zero size at the top's price empties it. null = unreadable.
 */
function applySide(
  fresh: boolean,
  previous: Level | undefined,
  levels: readonly (readonly unknown[])[],
): Level | undefined | null {
  let top = fresh ? undefined : previous;
  for (const entry of fresh ? levels.slice(0, 1) : levels) {
    const [price, size] = entry as [string, string];
    if (!DECIMAL_TEXT.test(price) || !DECIMAL_TEXT.test(size)) return null;
    if (!isZeroText(size)) top = [price, size];
    else if (top !== undefined && Number(top[0]) === Number(price)) top = undefined;
  }
  return top;
}
