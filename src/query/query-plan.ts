/**
 * Turns l1-query's flags into one checked plan, or a UsageError (exit 2) with a one-line message.
 * Pure: no Redis, no clock (the caller passes "now"), so every rule is unit-tested.
 *
 * Modes, one per run: rows (the default), --list, --stats and/or --chart / --chart-out (one pass
 * over a range), --follow, --prune.
 *
 * Order and limit, like SQL's ORDER BY … LIMIT: --order says which end of the range comes first
 * and --limit takes that many from there.
 *   no --from/--to  default --order desc (newest first) and, for rows, --limit 10
 *   --from or --to  default --order asc (oldest first) and no limit: the whole range streams
 * --stats and the charts cover everything selected (no default limit).
 */
import { UsageError } from '../errors.js';
import { DEFAULT_EXCHANGE, type ExchangeId, parseExchangeName } from '../exchanges/exchange-ids.js';
import { normalizeProductId } from '../product-id.js';
import type { ProductRef } from '../store/keys.js';
import { checkRange, parseTimeInput } from '../time-input.js';
import { type ChartFileKind, chartFileKind } from './chart-output.js';
import { OUTPUT_FORMATS, type OutputFormat } from './output-writer.js';

export const DEFAULT_LIMIT = 10;
export const ORDERS = ['asc', 'desc'] as const;
export type Order = (typeof ORDERS)[number];

/** The flags as commander hands them over (strings unparsed, booleans undefined when absent). */
export interface QueryFlags {
  productId?: string;
  exchange?: string;
  from?: string;
  to?: string;
  limit?: number;
  order?: string;
  latest?: boolean;
  json?: boolean;
  format?: string;
  list?: boolean;
  stats?: boolean;
  follow?: boolean;
  chart?: boolean;
  chartOut?: string;
  prune?: boolean;
  before?: string;
  yes?: boolean;
  out?: string;
}

export interface RangeSpec {
  fromMicros: number | undefined;
  toMicros: number | undefined;
  order: Order;
  limit: number | undefined;
}

export type QueryPlan =
  | { mode: 'rows'; ref: ProductRef; range: RangeSpec; format: OutputFormat; latest: boolean }
  | {
      mode: 'range';
      ref: ProductRef;
      range: RangeSpec;
      format: OutputFormat;
      stats: boolean;
      chart: boolean;
      chartOut: { path: string; kind: ChartFileKind } | undefined;
    }
  | { mode: 'list'; exchange: ExchangeId | undefined; format: OutputFormat }
  | {
      mode: 'follow';
      ref: ProductRef;
      fromMicros: number | undefined;
      backlog: number;
      format: OutputFormat;
    }
  | {
      /** --format parquet --out FILE: one product, or every product (of --exchange), into one file. */
      mode: 'export';
      ref: ProductRef | undefined;
      exchange: ExchangeId | undefined;
      range: RangeSpec;
      out: string;
    }
  | {
      mode: 'prune';
      ref: ProductRef | undefined;
      exchange: ExchangeId | undefined;
      beforeMicros: number;
      yes: boolean;
      format: OutputFormat;
    };

function flagList(flags: QueryFlags, names: (keyof QueryFlags)[]): string[] {
  return names.filter((n) => flags[n] !== undefined && flags[n] !== false).map(optionName);
}

function optionName(key: keyof QueryFlags): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** Throws when any of `others` is set alongside `flag`. */
function refuse(flags: QueryFlags, flag: keyof QueryFlags, others: (keyof QueryFlags)[], why = ''): void {
  const clash = flagList(flags, others);
  if (clash.length === 0) return;
  const list = clash.length === 1 ? clash[0] : `${clash.slice(0, -1).join(', ')} and ${clash.at(-1)}`;
  throw new UsageError(
    `${optionName(flag)} cannot be combined with ${list}${why ? `: ${why}` : ''} (see l1-query --help)`,
  );
}

