/**
 * Loopback fakes of the batch-ticker venues (Kraken, Binance, OKX, Bybit), each speaking its
 * documented wire format: the fixtures are the venues' own documented example responses
 * (shared/reference/exchanges.md), the error shapes are theirs (Kraken's HTTP 200 `error` array,
 * Binance's `{code,msg}`, OKX's string `code`, Bybit's `retCode`), and so are the rate-limit,
 * ban and geo-block answers. Every request is recorded, so tests count requests per venue.
 *
 * Faults are injected for the next N requests (`inject(answer, times)`), in the venue's format via
 * each fake's helpers (`binance.rateLimited('2')`, `kraken.rateLimited()`, `bybit.usIp()` …).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { LoopbackServer } from './loopback-server.js';

/** One side of a quote: [price, size] as decimal strings, or null for an empty side. */
export type Side = [string, string] | null;

export interface Quote {
  bid: Side;
  ask: Side;
}

export interface RecordedRequest {
  at: number;
  path: string;
  query: URLSearchParams;
  status: number;
  userAgent: string | undefined;
}

export interface RawAnswer {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

export type Fault = RawAnswer | { reset: true } | { delayMs: number };

export abstract class FakeVenue extends LoopbackServer {
  readonly requests: RecordedRequest[] = [];
  private readonly faults: { fault: Fault; left: number }[] = [];

  /** The next `times` requests get `fault` instead of the normal answer (in injection order). */
  inject(fault: Fault, times = 1): this {
    this.faults.push({ fault, left: times });
    return this;
  }

  clearFaults(): this {
    this.faults.length = 0;
    return this;
  }

  /** Requests to one path, or all. */
  count(path?: string): number {
    return path === undefined ? this.requests.length : this.requests.filter((r) => r.path === path).length;
  }

  /** The venue's normal answer to a request. */
  protected abstract answer(url: URL): RawAnswer;

