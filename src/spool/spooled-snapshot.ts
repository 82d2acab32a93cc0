/**
 * A spool record's payload back to a snapshot.
 *
 * The payload is JSON this program wrote from a snapshot its adapter had already parsed with the
 * zod schema, and its CRC-32 matched, so it is not parsed with zod again: that costs more than the
 * rest of the replay's decoding together (bench: replay of 100,000 at 0.7× RedisStore.write with
 * it, 0.9× without). What is checked is what the write path relies on, so a record from another
 * version cannot make every write of its batch fail: the fields that build keys (venue, product id,
 * exchange time) and the types of the others.
 */
import { isExchangeId } from '../exchanges/exchange-ids.js';
import { isValidProductId } from '../product-id.js';
import type { L1Snapshot } from '../snapshot.js';
import { isFixedTimestamp } from '../timestamp.js';

export function decodeSnapshot(payload: Buffer): L1Snapshot | undefined {
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch {
    return undefined;
  }
  return isSpooledSnapshot(value) ? value : undefined;
}

function isSpooledSnapshot(v: unknown): v is L1Snapshot {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  return (
    typeof s.exchange === 'string' &&
    isExchangeId(s.exchange) &&
    typeof s.product_id === 'string' &&
    isValidProductId(s.product_id) &&
    typeof s.timestamp === 'string' &&
    isFixedTimestamp(s.timestamp) &&
    typeof s.received_at === 'string' &&
    typeof s.sequence === 'string' &&
    isLevels(s.bids) &&
    isLevels(s.asks) &&
    (s.native_symbol === undefined || typeof s.native_symbol === 'string') &&
    (s.timestamp_source === undefined ||
      s.timestamp_source === 'exchange' ||
      s.timestamp_source === 'received')
  );
}

function isLevels(v: unknown): boolean {
  if (!Array.isArray(v)) return false;
  for (const level of v)
    if (!Array.isArray(level) || typeof level[0] !== 'string' || typeof level[1] !== 'string') return false;
  return true;
}