export function buildQueryPlan(flags: QueryFlags, nowMicros: number): QueryPlan {
  // Output format first: it applies to every mode.
  const parquet = flags.format === PARQUET_FORMAT;
  if (
    flags.format !== undefined &&
    !parquet &&
    !(OUTPUT_FORMATS as readonly string[]).includes(flags.format)
  ) {
    throw new UsageError(
      `--format: unknown format '${flags.format}'; use one of ${OUTPUT_FORMATS.join(', ')}, or ${PARQUET_FORMAT} with --out FILE.parquet`,
    );
  }
  if (parquet && flags.json) {
    throw new UsageError(`--json and --format ${PARQUET_FORMAT} contradict each other; pick one`);
  }
  if (flags.out !== undefined && !parquet) {
    throw new UsageError(
      '--out only applies to --format parquet; other formats print to stdout (redirect it: > file)',
    );
  }
  if (flags.json && flags.format !== undefined && flags.format !== 'json') {
    throw new UsageError(`--json and --format ${flags.format} contradict each other; pick one`);
  }
  const format = (flags.json ? 'json' : (flags.format ?? 'table')) as OutputFormat;

  const exchange = flags.exchange === undefined ? undefined : parseExchangeName(flags.exchange);
  let productId: string | undefined;
  if (flags.productId !== undefined) {
    productId = normalizeProductId(flags.productId);
    if (!productId) {
      throw new UsageError(
        `--product-id: invalid product id '${flags.productId}' (expected BASE-QUOTE such as BTC-USD: letters and digits joined by dashes)`,
      );
    }
  }
  const ref = (): ProductRef => {
    if (productId === undefined) {
      throw new UsageError('--product-id is required here, e.g. --product-id BTC-USD (or use --list)');
    }
    return { exchange: exchange ?? DEFAULT_EXCHANGE, productId };
  };

  if (flags.order !== undefined && !(ORDERS as readonly string[]).includes(flags.order)) {
    throw new UsageError(
      `--order: '${flags.order}' is not an order; use asc (oldest first) or desc (newest first)`,
    );
  }
  const parseTime = (text: string | undefined, name: string, bound: 'from' | 'to') =>
    text === undefined ? undefined : parseTimeInput(text, name, nowMicros, bound);
  const fromMicros = parseTime(flags.from, '--from', 'from');
  const toMicros = parseTime(flags.to, '--to', 'to');
  if (fromMicros !== undefined && toMicros !== undefined) checkRange(fromMicros, toMicros);

  if (!flags.prune && flags.before !== undefined) {
    throw new UsageError('--before only applies to --prune, e.g. --prune --before -7d');
  }
  if (!flags.prune && flags.yes) throw new UsageError('--yes only confirms --prune; drop it');
  if (flags.chartOut !== undefined && flags.chartOut.trim() === '') {
    throw new UsageError('--chart-out: a file name is required, e.g. --chart-out btc.svg');
  }

  if (parquet)
    return exportPlan(flags, productId === undefined ? undefined : ref(), exchange, fromMicros, toMicros);

  if (flags.latest) {
    refuse(flags, 'latest', [
      'from',
      'to',
      'limit',
      'order',
      'list',
      'stats',
      'follow',
      'chart',
      'chartOut',
      'prune',
    ]);
    return {
      mode: 'rows',
      ref: ref(),
      range: { fromMicros: undefined, toMicros: undefined, order: 'desc', limit: 1 },
      format,
      latest: true,
    };
  }

  if (flags.list) {
    refuse(
      flags,
      'list',
      ['productId', 'from', 'to', 'limit', 'order', 'stats', 'follow', 'chart', 'chartOut', 'prune'],
      'it lists every product (narrow it with --exchange)',
    );
    return { mode: 'list', exchange, format };
  }

  if (flags.prune) {
    refuse(
      flags,
      'prune',
      ['from', 'to', 'limit', 'order', 'stats', 'follow', 'chart', 'chartOut'],
      'it takes --before T and removes everything older',
    );
    if (flags.before === undefined) {
      throw new UsageError(
        '--prune needs --before T, e.g. --prune --before -7d (removes what is strictly older)',
      );
    }
    const beforeMicros = parseTimeInput(flags.before, '--before', nowMicros, 'from');
    return {
      mode: 'prune',
      ref: productId === undefined ? undefined : ref(),
      exchange,
      beforeMicros,
      yes: Boolean(flags.yes),
      format,
    };
  }

  if (flags.follow) {
    refuse(flags, 'follow', ['to', 'stats', 'chart', 'chartOut'], 'it runs until interrupted');
    if (flags.order === 'desc') {
      throw new UsageError(
        '--follow prints oldest first (new snapshots arrive at the end); drop --order desc',
      );
    }
    if (fromMicros !== undefined && flags.limit !== undefined) {
      throw new UsageError(
        '--follow with --from prints everything from that time on; drop --limit (or drop --from to start with the newest N)',
      );
    }
    return { mode: 'follow', ref: ref(), fromMicros, backlog: flags.limit ?? DEFAULT_LIMIT, format };
  }

  const ranged = fromMicros !== undefined || toMicros !== undefined;
  const order: Order = (flags.order as Order | undefined) ?? (ranged ? 'asc' : 'desc');
  const chartOut =
    flags.chartOut === undefined ? undefined : { path: flags.chartOut, kind: chartFileKind(flags.chartOut) };
  if (flags.stats || flags.chart || chartOut) {
    const formatFlag = flags.json ? '--json' : `--format ${flags.format}`;
    if (flags.chart && format !== 'table') {
      throw new UsageError(`--chart draws on the terminal and cannot be mixed with ${formatFlag}; drop one`);
    }
    if (!flags.stats && (flags.format !== undefined || flags.json)) {
      throw new UsageError(`--chart-out writes a file, not rows: drop ${formatFlag} (or add --stats)`);
    }
    return {
      mode: 'range',
      ref: ref(),
      range: { fromMicros, toMicros, order, limit: flags.limit },
      format,
      stats: Boolean(flags.stats),
      chart: Boolean(flags.chart),
      chartOut,
    };
  }
  return {
    mode: 'rows',
    ref: ref(),
    range: { fromMicros, toMicros, order, limit: flags.limit ?? (ranged ? undefined : DEFAULT_LIMIT) },
    format,
    latest: false,
  };
}

/** The name `--format` takes for a Parquet export (not one of OUTPUT_FORMATS: it writes a file, not stdout). */
export const PARQUET_FORMAT = 'parquet';

function exportPlan(
  flags: QueryFlags,
  ref: ProductRef | undefined,
  exchange: ExchangeId | undefined,
  fromMicros: number | undefined,
  toMicros: number | undefined,
): QueryPlan {
  refuse(
    flags,
    'format',
    ['latest', 'list', 'stats', 'follow', 'chart', 'chartOut', 'prune'],
    'a Parquet export writes the selected snapshots to a file',
  );
  if (flags.out === undefined || flags.out.trim() === '') {
    throw new UsageError('--format parquet writes a file: add --out FILE.parquet');
  }
  // An export wants everything selected, oldest first, unless told otherwise.
  const order: Order = (flags.order as Order | undefined) ?? 'asc';
  return {
    mode: 'export',
    ref,
    exchange,
    range: { fromMicros, toMicros, order, limit: flags.limit },
    out: flags.out,
  };
}
