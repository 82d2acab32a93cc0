/**
 * `l1-query --list`: every stored product with its snapshot count, first and last time and latest
 * quote, grouped by venue. A product whose snapshots were all pruned stays listed, marked
 * "no data (pruned)": it is still in the product set, and the next capture fills it again.
 */
import type { ProductSummary } from '../store/redis-store.js';
import { fromEpochMicros } from '../timestamp.js';
import type { FlatRecord } from './records.js';

export const NO_DATA = 'no data (pruned)';

export interface ProductListRecord extends FlatRecord {
  exchange: string;
  product_id: string;
  count: number;
  first: string | null;
  last: string | null;
  bid: string | null;
  bid_size: string | null;
  ask: string | null;
  ask_size: string | null;
  /** 'ok', or 'no data (pruned)' when the product's index is empty. */
  status: string;
}

export const LIST_COLUMNS: readonly (keyof ProductListRecord & string)[] = [
  'exchange',
  'product_id',
  'count',
  'first',
  'last',
  'bid',
  'bid_size',
  'ask',
  'ask_size',
  'status',
];

export function toListRecord(s: ProductSummary): ProductListRecord {
  const bid = s.latest?.bids[0];
  const ask = s.latest?.asks[0];
  return {
    exchange: s.exchange,
    product_id: s.productId,
    count: s.count,
    first: s.firstMicros === undefined ? null : fromEpochMicros(s.firstMicros),
    last: s.lastMicros === undefined ? null : fromEpochMicros(s.lastMicros),
    bid: bid?.[0] ?? null,
    bid_size: bid?.[1] ?? null,
    ask: ask?.[0] ?? null,
    ask_size: ask?.[1] ?? null,
    status: s.count > 0 ? 'ok' : NO_DATA,
  };
}

const HEADERS = ['PRODUCT', 'SNAPSHOTS', 'FIRST (UTC)', 'LAST (UTC)', 'BID', 'BID SIZE', 'ASK', 'ASK SIZE'];
const RIGHT = [false, true, false, false, true, true, true, true];

/** One block per venue: a title line, then aligned columns (widths shared by all blocks). */
export function renderListTable(records: readonly ProductListRecord[]): string {
  const dash = (v: string | null) => v ?? '—';
  const cells = records.map((r) =>
    r.count === 0
      ? [r.product_id, '0', NO_DATA, '', '', '', '', '']
      : [
          r.product_id,
          r.count.toLocaleString('en-US'),
          dash(r.first),
          dash(r.last),
          dash(r.bid),
          dash(r.bid_size),
          dash(r.ask),
          dash(r.ask_size),
        ],
  );
  const widths = HEADERS.map((h, i) =>
    Math.max(
      h.length,
      // A "no data" note may run over the empty columns after it: it does not widen its own.
      ...cells.map((c, j) => (records[j]?.count === 0 && i === 2 ? 0 : (c[i] ?? '').length)),
    ),
  );
  const line = (row: readonly string[]) =>
    `  ${row
      .map((c, i) => (RIGHT[i] ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd()}`;
  const out: string[] = [];
  let venue: string | undefined;
  records.forEach((r, j) => {
    if (r.exchange !== venue) {
      if (venue !== undefined) out.push('');
      venue = r.exchange;
      const n = records.filter((x) => x.exchange === venue).length;
      out.push(`${venue} (${n} product${n === 1 ? '' : 's'})`, line(HEADERS));
    }
    out.push(line(cells[j] ?? []));
  });
  return `${out.join('\n')}\n`;
}
