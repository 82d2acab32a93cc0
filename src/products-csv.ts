/**
 * Reads the products CSV: a header row with a `product_id` column and an optional `exchange`
 * column (other columns ignored), blank lines and surrounding whitespace ignored, ids upper-cased,
 * exchange names lower-cased; a row without an exchange (no column, or an empty cell) takes the
 * default exchange (`--exchange NAME`, else coinbase). Duplicates of the same (exchange, product)
 * are dropped with a warning. Anything wrong is an InputError naming the file, the line and the
 * value, raised before anything is fetched or written.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { InputError } from './errors.js';
import {
  DEFAULT_EXCHANGE,
  type ExchangeId,
  isExchangeId,
  SUPPORTED_EXCHANGES,
} from './exchanges/exchange-ids.js';
import { normalizeProductId, PRODUCT_ID_PATTERN } from './product-id.js';

/** One product on one venue, as the CSV asked for it. */
export interface ProductTarget {
  exchange: ExchangeId;
  productId: string;
}

export interface ProductsFile {
  /** Every (exchange, product) once, in file order. */
  targets: ProductTarget[];
  /**
   * @deprecated The Coinbase targets' ids only, for callers not yet reading `targets`; products of
   * other exchanges are NOT in it.
   */
  productIds: string[];
  /** Human-readable notes (duplicates dropped), for stderr. */
  warnings: string[];
}

export interface ProductsCsvOptions {
  /** The exchange of rows without one (no `exchange` column, or an empty cell). Default coinbase. */
  defaultExchange?: ExchangeId;
}

const MAX_BYTES = 10 * 1024 * 1024;

export function readProductsCsv(path: string, options: ProductsCsvOptions = {}): ProductsFile {
  let buffer: Buffer;
  try {
    buffer = readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new InputError(
        `${path}: file not found; pass a CSV with a product_id column, e.g. --csv example_products.csv`,
      );
    if (code === 'EISDIR') throw new InputError(`${path}: is a directory, not a CSV file`);
    throw new InputError(`${path}: cannot read (${code ?? String(err)})`);
  }
  return parseProductsCsv(buffer, path, options);
}

export function parseProductsCsv(
  buffer: Buffer,
  path: string,
  options: ProductsCsvOptions = {},
): ProductsFile {
  const defaultExchange = options.defaultExchange ?? DEFAULT_EXCHANGE;
  if (buffer.length > MAX_BYTES) throw new InputError(`${path}: larger than 10 MiB; is this the right file?`);
  if (buffer.includes(0))
    throw new InputError(`${path}: contains binary data (NUL bytes), not a CSV text file`);
  const text = buffer.toString('utf8').replace(/^\uFEFF/, '');
  if (text.includes('\uFFFD')) throw new InputError(`${path}: is not UTF-8 text; save it as a UTF-8 CSV`);
  if (text.trim() === '')
    throw new InputError(`${path}: is empty; it needs a header row 'product_id' and one product per line`);

  let rows: { record: string[]; line: number }[];
  try {
    // With `info: true` csv-parse returns {record, info}, which its overloads do not express.
    const parsed = parse(text, {
      info: true,
      skip_empty_lines: true,
      trim: true,
      relax_column_count: true,
    }) as unknown as { record: string[]; info: { lines: number } }[];
    rows = parsed.map((r) => ({ record: r.record, line: r.info.lines }));
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new InputError(`${path}: not a valid CSV (${detail})`);
  }
  rows = rows.filter((r) => r.record.some((cell) => cell !== ''));
  const header = rows.shift();
  if (!header)
    throw new InputError(`${path}: is empty; it needs a header row 'product_id' and one product per line`);
  const column = header.record.findIndex((h) => h.toLowerCase() === 'product_id');
  if (column === -1) {
    throw new InputError(
      `${path}:${header.line}: no 'product_id' column in the header (found: ${header.record.map((h) => `'${h}'`).join(', ')})`,
    );
  }

  const exchangeColumn = header.record.findIndex((h) => h.toLowerCase() === 'exchange');

  const seen = new Map<string, number>();
  const targets: ProductTarget[] = [];
  const warnings: string[] = [];
  for (const { record, line } of rows) {
    const raw = record[column] ?? '';
    if (raw === '') throw new InputError(`${path}:${line}: empty product_id`);
    const id = normalizeProductId(raw);
    if (!id) {
      throw new InputError(
        `${path}:${line}: invalid product id '${printable(raw)}' (expected BASE-QUOTE such as BTC-USD: letters and digits, parts joined by '-', matching ${PRODUCT_ID_PATTERN.source})`,
      );
    }
    const rawExchange = exchangeColumn === -1 ? '' : (record[exchangeColumn] ?? '');
    const name = rawExchange.toLowerCase();
    if (name !== '' && !isExchangeId(name)) {
      throw new InputError(
        `${path}:${line}: unknown exchange '${printable(rawExchange)}'; supported: ${SUPPORTED_EXCHANGES} (leave it empty for ${defaultExchange})`,
      );
    }
    const exchange: ExchangeId = name === '' ? defaultExchange : name;
    const key = `${exchange}:${id}`;
    const first = seen.get(key);
    if (first !== undefined) {
      warnings.push(
        `${path}:${line}: duplicate product ${id} on ${exchange} (first on line ${first}) ignored`,
      );
      continue;
    }
    seen.set(key, line);
    targets.push({ exchange, productId: id });
  }
  if (targets.length === 0)
    throw new InputError(`${path}: has a header but no products; add one product id per line`);
  const productIds = targets.filter((t) => t.exchange === 'coinbase').map((t) => t.productId);
  return { targets, productIds, warnings };
}

function printable(value: string): string {
  const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
  return shown.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
