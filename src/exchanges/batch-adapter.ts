/**
 * The skeleton every batch-ticker adapter (Kraken, Binance, OKX, Bybit) shares: the base URL and
 * HTTP client, a request cost of 1 unless the venue says otherwise, sorting a request's product
 * ids into the native symbols to ask for, serving each ticker of the answer to every product that
 * asked for it, and the not_found outcome of a symbol the venue does not list. What a venue knows
 * (its URLs, symbol mapping, answer and error shapes) stays in its own file, in the subclass.
 */
import type { ExchangeError } from '../errors.js';
import type { Level } from '../snapshot.js';
import { DEFAULT_BASE_URLS } from './base-urls.js';
import type { ExchangeApi, ExchangeApiOptions, FollowUpGate, L1Outcome } from './exchange-api.js';
import type { ExchangeId } from './exchange-ids.js';
import { HttpClient } from './http-client.js';
import { badTicker, notASpotPair, notListed, tickerSnapshot, type UnknownSymbols } from './venue-support.js';

/** Native symbol → the product ids of one request asking for it (several ids may share one). */
export type WantedSymbols = Map<string, string[]>;

/** One ticker as the adapter read it; a side written in an unexpected form is undefined. */
export interface ReadTicker {
  nativeSymbol: string;
  bids: Level[] | undefined;
  asks: Level[] | undefined;
  /** The venue's time for the ticker, when it gives one; else the receipt time is used and marked. */
  exchangeTimestamp: string | undefined;
}

export abstract class BatchTickerAdapter<Id extends ExchangeId> implements ExchangeApi {
  abstract readonly maxProductsPerRequest: number;
  readonly baseUrl: string;
  protected readonly http: HttpClient;

  /**
   * `unknown`: for a venue that fails a whole batch on one unknown symbol (Binance, Kraken), where
   * it remembers the symbols it said it does not list, to leave them out of later batches.
   */
  protected constructor(
    readonly id: Id,
    options: ExchangeApiOptions,
    protected readonly unknown?: UnknownSymbols,
  ) {
    this.baseUrl = (options.baseUrl ?? DEFAULT_BASE_URLS[id]).replace(/\/+$/, '');
    this.http = new HttpClient(id, options.timeoutMs);
  }

  requestCost(_productCount: number): number {
    return 1;
  }

  async fetchL1(
    productIds: readonly string[],
    _signal?: AbortSignal,
    followUp?: FollowUpGate,
  ): Promise<Map<string, L1Outcome>> {
    const out = new Map<string, L1Outcome>();
    const wanted = this.wantedSymbols(productIds, out);
    if (wanted.size > 0) await this.fetchWanted(wanted, out, followUp);
    return out;
  }

  /**
   * Asks the venue for the wanted symbols (never empty) and sets the outcome of every product id
   * in `wanted` into `out`; throws an ExchangeError when the request as a whole failed.
   */
  protected abstract fetchWanted(
    wanted: WantedSymbols,
    out: Map<string, L1Outcome>,
    followUp: FollowUpGate | undefined,
  ): Promise<void>;

  /** The native symbol to ask for a unified BASE-QUOTE id; undefined for an id that is not one. */
  protected abstract nativeSymbol(productId: string): string | undefined;

  /** A product id to show as the example of a spot pair (BTC-USDT). */
  protected abstract readonly examplePair: string;

  /** What the ticker's sides should have been, for the bad_response of one that is not. */
  protected abstract readonly unreadableSides: string;

  /** How to check an id the venue does not list (ends the not_found message). */
  protected abstract notListedHint(): string;

  /**
   * Sorts a request's product ids: an id that is not BASE-QUOTE, or whose symbol the venue said it
   * does not list, gets its error in `out` at once; the others are grouped by native symbol.
   */
  protected wantedSymbols(productIds: readonly string[], out: Map<string, L1Outcome>): WantedSymbols {
    const wanted: WantedSymbols = new Map();
    for (const productId of productIds) {
      const symbol = this.nativeSymbol(productId);
      if (symbol === undefined) out.set(productId, notASpotPair(this.id, productId, this.examplePair));
      else if (this.unknown?.has(symbol)) out.set(productId, this.notFound(productId, symbol));
      else wanted.set(symbol, [...(wanted.get(symbol) ?? []), productId]);
    }
    return wanted;
  }

  /**
   * Serves the wanted products from a list of tickers. `read` turns one item into a ticker, or
   * undefined for an item that is not one (passed over, like tickers nobody asked for). Returns the
   * wanted symbols the list does not include.
   */
  protected serveTickerList(
    items: readonly unknown[],
    read: (item: unknown) => ReadTicker | undefined,
    wanted: WantedSymbols,
    out: Map<string, L1Outcome>,
    receivedAt: string,
  ): string[] {
    const seen = new Set<string>();
    for (const item of items) {
      const ticker = read(item);
      if (ticker === undefined) continue;
      const productIds = wanted.get(ticker.nativeSymbol);
      if (!productIds) continue;
      seen.add(ticker.nativeSymbol);
      this.serveTicker(productIds, ticker, out, receivedAt);
    }
    return [...wanted.keys()].filter((symbol) => !seen.has(symbol));
  }

  /** Every product id asking for one ticker gets its snapshot, or a bad_response if a side is unreadable. */
  protected serveTicker(
    productIds: readonly string[],
    ticker: ReadTicker,
    out: Map<string, L1Outcome>,
    receivedAt: string,
  ): void {
    const { nativeSymbol, bids, asks, exchangeTimestamp } = ticker;
    for (const productId of productIds) {
      if (bids === undefined || asks === undefined) {
        out.set(productId, badTicker(this.id, productId, nativeSymbol, this.unreadableSides));
        continue;
      }
      out.set(
        productId,
        tickerSnapshot({
          exchange: this.id,
          productId,
          nativeSymbol,
          bids,
          asks,
          exchangeTimestamp,
          receivedAt,
        }),
      );
    }
  }

  /** Every product asking for `symbol` is not_found; a venue that keeps `unknown` remembers it. */
  protected markNotListed(symbol: string, wanted: WantedSymbols, out: Map<string, L1Outcome>): void {
    this.unknown?.add(symbol);
    for (const productId of wanted.get(symbol) ?? []) out.set(productId, this.notFound(productId, symbol));
  }

  protected notFound(productId: string, symbol: string): ExchangeError {
    return notListed(this.id, productId, symbol, this.notListedHint());
  }

  /**
   * Waits on the venue's limiter before the one follow-up request of a failed batch; if the wait
   * fails (the poll was aborted or the limiter closed), the batch's own `failure` is the answer.
   */
  protected async waitForFollowUp(
    followUp: FollowUpGate | undefined,
    cost: number,
    failure: ExchangeError,
  ): Promise<void> {
    try {
      await followUp?.(cost);
    } catch {
      throw failure;
    }
  }
}
