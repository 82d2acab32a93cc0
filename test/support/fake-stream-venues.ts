/**
 * Loopback fakes of the five venues' public top-of-book streams, each speaking its documented
 * message shapes (shared/reference/streaming.md): subscriptions and their acks or refusals, the
 * snapshot a subscription brings, updates, heartbeats or ping/pong, and the venue's own way of
 * saying something went wrong (a restart marker, a sequence reset, a maintenance notice).
 *
 * The same small API on each, for tests and the benchmark:
 *   setTop(product, bid, ask)   one message that moves the top; recorded in `shown`
 *   repeatTop(product)          one message that leaves the top as it is (also recorded)
 * plus each venue's own faults. `shown` is the ground truth: what a client must have stored.
 */
import type { WebSocket } from 'ws';
import { FakeWsVenue, fixedMicros, type ShownTop } from './fake-ws-venue.js';

export type Side = [string, string] | undefined;

/** BTC-USDT → BTCUSDT. */
const joined = (productId: string) => productId.replace('-', '');

export interface StreamFake extends FakeWsVenue {
  native(productId: string): string;
  setTop(productId: string, bid: Side, ask: Side): void;
  repeatTop(productId: string): void;
}

// ---------------------------------------------------------------------------------------------
// Coinbase Exchange: level2_batch (snapshot + l2update) and heartbeat

interface CoinbaseBook {
  bids: Map<number, [string, string]>;
  asks: Map<number, [string, string]>;
}

export class FakeCoinbaseStream extends FakeWsVenue implements StreamFake {
  readonly books = new Map<string, CoinbaseBook>();
  private heartbeatSeq = 0;

  native(productId: string): string {
    return productId;
  }

  /** A product the venue lists, with a few levels per side (best first). */
  addProduct(productId: string, bids: [string, string][], asks: [string, string][]): this {
    this.books.set(productId, {
      bids: new Map(bids.map((l) => [Number(l[0]), l])),
      asks: new Map(asks.map((l) => [Number(l[0]), l])),
    });
    return this;
  }

  top(productId: string): { bid: Side; ask: Side } {
    const book = this.book(productId);
    const best = (m: Map<number, [string, string]>, desc: boolean) => {
      const prices = [...m.keys()].sort((a, b) => (desc ? b - a : a - b));
      return prices.length ? m.get(prices[0] as number) : undefined;
    };
    return { bid: best(book.bids, true), ask: best(book.asks, false) };
  }

  setTop(productId: string, bid: Side, ask: Side): void {
    const book = this.book(productId);
    const changes: [string, string, string][] = [];
    const zeros = ['0', '0.0', '0.00000000'];
    let z = 0;
    for (const [value, [price]] of book.bids)
      if (bid === undefined || value > Number(bid[0])) changes.push(['buy', price, zeros[z++ % 3] as string]);
    for (const [value, [price]] of book.asks)
      if (ask === undefined || value < Number(ask[0]))
        changes.push(['sell', price, zeros[z++ % 3] as string]);
    if (bid) changes.push(['buy', bid[0], bid[1]]);
    if (ask) changes.push(['sell', ask[0], ask[1]]);
    this.update(productId, changes);
  }

  repeatTop(productId: string): void {
    // A change deep in the book: the top stays.
    const deep = String(Math.max(1, Math.floor(Number(this.top(productId).bid?.[0] ?? '10') / 2)));
    this.update(productId, [['buy', `${deep}.00`, '1.5']]);
  }

  /**
   * The venue's book moves to (bid, ask), but the client misses the ask's update: it sees only the
   * new bid, which crosses the old ask. Nothing is recorded: the crossed state was never true.
   */
  missAskUpdate(productId: string, bid: [string, string], ask: [string, string]): void {
    const book = this.book(productId);
    const sent: [string, string, string][] = [['buy', bid[0], bid[1]]];
    for (const value of [...book.asks.keys()]) if (value < Number(ask[0])) book.asks.delete(value);
    book.asks.set(Number(ask[0]), ask);
    for (const value of [...book.bids.keys()]) if (value > Number(bid[0])) book.bids.delete(value);
    book.bids.set(Number(bid[0]), bid);
    this.publish(
      productId,
      JSON.stringify({
        type: 'l2update',
        product_id: productId,
        changes: sent,
        time: fixedMicros(this.tick()),
      }),
    );
  }

