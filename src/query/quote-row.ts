/**
 * The flat view of a snapshot that every output format prints: best bid/ask with sizes, and mid,
 * spread and spread in basis points computed with exact decimal arithmetic (the stored data stays
 * verbatim; only the derived columns are computed). Basis points have 4 decimals: a one-cent spread
 * on BTC-USD is about 0.0011 bp.
 */
import { midPrice, spread, spreadBps } from '../decimal.js';
import type { StoredSnapshot } from '../store/redis-store.js';

export interface QuoteRow {
  time: string;
  exchange: string;
  product_id: string;
  bid: string;
  bid_size: string;
  ask: string;
  ask_size: string;
  mid: string;
  spread: string;
  spread_bps: string;
  sequence: string;
  received_at: string;
  key: string;
}

export const QUOTE_COLUMNS: readonly (keyof QuoteRow)[] = [
  'time',
  'exchange',
  'product_id',
  'bid',
  'bid_size',
  'ask',
  'ask_size',
  'mid',
  'spread',
  'spread_bps',
  'sequence',
  'received_at',
  'key',
];

export function toQuoteRow(s: StoredSnapshot): QuoteRow {
  const bid = s.bids[0];
  const ask = s.asks[0];
  const both = bid !== undefined && ask !== undefined;
  return {
    time: s.timestamp,
    exchange: s.exchange,
    product_id: s.product_id,
    bid: bid?.[0] ?? '',
    bid_size: bid?.[1] ?? '',
    ask: ask?.[0] ?? '',
    ask_size: ask?.[1] ?? '',
    mid: both ? midPrice(bid[0], ask[0]) : '',
    spread: both ? spread(bid[0], ask[0]) : '',
    spread_bps: both ? (spreadBps(bid[0], ask[0], 4) ?? '') : '',
    sequence: s.sequence,
    received_at: s.received_at,
    key: s.key,
  };
}
