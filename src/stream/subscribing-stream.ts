/**
 * What the venues that subscribe by message (Coinbase, Kraken, OKX, Bybit) share: one base URL for
 * every connection, subscribe messages in chunks of the venue's size, and a resync as unsubscribe +
 * subscribe. A venue says how one message looks (`message`) and decodes its frames.
 */
import type { ExchangeId } from '../exchanges/exchange-ids.js';
import type { StreamAdapter, StreamDecoder, StreamProduct } from './stream-adapter.js';
import type { StreamLimits } from './stream-limits.js';
import { resubscribeOne, type SubscribeOp, subscribeInChunks } from './stream-support.js';

export abstract class SubscribingStream implements StreamAdapter {
  abstract readonly id: ExchangeId;
  abstract readonly limits: StreamLimits;
  abstract readonly keepalive: { everyMs: number; message: string } | undefined;
  readonly restSnapshotOnConnect: boolean = false;
  readonly rejectionFailsWholeSubscribe: boolean = false;

  abstract nativeSymbol(productId: string): string | undefined;
  abstract createDecoder(products: readonly StreamProduct[]): StreamDecoder;
  /** One (un)subscribe message for `products`. */
  protected abstract message(op: SubscribeOp, products: readonly StreamProduct[]): string;

  connectionUrl(base: string): string {
    return base;
  }

  subscribeMessages(products: readonly StreamProduct[]): string[] {
    return subscribeInChunks(products, this.limits.productsPerSubscribe, (op, some) =>
      this.message(op, some),
    );
  }

  resubscribeMessages(product: StreamProduct): string[] {
    return resubscribeOne(product, (op, one) => this.message(op, one));
  }
}