  /** An l2update with the placeholder time Coinbase has sent (0001-01-01): stored at receipt time. */
  setTopWithPlaceholderTime(productId: string, bid: [string, string]): void {
    this.apply(productId, [['buy', bid[0], bid[1]]]);
    this.publish(
      productId,
      JSON.stringify({
        type: 'l2update',
        product_id: productId,
        changes: [['buy', bid[0], bid[1]]],
        time: '0001-01-01T00:00:00.000000Z',
      }),
    );
    this.record(productId, undefined);
  }

  private update(productId: string, changes: [string, string, string][]): void {
    this.apply(productId, changes);
    const micros = this.tick();
    this.publish(
      productId,
      JSON.stringify({ type: 'l2update', product_id: productId, changes, time: fixedMicros(micros) }),
    );
    this.record(productId, fixedMicros(micros));
  }

  private apply(productId: string, changes: [string, string, string][]): void {
    const book = this.book(productId);
    for (const [side, price, size] of changes) {
      const levels = side === 'buy' ? book.bids : book.asks;
      if (Number(size) === 0) levels.delete(Number(price));
      else levels.set(Number(price), [price, size]);
    }
  }

  private record(productId: string, timestamp: string | undefined): void {
    const { bid, ask } = this.top(productId);
    this.shown.push({ productId, bid, ask, timestamp, sequence: '' });
  }

  private book(productId: string): CoinbaseBook {
    const book = this.books.get(productId);
    if (!book) throw new Error(`fake coinbase: no product ${productId}`);
    return book;
  }

  protected onClientMessage(ws: WebSocket, text: string): void {
    const m = JSON.parse(text) as {
      type: string;
      channels?: { name: string; product_ids: string[] }[];
      product_ids?: unknown;
    };
    const subs = this.subscriptions.get(ws);
    if (!subs) return;
    if (m.product_ids !== undefined || !Array.isArray(m.channels)) {
      // Today's venue refuses product ids outside the channel objects.
      this.send(
        ws,
        JSON.stringify({ type: 'error', message: 'Failed to subscribe', reason: ' is not a valid product' }),
      );
      return;
    }
    const level2 = m.channels.find((c) => c.name === 'level2_batch')?.product_ids ?? [];
    if (m.type === 'unsubscribe') {
      for (const id of level2) subs.delete(id);
      return;
    }
    const unknown = level2.find((id) => !this.books.has(id));
    if (unknown !== undefined) {
      // One bad product: the whole subscribe is ignored.
      this.send(
        ws,
        JSON.stringify({
          type: 'error',
          message: 'Failed to subscribe',
          reason: `${unknown} is not a valid product`,
        }),
      );
      return;
    }
    for (const id of level2) subs.add(id);
    this.send(
      ws,
      JSON.stringify({
        type: 'subscriptions',
        channels: [
          { name: 'level2_batch', product_ids: [...subs] },
          { name: 'heartbeat', product_ids: [...subs] },
        ],
      }),
    );
    for (const id of level2) {
      const book = this.book(id);
      const sorted = (m: Map<number, [string, string]>, desc: boolean) =>
        [...m.entries()].sort((a, b) => (desc ? b[0] - a[0] : a[0] - b[0])).map((e) => e[1]);
      this.send(
        ws,
        JSON.stringify({
          type: 'snapshot',
          product_id: id,
          bids: sorted(book.bids, true),
          asks: sorted(book.asks, false),
        }),
      );
      this.record(id, undefined);
    }
  }

