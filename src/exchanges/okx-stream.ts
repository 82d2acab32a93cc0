/**
 * OKX over WebSocket: `bbo-tbt`, the tick-by-tick best bid/offer (top 1, pushed on change).
 *
 *   subscribe  {"op":"subscribe","args":[{"channel":"bbo-tbt","instId":"BTC-USDT"}]}
 *   ack        {"event":"subscribe","arg":{"channel":"bbo-tbt","instId":"BTC-USDT"},"connId":"…"}
 *   error      {"event":"error","code":"60018","msg":"… instId:NOPE-USDT doesn't exist","connId":"…"}
 *   data       {"arg":{"channel":"bbo-tbt","instId":"BTC-USDT"},"data":[{"asks":[["31774.7","0.14368878","0","3"]],
 *              "bids":[["31774.6","0.3392211","0","3"]],"ts":"1654032991947","seqId":123}]}
 *   notice     {"event":"notice","code":"64008",…}: the connection closes soon for an upgrade → reconnect now
 *   keepalive  the text `ping` every 20 s, answered by the text `pong` (the server drops a connection
 *              silent for 30 s)
 *
 * What the snapshot holds: timestamp = `ts` (epoch ms); sequence = `seqId` where sent (older frames
 * lack it: ''); levels [price, size] (the deprecated "0" and the order count are not kept, as on REST).
 * Missed updates: seqId only increases; a repeat is a duplicate and a decrease a reset (counted as a
 * gap). Every message is a whole top, so a missed one never corrupts what follows.
 */
import { z } from 'zod';
import type { StreamDecoder, StreamEvent, StreamProduct } from '../stream/stream-adapter.js';
import { STREAM_LIMITS } from '../stream/stream-limits.js';
import {
  checkSequence,
  firstIssue,
  ProductDecoder,
  parseFrame,
  preview,
  type SubscribeOp,
  textLevel,
} from '../stream/stream-support.js';
import { SubscribingStream } from '../stream/subscribing-stream.js';
import { okxInstId } from './okx.js';
import { tickerSide, timestampFromMillis } from './venue-support.js';

const CHANNEL = 'bbo-tbt';

const dataSchema = z.object({
  arg: z.object({ channel: z.string(), instId: z.string() }),
  data: z.array(
    z.object({
      asks: z.array(textLevel),
      bids: z.array(textLevel),
      ts: z.union([z.string(), z.number()]),
      seqId: z.number().optional(),
    }),
  ),
});
const eventSchema = z.object({
  event: z.string(),
  code: z.string().optional(),
  msg: z.string().optional(),
  arg: z.object({ instId: z.string().optional() }).passthrough().optional(),
});

export class OkxStream extends SubscribingStream {
  readonly id = 'okx' as const;
  readonly limits = STREAM_LIMITS.okx;
  readonly keepalive = { everyMs: 20_000, message: 'ping' };

  nativeSymbol(productId: string): string | undefined {
    return okxInstId(productId);
  }

  protected message(op: SubscribeOp, products: readonly StreamProduct[]): string {
    return operation(op, products);
  }

  createDecoder(products: readonly StreamProduct[]): StreamDecoder {
    return new OkxDecoder(products);
  }
}

function operation(op: SubscribeOp, products: readonly StreamProduct[]): string {
  return JSON.stringify({ op, args: products.map((p) => ({ channel: CHANNEL, instId: p.native })) });
}

class OkxDecoder extends ProductDecoder {
  decode(text: string, out: StreamEvent[]): void {
    if (text === 'pong') {
      out.push({ type: 'heartbeat' });
      return;
    }
    const frame = parseFrame(text, out);
    if (frame === undefined) return;
    if (typeof frame === 'object' && frame !== null && 'event' in frame) return this.event(frame, text, out);
    const parsed = dataSchema.safeParse(frame);
    if (!parsed.success) {
      out.push({ type: 'malformed', detail: `${CHANNEL}: ${firstIssue(parsed.error)}` });
      return;
    }
    const { arg, data } = parsed.data;
    if (arg.channel !== CHANNEL) {
      out.push({ type: 'unknown', detail: `channel ${arg.channel}` });
      return;
    }
    const productId = this.ours.get(arg.instId);
    if (productId === undefined) return;
    // seqId from the text where it is the only one, so that no value can be rounded.
    const seqIds = text.match(/"seqId":(\d+)/g);
    for (const d of data) {
      const bids = tickerSide(d.bids[0]?.[0] ?? '', d.bids[0]?.[1] ?? '');
      const asks = tickerSide(d.asks[0]?.[0] ?? '', d.asks[0]?.[1] ?? '');
      const timestamp = timestampFromMillis(d.ts);
      if (bids === undefined || asks === undefined || timestamp === undefined) {
        out.push({ type: 'malformed', detail: `${CHANNEL} ${arg.instId}: unreadable prices, sizes or ts` });
        continue;
      }
      let sequence = '';
      if (d.seqId !== undefined) {
        sequence = data.length === 1 && seqIds?.length === 1 ? (seqIds[0]?.slice(8) ?? '') : String(d.seqId);
        checkSequence(this.sequences, productId, sequence, out, 'a reset: seqId went back to');
      }
      out.push({ type: 'quote', quote: { productId, bid: bids[0], ask: asks[0], timestamp, sequence } });
    }
  }

  private event(frame: object, text: string, out: StreamEvent[]): void {
    const parsed = eventSchema.safeParse(frame);
    if (!parsed.success) {
      out.push({ type: 'malformed', detail: `event: ${firstIssue(parsed.error)}` });
      return;
    }
    const e = parsed.data;
    if (e.event === 'subscribe') {
      const productId = e.arg?.instId === undefined ? undefined : this.ours.get(e.arg.instId);
      out.push({ type: 'subscribed', productIds: productId ? [productId] : [] });
    } else if (e.event === 'unsubscribe') {
      out.push({ type: 'heartbeat' });
    } else if (e.event === 'notice' && e.code === '64008') {
      out.push({ type: 'closing', reason: `OKX notice 64008: ${e.msg ?? 'service upgrade'}` });
    } else if (e.event === 'error') {
      const instId = /instId:([A-Z0-9]+(?:-[A-Z0-9]+)+)/.exec(e.msg ?? '')?.[1];
      const productId = instId === undefined ? undefined : this.ours.get(instId);
      if (productId !== undefined)
        out.push({ type: 'rejected', productIds: [productId], message: `okx: ${e.msg} (${e.code})` });
      else out.push({ type: 'venue_error', message: `okx: ${e.msg ?? preview(text)} (${e.code ?? '?'})` });
    } else {
      out.push({ type: 'unknown', detail: preview(text) });
    }
  }
}
