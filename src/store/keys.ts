/**
 * Every Redis key name of the project is built here and nowhere else.
 *
 * Coinbase keeps the key format users already know:
 *   orderbook:<PRODUCT>:<timestamp>          hash, one snapshot
 *   orderbook:index:<PRODUCT>                sorted set, member = snapshot key, score = epoch µs
 * Other venues put their (lower-case) name first, so they can never collide with Coinbase's keys,
 * whose second part is an upper-case product id with a dash, nor with each other:
 *   orderbook:<exchange>:<PRODUCT>:<timestamp>
 *   orderbook:<exchange>:index:<PRODUCT>
 * Shared:
 *   orderbook:products                       set of product members: PRODUCT (Coinbase) or exchange:PRODUCT
 */
import { DEFAULT_EXCHANGE, type ExchangeId, isExchangeId } from '../exchanges/exchange-ids.js';
import { isValidProductId } from '../product-id.js';
import { isFixedTimestamp } from '../timestamp.js';

export const KEY_PREFIX = 'orderbook';
export const PRODUCTS_KEY = `${KEY_PREFIX}:products`;

function assertProduct(productId: string): void {
  // Defence in depth: the CSV reader validates first, but no caller may put ':' or '*' into a key.
  if (!isValidProductId(productId))
    throw new Error(`refusing to build a Redis key for product id '${productId}'`);
}

function venuePrefix(exchange: ExchangeId): string {
  return exchange === DEFAULT_EXCHANGE ? KEY_PREFIX : `${KEY_PREFIX}:${exchange}`;
}

export function snapshotKey(exchange: ExchangeId, productId: string, timestamp: string): string {
  assertProduct(productId);
  if (!isFixedTimestamp(timestamp))
    throw new Error(`refusing to build a Redis key for timestamp '${timestamp}'`);
  return `${venuePrefix(exchange)}:${productId}:${timestamp}`;
}

export function indexKey(exchange: ExchangeId, productId: string): string {
  assertProduct(productId);
  return `${venuePrefix(exchange)}:index:${productId}`;
}

export function productMember(exchange: ExchangeId, productId: string): string {
  assertProduct(productId);
  return exchange === DEFAULT_EXCHANGE ? productId : `${exchange}:${productId}`;
}

export interface ProductRef {
  exchange: ExchangeId;
  productId: string;
}

/** Reads a member of the products set back; undefined for anything this version did not write. */
export function parseProductMember(member: string): ProductRef | undefined {
  const colon = member.indexOf(':');
  if (colon === -1) {
    return isValidProductId(member) ? { exchange: DEFAULT_EXCHANGE, productId: member } : undefined;
  }
  const exchange = member.slice(0, colon);
  const productId = member.slice(colon + 1);
  if (!isExchangeId(exchange) || !isValidProductId(productId)) return undefined;
  return { exchange, productId };
}

/** The timestamp part of a snapshot key (the last 27 characters). */
export function timestampOfSnapshotKey(key: string): string {
  return key.slice(-27);
}