  protected sendHeartbeat(ws: WebSocket): void {
    for (const id of this.subscriptions.get(ws) ?? []) {
      this.heartbeatSeq += 1;
      this.send(
        ws,
        JSON.stringify({
          type: 'heartbeat',
          sequence: this.heartbeatSeq,
          last_trade_id: 20,
          product_id: id,
          time: fixedMicros(this.tick()),
        }),
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Binance: combined streams of <symbol>@bookTicker named in the URL; the server pings

export class FakeBinanceStream extends FakeWsVenue implements StreamFake {
  private readonly tops = new Map<string, { bid: Side; ask: Side; u: number }>();
  private nextU = 400900217;

  native(productId: string): string {
    return joined(productId);
  }

  protected override get path(): string {
    return '';
  }

  setTop(productId: string, bid: Side, ask: Side): void {
    this.tops.set(productId, { bid, ask, u: ++this.nextU });
    this.push(productId, this.nextU);
  }

  repeatTop(productId: string): void {
    const top = this.current(productId);
    top.u = ++this.nextU;
    this.push(productId, top.u);
  }

  /** The same top again with an older update id: a regression the client counts as a gap. */
  regress(productId: string): void {
    this.push(productId, this.current(productId).u - 5);
  }

  /** Since 2026 Binance may announce a cut. */
  serverShutdown(): void {
    this.sendRaw(JSON.stringify({ e: 'serverShutdown', E: Date.now() }));
  }

  private current(productId: string) {
    const top = this.tops.get(productId);
    if (!top) throw new Error(`fake binance: no top for ${productId}`);
    return top;
  }

  private push(productId: string, u: number): void {
    const { bid, ask } = this.current(productId);
    const s = this.native(productId);
    const data = {
      u,
      s,
      b: bid?.[0] ?? '0.00000000',
      B: bid?.[1] ?? '0.00000000',
      a: ask?.[0] ?? '0.00000000',
      A: ask?.[1] ?? '0.00000000',
    };
    this.publish(s, JSON.stringify({ stream: `${s.toLowerCase()}@bookTicker`, data }));
    this.shown.push({ productId, bid, ask, timestamp: undefined, sequence: String(u) });
  }

  protected override onOpen(ws: WebSocket, url: string): void {
    const streams = new URL(url, 'http://x').searchParams.get('streams') ?? '';
    const subs = this.subscriptions.get(ws);
    for (const name of streams.split('/').filter(Boolean)) {
      const [symbol, kind] = name.split('@');
      if (kind === 'bookTicker' && symbol) subs?.add(symbol.toUpperCase());
    }
  }

  protected onClientMessage(ws: WebSocket, text: string): void {
    const m = JSON.parse(text) as { method?: string; id?: number };
    this.send(ws, JSON.stringify({ result: null, id: m.id ?? null }));
  }

  protected sendHeartbeat(ws: WebSocket): void {
    if (!this.silent) ws.ping();
  }
}

// ---------------------------------------------------------------------------------------------
// Kraken v2: ticker with event_trigger bbo; prices and sizes are JSON numbers

export class FakeKrakenStream extends FakeWsVenue implements StreamFake {
  /** Symbols the venue lists (BTC/USD), with their current top as number literals. */
  readonly tops = new Map<string, { bid: Side; ask: Side }>();

  native(productId: string): string {
    return productId.replace('-', '/');
  }

  list(productId: string, bid: Side, ask: Side): this {
    this.tops.set(this.native(productId), { bid, ask });
    return this;
  }

  setTop(productId: string, bid: Side, ask: Side): void {
    this.tops.set(this.native(productId), { bid, ask });
    this.push(productId, 'update');
  }

  repeatTop(productId: string): void {
    this.push(productId, 'update');
  }

  /** A frame whose numbers are written as literals, exactly as given (trailing zeros kept). */
  private push(productId: string, type: 'snapshot' | 'update', ws?: WebSocket): void {
    const symbol = this.native(productId);
    const top = this.tops.get(symbol);
    if (!top) throw new Error(`fake kraken: no ${symbol}`);
    const micros = this.tick();
    const n = (v: string | undefined) => v ?? '0';
    const frame =
      `{"channel":"ticker","type":"${type}","data":[{"symbol":"${symbol}","bid":${n(top.bid?.[0])},"bid_qty":${n(top.bid?.[1])},` +
      `"ask":${n(top.ask?.[0])},"ask_qty":${n(top.ask?.[1])},"last":${n(top.bid?.[0])},"volume":997038.98383185,"vwap":0.10148,` +
      `"low":0.09979,"high":0.10285,"change":-0.00017,"change_pct":-0.17,"timestamp":"${fixedMicros(micros)}"}]}`;
    if (ws) this.send(ws, frame);
    else this.publish(symbol, frame);
    this.shown.push({ productId, bid: top.bid, ask: top.ask, timestamp: fixedMicros(micros), sequence: '' });
  }

  protected override onOpen(ws: WebSocket): void {
    // Status frames carry a connection_id above 2^53.
    this.send(
      ws,
      '{"channel":"status","type":"update","data":[{"api_version":"v2","connection_id":12393906104898154338,"system":"online","version":"2.0.10"}]}',
    );
  }

  protected onClientMessage(ws: WebSocket, text: string): void {
    const m = JSON.parse(text) as {
      method: string;
      params?: { channel: string; symbol: string[]; event_trigger?: string };
    };
    const subs = this.subscriptions.get(ws);
    if (!subs || !m.params) return;
    if (m.method === 'unsubscribe') {
      for (const s of m.params.symbol) subs.delete(s);
      return;
    }
    for (const symbol of m.params.symbol) {
      if (!this.tops.has(symbol)) {
        this.send(
          ws,
          JSON.stringify({
            error: `Currency pair not supported ${symbol}`,
            method: 'subscribe',
            success: false,
            symbol,
            time_in: '2026-12-04T10:00:00.000000Z',
            time_out: '2026-12-04T10:00:00.000100Z',
          }),
        );
        continue;
      }
      // Without bbo the venue would push on trades only: nothing here.
      if (m.params.event_trigger === 'bbo') subs.add(symbol);
      this.send(
        ws,
        JSON.stringify({
          method: 'subscribe',
          result: {
            channel: 'ticker',
            event_trigger: m.params.event_trigger ?? 'trades',
            snapshot: true,
            symbol,
          },
          success: true,
          time_in: '2026-12-04T10:00:00.000000Z',
          time_out: '2026-12-04T10:00:00.000100Z',
        }),
      );
      if (subs.has(symbol)) this.push(symbol.replace('/', '-'), 'snapshot', ws);
    }
  }

  protected sendHeartbeat(ws: WebSocket): void {
    this.send(ws, '{"channel":"heartbeat"}');
  }
}

// ---------------------------------------------------------------------------------------------
// OKX: bbo-tbt; text ping/pong; seqId; notice 64008

export class FakeOkxStream extends FakeWsVenue implements StreamFake {
  readonly tops = new Map<string, { bid: Side; ask: Side; seqId: number }>();

  native(productId: string): string {
    return productId;
  }

  list(productId: string, bid: Side, ask: Side): this {
    this.tops.set(productId, { bid, ask, seqId: 1000 });
    return this;
  }

  setTop(productId: string, bid: Side, ask: Side): void {
    const top = this.current(productId);
    this.tops.set(productId, { bid, ask, seqId: top.seqId + 3 });
    this.push(productId);
  }

  repeatTop(productId: string): void {
    this.current(productId).seqId += 1;
    this.push(productId);
  }

  /** A seqId below the last one: the venue reset; counted as a gap. */
  reset(productId: string, bid: Side, ask: Side): void {
    this.tops.set(productId, { bid, ask, seqId: 7 });
    this.push(productId);
  }

  /** Notice of a close for a service upgrade: clients reconnect at once. */
  upgradeNotice(): void {
    this.sendRaw(
      JSON.stringify({
        event: 'notice',
        msg: 'The connection will soon be closed for a service upgrade. Please reconnect.',
        code: '64008',
        connId: 'a4d3ae55',
      }),
    );
  }

  private current(productId: string) {
    const top = this.tops.get(productId);
    if (!top) throw new Error(`fake okx: no ${productId}`);
    return top;
  }

  private push(productId: string, ws?: WebSocket): void {
    const { bid, ask, seqId } = this.current(productId);
    const ms = Math.floor(this.tick(1000) / 1000);
    const frame = JSON.stringify({
      arg: { channel: 'bbo-tbt', instId: productId },
      data: [
        {
          asks: ask ? [[ask[0], ask[1], '0', '3']] : [],
          bids: bid ? [[bid[0], bid[1], '0', '2']] : [],
          ts: String(ms),
          seqId,
        },
      ],
    });
    if (ws) this.send(ws, frame);
    else this.publish(productId, frame);
    this.shown.push({ productId, bid, ask, timestamp: fixedMicros(ms * 1000), sequence: String(seqId) });
  }

  protected onClientMessage(ws: WebSocket, text: string): void {
    if (text === 'ping') {
      this.send(ws, 'pong');
      return;
    }
    const m = JSON.parse(text) as { op: string; args: { channel: string; instId: string }[] };
    const subs = this.subscriptions.get(ws);
    if (!subs) return;
    for (const arg of m.args) {
      if (m.op === 'unsubscribe') {
        subs.delete(arg.instId);
        this.send(ws, JSON.stringify({ event: 'unsubscribe', arg, connId: 'a4d3ae55' }));
        continue;
      }
      if (!this.tops.has(arg.instId)) {
        this.send(
          ws,
          JSON.stringify({
            event: 'error',
            code: '60018',
            msg: `Wrong URL or channel:${arg.channel},instId:${arg.instId} doesn't exist. Please use the correct URL, channel and parameters referring to API document.`,
            connId: 'a4d3ae55',
          }),
        );
        continue;
      }
      subs.add(arg.instId);
      this.send(ws, JSON.stringify({ event: 'subscribe', arg, connId: 'a4d3ae55' }));
      this.push(arg.instId, ws);
    }
  }

  protected sendHeartbeat(): void {
    // OKX sends nothing on a quiet connection: clients ping.
  }
}

// ---------------------------------------------------------------------------------------------
// Bybit: orderbook.1.<SYMBOL>, snapshot messages only; {"op":"ping"}; u = 1 on a restart

export class FakeBybitStream extends FakeWsVenue implements StreamFake {
  readonly tops = new Map<string, { bid: Side; ask: Side; u: number; seq: number }>();
  private readonly products = new Map<string, string>();

  native(productId: string): string {
    return joined(productId);
  }

  list(productId: string, bid: Side, ask: Side): this {
    this.tops.set(this.native(productId), { bid, ask, u: 5000, seq: 7961638724 });
    this.products.set(this.native(productId), productId);
    return this;
  }

  setTop(productId: string, bid: Side, ask: Side): void {
    const top = this.current(productId);
    this.tops.set(this.native(productId), { bid, ask, u: top.u + 2, seq: top.seq + 9 });
    this.push(productId);
  }

  /** The 3-second re-push: the same book, the same u. */
  repeatTop(productId: string): void {
    this.push(productId);
  }

  /** The service restarted: u = 1 with a fresh book. */
  restart(productId: string, bid: Side, ask: Side): void {
    this.tops.set(this.native(productId), { bid, ask, u: 1, seq: this.current(productId).seq + 1 });
    this.push(productId);
  }

  private current(productId: string) {
    const top = this.tops.get(this.native(productId));
    if (!top) throw new Error(`fake bybit: no ${productId}`);
    return top;
  }

  private push(productId: string, ws?: WebSocket): void {
    const symbol = this.native(productId);
    const { bid, ask, u, seq } = this.current(productId);
    const cts = Math.floor(this.tick(1000) / 1000);
    const frame = JSON.stringify({
      topic: `orderbook.1.${symbol}`,
      ts: cts + 2,
      type: 'snapshot',
      data: { s: symbol, b: bid ? [bid] : [], a: ask ? [ask] : [], u, seq },
      cts,
    });
    if (ws) this.send(ws, frame);
    else this.publish(symbol, frame);
    this.shown.push({ productId, bid, ask, timestamp: fixedMicros(cts * 1000), sequence: String(u) });
  }

  protected onClientMessage(ws: WebSocket, text: string): void {
    const m = JSON.parse(text) as { op: string; args?: string[]; req_id?: string };
    if (m.op === 'ping') {
      this.send(ws, JSON.stringify({ success: true, ret_msg: 'pong', conn_id: 'd1c3e1e2', op: 'ping' }));
      return;
    }
    const subs = this.subscriptions.get(ws);
    if (!subs) return;
    const args = m.args ?? [];
    const symbols = args.map((a) => a.replace('orderbook.1.', ''));
    if (m.op === 'unsubscribe') {
      for (const s of symbols) subs.delete(s);
      this.send(ws, JSON.stringify({ success: true, ret_msg: '', conn_id: 'd1c3e1e2', op: 'unsubscribe' }));
      return;
    }
    const bad = symbols.filter((s) => !this.tops.has(s));
    if (bad.length > 0)
      this.send(
        ws,
        JSON.stringify({
          success: false,
          ret_msg: `Invalid symbol :[${bad.map((s) => `orderbook.1.${s}`).join(', ')}]`,
          conn_id: 'd1c3e1e2',
          op: 'subscribe',
        }),
      );
    const good = symbols.filter((s) => this.tops.has(s));
    for (const s of good) subs.add(s);
    if (good.length > 0)
      this.send(
        ws,
        JSON.stringify({
          success: true,
          ret_msg: 'subscribe',
          conn_id: 'd1c3e1e2',
          req_id: m.req_id ?? '',
          op: 'subscribe',
        }),
      );
    for (const s of good) this.push(this.products.get(s) ?? s, ws);
  }

  protected sendHeartbeat(): void {
    // Bybit's own liveness is the 3 s re-push and the pong: nothing extra here.
  }
}

/** What a client must have stored from `shown`: each product's tops with repeats removed. */
export function expectedTops(shown: readonly ShownTop[]): ShownTop[] {
  const last = new Map<string, ShownTop>();
  const out: ShownTop[] = [];
  const same = (a: Side, b: Side) =>
    a === undefined || b === undefined
      ? a === b
      : Number(a[0]) === Number(b[0]) && Number(a[1]) === Number(b[1]);
  for (const top of shown) {
    const previous = last.get(top.productId);
    if (previous && same(previous.bid, top.bid) && same(previous.ask, top.ask)) continue;
    last.set(top.productId, top);
    out.push(top);
  }
  return out;
}
