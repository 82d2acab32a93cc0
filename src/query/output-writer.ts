/**
 * Streaming writers for l1-query's formats. Each takes snapshots one at a time and writes as it
 * goes, so a range of millions prints in constant memory.
 *   table   aligned columns for people (widths fixed from the first rows)
 *   json    one JSON array of full snapshots (bids/asks as stored) plus the derived quote columns
 *   ndjson  one JSON object per line, same objects as json
 *   csv     RFC 4180, header row, the quote columns
 */
import type { Writable } from 'node:stream';
import type { StoredSnapshot } from '../store/redis-store.js';
import { QUOTE_COLUMNS, type QuoteRow, toQuoteRow } from './quote-row.js';

export const OUTPUT_FORMATS = ['table', 'json', 'ndjson', 'csv'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface OutputWriter {
  write(s: StoredSnapshot): Promise<void>;
  /**
   * Puts out whatever is held back now (the table holds its first rows to size its columns);
   * `--follow` calls it after each poll so new rows show at once.
   */
  flush(): Promise<void>;
  end(): Promise<void>;
  readonly count: number;
}

/**
 * Writes `text`; resolves at once while the stream takes more, else when it has drained. So an
 * export into a slow reader (a pipe into gzip, a paused `less`) waits for it instead of piling the
 * rows up in memory, and the range read behind it pauses too. Rejects if the stream fails or closes
 * while waiting, instead of waiting for a 'drain' that will never come.
 */
export function send(out: Writable, text: string): Promise<void> {
  if (out.write(text)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const settle = (err?: Error) => {
      out.off('drain', onDrain);
      out.off('error', onError);
      out.off('close', onClose);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = () => settle();
    const onError = (err: Error) => settle(err);
    const onClose = () => settle(new Error('the output was closed before everything was written'));
    out.on('drain', onDrain);
    out.on('error', onError);
    out.on('close', onClose);
  });
}

function jsonObject(s: StoredSnapshot): Record<string, unknown> {
  const row = toQuoteRow(s);
  return {
    key: s.key,
    exchange: s.exchange,
    product_id: s.product_id,
    timestamp: s.timestamp,
    sequence: s.sequence,
    received_at: s.received_at,
    bids: s.bids,
    asks: s.asks,
    ...(s.native_symbol !== undefined ? { native_symbol: s.native_symbol } : {}),
    ...(s.timestamp_source !== undefined ? { timestamp_source: s.timestamp_source } : {}),
    mid: row.mid || null,
    spread: row.spread || null,
    spread_bps: row.spread_bps || null,
  };
}

function csvCell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

const TABLE_COLUMNS: readonly { key: keyof QuoteRow; title: string; right: boolean }[] = [
  { key: 'time', title: 'TIME (UTC)', right: false },
  { key: 'bid', title: 'BID', right: true },
  { key: 'bid_size', title: 'BID SIZE', right: true },
  { key: 'ask', title: 'ASK', right: true },
  { key: 'ask_size', title: 'ASK SIZE', right: true },
  { key: 'mid', title: 'MID', right: true },
  { key: 'spread', title: 'SPREAD', right: true },
  { key: 'spread_bps', title: 'BPS', right: true },
  { key: 'sequence', title: 'SEQUENCE', right: true },
];
const TABLE_SAMPLE = 200;

export function createOutputWriter(format: OutputFormat, out: Writable): OutputWriter {
  let count = 0;
  switch (format) {
    case 'json':
      return {
        get count() {
          return count;
        },
        async write(s) {
          await send(out, `${count === 0 ? '[\n' : ',\n'}  ${JSON.stringify(jsonObject(s))}`);
          count += 1;
        },
        async flush() {},
        async end() {
          await send(out, count === 0 ? '[]\n' : '\n]\n');
        },
      };
    case 'ndjson':
      return {
        get count() {
          return count;
        },
        async write(s) {
          await send(out, `${JSON.stringify(jsonObject(s))}\n`);
          count += 1;
        },
        async flush() {},
        async end() {},
      };
    case 'csv':
      return {
        get count() {
          return count;
        },
        async write(s) {
          if (count === 0) await send(out, `${QUOTE_COLUMNS.join(',')}\n`);
          const row = toQuoteRow(s);
          await send(out, `${QUOTE_COLUMNS.map((c) => csvCell(row[c])).join(',')}\n`);
          count += 1;
        },
        async flush() {},
        async end() {
          if (count === 0) await send(out, `${QUOTE_COLUMNS.join(',')}\n`);
        },
      };
    case 'table': {
      // Widths come from the first rows; later rows that are wider simply push their line out.
      const sample: QuoteRow[] = [];
      let widths: number[] | undefined;
      const line = (cells: string[]) =>
        cells
          .map((c, i) => {
            const col = TABLE_COLUMNS[i];
            const w = widths?.[i] ?? 0;
            return col?.right ? c.padStart(w) : c.padEnd(w);
          })
          .join('  ')
          .trimEnd();
      const cellsOf = (r: QuoteRow) => TABLE_COLUMNS.map((c) => r[c.key] || '—');
      const flush = async () => {
        widths = TABLE_COLUMNS.map((c, i) =>
          Math.max(c.title.length, ...sample.map((r) => cellsOf(r)[i]?.length ?? 0)),
        );
        let text = `${line(TABLE_COLUMNS.map((c) => c.title))}\n`;
        for (const r of sample) text += `${line(cellsOf(r))}\n`;
        sample.length = 0;
        await send(out, text);
      };
      return {
        get count() {
          return count;
        },
        async write(s) {
          count += 1;
          const row = toQuoteRow(s);
          if (widths) return send(out, `${line(cellsOf(row))}\n`);
          sample.push(row);
          if (sample.length >= TABLE_SAMPLE) await flush();
        },
        async flush() {
          if (!widths && count > 0) await flush();
        },
        async end() {
          if (!widths && count > 0) await flush();
        },
      };
    }
  }
}
