/**
 * Binance spot over WebSocket: `<symbol>@bookTicker` on the combined-stream endpoint, the streams
 * named in the URL (`/stream?streams=btcusdt@bookTicker/ethusdt@bookTicker`), so nothing is sent.
 *
 *   data   {"stream":"btcusdt@bookTicker","data":{"u":400900217,"s":"BTCUSDT","b":"25.35190000","B":"31.21000000","a":"25.36520000","A":"40.66000000"}}
 *
 * What the snapshot holds: timestamp = the receipt time, marked `timestamp_source=received`
 * (bookTicker carries no event time, as on REST); sequence = `u`, the book update id, read from the
 * text so that no value can be rounded; a zero quantity ("0.00000000") is an empty side.
 *
 * Liveness: the server pings every 20 s (ws answers); connections are rotated before the 24 h cut.
 * A subscription brings no snapshot and an unknown symbol brings no error, so after each (re)connect
 * the products' tops are read once over REST (bookTicker), which also names unknown symbols.
 *
 * Missed updates: `u` skips values between bookTicker messages, so a gap cannot be proved; a `u`
 * seen again is a duplicate and a smaller `u` a regression (counted as a gap). Every message is a
 * whole top, so a missed one never corrupts what follows.
 */
import { z } from 'zod';
import type { StreamAdapter, StreamDecoder, StreamEvent, StreamProduct } from '../stream/stream-adapter.js';
import { STREAM_LIMITS } from '../stream/stream-limits.js';
import { checkSequence, firstIssue, ProductDecoder, parseFrame, preview } from '../stream/stream-support.js';
import { binanceSymbol } from './binance.js';
import { tickerSide } from './venue-support.js';

const tickerSchema = z.object({
  s: z.string(),
  b: z.string(),
  B: z.string(),
  a: z.string(),
  A: z.string(),
});
const frameSchema = z.object({ stream: z.string(), data: z.unknown() });

export class BinanceStream implements StreamAdapter {
  readonly id = 'binance' as const;
  readonly limits = STREAM_LIMITS.binance;
  readonly keepalive = undefined;
  readonly rejectionFailsWholeSubscribe = false;
  readonly restSnapshotOnConnect = true;

  nativeSymbol(productId: string): string | undefined {
    return binanceSymbol(productId);
  }

  connectionUrl(base: string, products: readonly StreamProduct[]): string {
    const streams = products.map((p) => `${p.native.toLowerCase()}@bookTicker`).join('/');
    return `${base.replace(/\/+$/, '')}/stream?streams=${streams}`;
  }

  subscribeMessages(): string[] {
    return [];
  }

  /** Every bookTicker message is a whole top: there is nothing to resynchronise. */
  resubscribeMessages(): string[] {
    return [];
  }

  createDecoder(products: readonly StreamProduct[]): StreamDecoder {
    return new BinanceDecoder(products);
  }
}

class BinanceDecoder extends ProductDecoder {
  decode(text: string, out: StreamEvent[]): void {
    if (text.includes('serverShutdown')) {
      out.push({ type: 'closing', reason: 'serverShutdown' });
      return;
    }
    const frame = parseFrame(text, out);
    if (frame === undefined) return;
    const combined = frameSchema.safeParse(frame);
    if (!combined.success) {
      const f = frame as { result?: unknown; id?: unknown; code?: unknown; msg?: unknown };
      if ('id' in f && 'result' in f) out.push({ type: 'heartbeat' });
      else if (typeof f.msg === 'string')
        out.push({ type: 'venue_error', message: `binance: ${f.msg} (${String(f.code)})` });
      else out.push({ type: 'unknown', detail: preview(text) });
      return;
    }
    if (!combined.data.stream.endsWith('@bookTicker')) {
      out.push({ type: 'unknown', detail: `stream ${combined.data.stream}` });
      return;
    }
    const parsed = tickerSchema.safeParse(combined.data.data);
    // `u` from the text: JSON.parse would round an id past 2^53.
    const u = /"u":(\d+)/.exec(text)?.[1];
    if (!parsed.success || u === undefined) {
      out.push({
        type: 'malformed',
        detail: `bookTicker: ${parsed.success ? 'u: missing' : firstIssue(parsed.error)}`,
      });
      return;
    }
    const t = parsed.data;
    const productId = this.ours.get(t.s);
    if (productId === undefined) return;
    const bids = tickerSide(t.b, t.B);
    const asks = tickerSide(t.a, t.A);
    if (bids === undefined || asks === undefined) {
      out.push({ type: 'malformed', detail: `bookTicker ${t.s}: prices/quantities are not decimal strings` });
      return;
    }
    checkSequence(this.sequences, productId, u, out, 'the update id went back to');
    out.push({
      type: 'quote',
      quote: { productId, bid: bids[0], ask: asks[0], timestamp: undefined, sequence: u },
    });
  }
}