  private nextFault(): Fault | undefined {
    const head = this.faults[0];
    if (!head) return undefined;
    head.left -= 1;
    if (head.left <= 0) this.faults.shift();
    return head.fault;
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const record = (status: number) =>
      this.requests.push({
        at: performance.now(),
        path: url.pathname,
        query: url.searchParams,
        status,
        userAgent: req.headers['user-agent'],
      });
    let fault = this.nextFault();
    if (fault && 'reset' in fault) {
      record(0);
      req.socket.destroy();
      return;
    }
    if (fault && 'delayMs' in fault) {
      await new Promise((r) => setTimeout(r, (fault as { delayMs: number }).delayMs));
      fault = undefined;
    }
    const answer = fault ?? this.answer(url);
    record(answer.status);
    if (res.destroyed) return;
    res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    res.end(answer.body);
  }
}

/**
 * One adapter test file's fake: started once for the file, stopped after it; before each test its
 * recorded requests and injected faults are forgotten, then `reset` restores the venue's own state
 * and makes a fresh adapter from the options given (the fake's URL, a 2 s timeout).
 */
export function useFakeVenue(
  fake: FakeVenue,
  reset: (options: { baseUrl: string; timeoutMs: number }) => void,
): void {
  beforeAll(async () => {
    await fake.start();
  });
  afterAll(() => fake.stop());
  beforeEach(() => {
    fake.requests.length = 0;
    fake.clearFaults();
    reset({ baseUrl: fake.url, timeoutMs: 2000 });
  });
}

function json(status: number, body: unknown, headers?: Record<string, string>): RawAnswer {
  return {
    status,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...(headers ? { headers } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Binance: GET /api/v3/ticker/bookTicker (symbol= | symbols=[…] | all)

export class FakeBinance extends FakeVenue {
  /** Symbol → quote. The documented example (LTCBTC) is always there. */
  readonly books = new Map<string, Quote>([
    ['LTCBTC', { bid: ['4.00000000', '431.00000000'], ask: ['4.00000200', '9.00000000'] }],
  ]);
  /** Weight other clients on the IP used this minute; added to ours in X-MBX-USED-WEIGHT-1M. */
  otherWeight = 0;
  usedWeight = 0;

  set(symbol: string, quote: Quote): this {
    this.books.set(symbol, quote);
    return this;
  }

  rateLimited(retryAfter = '1'): RawAnswer {
    return json(
      429,
      {
        code: -1003,
        msg: 'Too many requests; current limit of IP(127.0.0.1) is 6000 requests per minute. Please use the websocket for live updates to avoid polling the API.',
      },
      { 'Retry-After': retryAfter },
    );
  }

  banned(retryAfter = '120'): RawAnswer {
    return json(
      418,
      {
        code: -1003,
        msg: 'Way too much request weight used; IP banned until 1700000120000. Please use WebSocket Streams for live updates to avoid bans.',
      },
      { 'Retry-After': retryAfter },
    );
  }

  geoBlocked(): RawAnswer {
    return json(451, {
      code: 0,
      msg: "Service unavailable from a restricted location according to 'b. Eligibility' in https://www.binance.com/en/terms. Please contact customer service if you believe you received this message in error.",
    });
  }

  protected answer(url: URL): RawAnswer {
    if (url.pathname !== '/api/v3/ticker/bookTicker') return json(404, '<html><body>Not Found</body></html>');
    const symbol = url.searchParams.get('symbol');
    const symbolsParam = url.searchParams.get('symbols');
    if (symbol !== null && symbolsParam !== null)
      return json(400, { code: -1128, msg: 'Combination of optional parameters invalid.' });
    const weight = symbol !== null ? 2 : 4;
    this.usedWeight += weight;
    const headers = { 'X-MBX-USED-WEIGHT-1M': String(this.otherWeight + this.usedWeight) };
    const render = (s: string, q: Quote) => ({
      symbol: s,
      bidPrice: q.bid?.[0] ?? '0.00000000',
      bidQty: q.bid?.[1] ?? '0.00000000',
      askPrice: q.ask?.[0] ?? '0.00000000',
      askQty: q.ask?.[1] ?? '0.00000000',
    });
    if (symbol !== null) {
      const q = this.books.get(symbol);
      return q
        ? json(200, render(symbol, q), headers)
        : json(400, { code: -1121, msg: 'Invalid symbol.' }, headers);
    }
    if (symbolsParam !== null) {
      let list: unknown;
      try {
        list = JSON.parse(symbolsParam);
      } catch {
        return json(400, { code: -1100, msg: "Illegal characters found in parameter 'symbols'" }, headers);
      }
      if (!Array.isArray(list) || list.some((s) => typeof s !== 'string'))
        return json(400, { code: -1100, msg: "Illegal characters found in parameter 'symbols'" }, headers);
      const out = [];
      for (const s of list as string[]) {
        const q = this.books.get(s);
        // One unknown symbol fails the whole batch.
        if (!q) return json(400, { code: -1121, msg: 'Invalid symbol.' }, headers);
        out.push(render(s, q));
      }
      return json(200, out, headers);
    }
    return json(
      200,
      [...this.books].map(([s, q]) => render(s, q)),
      headers,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Kraken: GET /0/public/Ticker?pair=A,B (HTTP 200 with an `error` array)

export interface KrakenPair {
  /** The result key (XXBTZUSD). */
  key: string;
  /** The request name (XBTUSD). */
  altname: string;
  wsname: string;
  quote: Quote;
}

export class FakeKraken extends FakeVenue {
  readonly pairs = new Map<string, KrakenPair>();
  /** Answer under the wsname instead of the key (ccxt#8662: "sometimes kraken returns wsname"). */
  answerWithWsname = false;

  constructor() {
    super();
    // The documented example (ccxt parseTicker comment), then pairs in each naming style.
    this.add('XXBTZUSD', 'XBTUSD', 'XBT/USD', ['2431.37000', '2.000'], ['2432.77000', '1.000']);
    this.add('XETHZUSD', 'ETHUSD', 'ETH/USD', ['3000.10', '12.50000000'], ['3000.20', '0.40000000']);
    this.add('XETHXXBT', 'ETHXBT', 'ETH/XBT', ['0.023470', '59.580'], ['0.023480', '4.000']);
    this.add('XDGUSD', 'XDGUSD', 'XDG/USD', ['0.1002500', '740.00000000'], ['0.1003600', '1361.44813783']);
    this.add('SOLUSD', 'SOLUSD', 'SOL/USD', ['140.10', '3.5'], ['140.12', '2.25']);
    this.add(
      'USDTZUSD',
      'USDTUSD',
      'USDT/USD',
      ['0.99990000', '50000.00000000'],
      ['1.00000000', '25000.00000000'],
    );
  }

  add(key: string, altname: string, wsname: string, bid: Side, ask: Side): this {
    this.pairs.set(key, { key, altname, wsname, quote: { bid, ask } });
    return this;
  }

  setQuote(key: string, quote: Quote): this {
    const p = this.pairs.get(key);
    if (!p) throw new Error(`no pair ${key}`);
    p.quote = quote;
    return this;
  }

  error(...errors: string[]): RawAnswer {
    return json(200, { error: errors });
  }

  rateLimited(): RawAnswer {
    return this.error('EAPI:Rate limit exceeded');
  }

  protected answer(url: URL): RawAnswer {
    if (url.pathname !== '/0/public/Ticker') return this.error('EGeneral:Unknown method');
    const param = url.searchParams.get('pair');
    let chosen: KrakenPair[];
    if (param === null) {
      chosen = [...this.pairs.values()];
    } else {
      chosen = [];
      for (const name of param.split(',')) {
        const p = [...this.pairs.values()].find((x) => x.altname === name || x.key === name);
        // One unknown pair fails the whole request.
        if (!p) return this.error('EQuery:Unknown asset pair');
        chosen.push(p);
      }
    }
    const result: Record<string, unknown> = {};
    // Sorted, not in request order: the adapter must not rely on order.
    for (const p of [...chosen].sort((a, b) => b.key.localeCompare(a.key))) {
      const side = (s: Side) => (s ? [s[0], s[1].split('.')[0] ?? '0', s[1]] : ['0.00000', '0', '0.000']);
      result[this.answerWithWsname ? p.wsname : p.key] = {
        a: side(p.quote.ask),
        b: side(p.quote.bid),
        c: ['2430.58000', '0.04408910'],
        v: ['4147.94474901', '8896.96086304'],
        p: ['2456.22239', '2568.63032'],
        t: [3907, 10056],
        l: ['2302.18000', '2302.18000'],
        h: ['2621.14000', '2860.01000'],
        o: '2571.56000',
      };
    }
    return json(200, { error: [], result });
  }
}

// ---------------------------------------------------------------------------------------------
// OKX: GET /api/v5/market/tickers?instType=SPOT (string `code`, "0" = success)

export interface OkxTicker {
  instId: string;
  bidPx: string;
  bidSz: string;
  askPx: string;
  askSz: string;
  ts: string;
}

export class FakeOkx extends FakeVenue {
  /** The documented example (ETH-BTC) is always there. */
  readonly tickers = new Map<string, OkxTicker>([
    [
      'ETH-BTC',
      {
        instId: 'ETH-BTC',
        askPx: '0.07322',
        askSz: '4.2',
        bidPx: '0.0732',
        bidSz: '6.050058',
        ts: '1621440583784',
      },
    ],
  ]);

  set(instId: string, quote: Quote, ts = String(Date.now())): this {
    this.tickers.set(instId, {
      instId,
      bidPx: quote.bid?.[0] ?? '',
      bidSz: quote.bid?.[1] ?? '',
      askPx: quote.ask?.[0] ?? '',
      askSz: quote.ask?.[1] ?? '',
      ts,
    });
    return this;
  }

  rateLimited(): RawAnswer {
    return json(429, {
      code: '50011',
      msg: 'Rate limit reached. Please refer to API documentation and throttle requests accordingly.',
      data: [],
    });
  }

  code(code: string, msg: string, status = 200): RawAnswer {
    return json(status, { code, msg, data: [] });
  }

  protected answer(url: URL): RawAnswer {
    if (url.pathname !== '/api/v5/market/tickers')
      return json(404, { code: '404', msg: 'Not Found', data: [] });
    if (url.searchParams.get('instType') !== 'SPOT')
      return json(200, { code: '51000', msg: 'Parameter instType error', data: [] });
    const data = [...this.tickers.values()].map((t) => ({
      instType: 'SPOT',
      instId: t.instId,
      last: t.askPx || '1',
      lastSz: '0.044378',
      askPx: t.askPx,
      askSz: t.askSz,
      bidPx: t.bidPx,
      bidSz: t.bidSz,
      open24h: '0.07801',
      high24h: '0.07975',
      low24h: '0.06019',
      volCcy24h: '11788.887619',
      vol24h: '167493.829229',
      ts: t.ts,
      sodUtc0: '0.07872',
      sodUtc8: '0.07345',
    }));
    return json(200, { code: '0', msg: '', data });
  }
}

// ---------------------------------------------------------------------------------------------
// Bybit: GET /v5/market/tickers?category=spot (`retCode`, envelope `time`)

export class FakeBybit extends FakeVenue {
  /** The documented example (BTCUSDT) is always there. */
  readonly tickers = new Map<string, Quote>([
    ['BTCUSDT', { bid: ['20517.96', '2'], ask: ['20527.77', '1.862172'] }],
  ]);
  /** Envelope `time`; undefined = now; null = leave it out. */
  time: number | null | undefined = 1673859087947;

  set(symbol: string, quote: Quote): this {
    this.tickers.set(symbol, quote);
    return this;
  }

  /** The IP ban for passing 600 requests / 5 s. */
  ipBanned(): RawAnswer {
    return { status: 403, body: 'access too frequent', headers: { 'content-type': 'text/plain' } };
  }

  /** A restricted location (U.S. IPs): Bybit's CDN page. */
  usIp(): RawAnswer {
    return {
      status: 403,
      body: '<HTML><HEAD><TITLE>ERROR: The request could not be satisfied</TITLE></HEAD><BODY><H1>403 ERROR</H1>The Amazon CloudFront distribution is configured to block access from your country.</BODY></HTML>',
      headers: { 'content-type': 'text/html' },
    };
  }

  tooManyVisits(resetAtMs: number): RawAnswer {
    return json(
      200,
      { retCode: 10006, retMsg: 'Too many visits!', result: {}, retExtInfo: {}, time: Date.now() },
      { 'X-Bapi-Limit': '20', 'X-Bapi-Limit-Status': '0', 'X-Bapi-Limit-Reset-Timestamp': String(resetAtMs) },
    );
  }

  retCode(retCode: number, retMsg: string): RawAnswer {
    return json(200, { retCode, retMsg, result: {}, retExtInfo: {}, time: Date.now() });
  }

  protected answer(url: URL): RawAnswer {
    if (url.pathname !== '/v5/market/tickers') return json(404, { retCode: 10404, retMsg: 'Not Found' });
    if (url.searchParams.get('category') !== 'spot')
      return json(200, {
        retCode: 10001,
        retMsg: 'Illegal category',
        result: {},
        retExtInfo: {},
        time: Date.now(),
      });
    const list = [...this.tickers].map(([symbol, q]) => ({
      symbol,
      bid1Price: q.bid?.[0] ?? '',
      bid1Size: q.bid?.[1] ?? '',
      ask1Price: q.ask?.[0] ?? '',
      ask1Size: q.ask?.[1] ?? '',
      lastPrice: '20533.13',
      prevPrice24h: '20393.48',
      price24hPcnt: '0.0068',
      highPrice24h: '21128.12',
      lowPrice24h: '20318.89',
      turnover24h: '243765620.65899866',
      volume24h: '11801.27771',
      usdIndexPrice: '20784.12009279',
    }));
    const envelope: Record<string, unknown> = {
      retCode: 0,
      retMsg: 'OK',
      result: { category: 'spot', list },
      retExtInfo: {},
    };
    if (this.time !== null) envelope.time = this.time ?? Date.now();
    return json(200, envelope);
  }
}
