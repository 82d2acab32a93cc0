/**
 * Every Redis key name of the project is built here and nowhere else. Two schemes, one per kind of
 * Redis; code that may run on either takes a KeyScheme (`RedisStore.keys`, or `keySchemeFor`).
 *
 * Standalone Redis (STANDALONE_KEYS; also the free functions below). Coinbase keeps the key
 * format users already know:
 *   orderbook:<PRODUCT>:<timestamp>          hash, one snapshot
 *   orderbook:index:<PRODUCT>                sorted set, member = snapshot key, score = epoch µs
 * Other venues put their (lower-case) name first, so they can never collide with Coinbase's keys,
 * whose second part is an upper-case product id with a dash, nor with each other:
 *   orderbook:<exchange>:<PRODUCT>:<timestamp>
 *   orderbook:<exchange>:index:<PRODUCT>
 * Shared:
 *   orderbook:products                       set of product members: PRODUCT (Coinbase) or exchange:PRODUCT
 *
 * Redis Cluster (CLUSTER_KEYS). Every key of one product carries the same hash tag, its product
 * member, so hash, index and retention of a product live in one slot and one script covers them:
 *   orderbook:{<member>}:<timestamp>         e.g. orderbook:{BTC-USD}:2026-…Z, orderbook:{kraken:BTC-USD}:2026-…Z
 *   orderbook:index:{<member>}               e.g. orderbook:index:{BTC-USD}, orderbook:index:{kraken:BTC-USD}
 *   orderbook:products                       the same set, in a slot of its own (written apart from the snapshots)
 * The tag holds the venue too, so one product on five venues spreads over five slots. Members
 * contain no '{' or '}' (product ids are [A-Z0-9-], venues lower-case letters), so the tag is exact.
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

/** The timestamp part of a snapshot key (the last 27 characters), in either scheme. */
export function timestampOfSnapshotKey(key: string): string {
  return key.slice(-27);
}

export type KeyMode = 'standalone' | 'cluster';

/** The key names of one kind of Redis. Product ids and timestamps are checked as above. */
export interface KeyScheme {
  readonly mode: KeyMode;
  /** The product registry (set of product members). */
  readonly productsKey: string;
  snapshotKey(exchange: ExchangeId, productId: string, timestamp: string): string;
  indexKey(exchange: ExchangeId, productId: string): string;
}

export const STANDALONE_KEYS: KeyScheme = {
  mode: 'standalone',
  productsKey: PRODUCTS_KEY,
  snapshotKey,
  indexKey,
};

/** `{member}`: the part Redis Cluster hashes for the slot of every key of the product. */
function hashTag(exchange: ExchangeId, productId: string): string {
  return `{${productMember(exchange, productId)}}`;
}

export const CLUSTER_KEYS: KeyScheme = {
  mode: 'cluster',
  productsKey: PRODUCTS_KEY,
  snapshotKey(exchange, productId, timestamp) {
    if (!isFixedTimestamp(timestamp))
      throw new Error(`refusing to build a Redis key for timestamp '${timestamp}'`);
    return `${KEY_PREFIX}:${hashTag(exchange, productId)}:${timestamp}`;
  },
  indexKey(exchange, productId) {
    return `${KEY_PREFIX}:index:${hashTag(exchange, productId)}`;
  },
};

export function keyScheme(mode: KeyMode): KeyScheme {
  return mode === 'cluster' ? CLUSTER_KEYS : STANDALONE_KEYS;
}

/**
 * Hash of what the archiver moved out of Redis: field = product member (as in PRODUCTS_KEY),
 * value = JSON { dir, first, last } (archive root, oldest and newest archived exchange time in µs),
 * so l1-query can name the files of a range that is no longer in Redis.
 */
export const ARCHIVED_KEY = `${KEY_PREFIX}:archived`;
