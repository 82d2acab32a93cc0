import { z } from 'zod';
import { isExchangeId } from './exchanges/exchange-ids.js';
import { isValidProductId } from './product-id.js';
import { isFixedTimestamp } from './timestamp.js';

/**
 * A decimal number as the exchange wrote it. Kept as a string end to end: parsing into a float would
 * round (0.1 + 0.2) and lose trailing zeros that tell the venue's tick size.
 */
export const decimalString = z
  .string()
  .regex(/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/, 'expected a decimal number written as a string');

/** One book level: [price, size, ...venue extras] (Coinbase adds num_orders as a JSON number). */
export const levelSchema = z.tuple([decimalString, decimalString]).rest(z.union([z.number(), z.string()]));
export type Level = z.infer<typeof levelSchema>;

/** Where `timestamp` came from: the venue's own clock, or our receipt time when the venue gives none. */
export const timestampSources = ['exchange', 'received'] as const;
export type TimestampSource = (typeof timestampSources)[number];

/**
 * The one normalized snapshot every exchange adapter produces and the store writes.
 * `timestamp` (exchange time) and `received_at` (local receipt time) are kept apart.
 */
export const l1SnapshotSchema = z.object({
  exchange: z.string().refine(isExchangeId, 'unknown exchange'),
  product_id: z.string().refine(isValidProductId, 'invalid product id'),
  bids: z.array(levelSchema),
  asks: z.array(levelSchema),
  /** Fixed-width ISO-8601 UTC with microseconds, e.g. 2026-11-24T10:00:00.123456Z. */
  timestamp: z.string().refine(isFixedTimestamp, 'expected YYYY-MM-DDTHH:MM:SS.ffffffZ'),
  /** The venue's book sequence / update id as a decimal string ('' when the venue gives none). */
  sequence: z.string().regex(/^\d*$/, 'expected a decimal integer string'),
  received_at: z.string().refine(isFixedTimestamp, 'expected YYYY-MM-DDTHH:MM:SS.ffffffZ'),
  /** The venue's own symbol for the product (e.g. XXBTZUSD); equals product_id on Coinbase. */
  native_symbol: z.string().optional(),
  timestamp_source: z.enum(timestampSources).optional(),
});

export type L1Snapshot = z.infer<typeof l1SnapshotSchema>;
