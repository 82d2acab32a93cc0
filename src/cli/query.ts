#!/usr/bin/env node
/**
 * l1-query: read back what l1-fetch stored. Rows of a product over a time range in four formats,
 * the product list, statistics, charts, a live follow, and pruning by hand. The flags become a
 * checked plan in src/query/query-plan.ts; this file connects, runs the plan and prints.
 */
import { EXIT_OK, UsageError } from '../errors.js';
import { EXCHANGE_IDS } from '../exchanges/exchange-ids.js';
import { archiveNotes } from '../query/archive-note.js';
import { chartPoint, newChartAccumulator, terminalChart, writeChartFile } from '../query/chart-output.js';
import { confirm } from '../query/confirm.js';
import { type ExportTarget, exportTarget } from '../query/export-target.js';
import { follow } from '../query/follow.js';
import { createOutputWriter, OUTPUT_FORMATS, type OutputFormat } from '../query/output-writer.js';
import { LIST_COLUMNS, renderListTable, toListRecord } from '../query/product-list.js';
import {
  buildQueryPlan,
  DEFAULT_LIMIT,
  PARQUET_FORMAT,
  type QueryFlags,
  type QueryPlan,
} from '../query/query-plan.js';
import { RangeStats, renderStatsText, STATS_COLUMNS } from '../query/range-stats.js';
import { type FlatRecord, recordsToCsv, recordsToNdjson } from '../query/records.js';
import { closeRedis } from '../store/close-redis.js';
import type { ProductRef } from '../store/keys.js';
import type { RedisClient } from '../store/redis-client.js';
import { RedisStore } from '../store/redis-store.js';
import { fromEpochMicros, nowMicros } from '../timestamp.js';
import { attachEnvVars } from './env-options.js';
import { newProgram } from './options.js';
import { addRedisOptions, REDIS_FLAGS, type RedisTarget, resolveRedisTarget } from './redis-options.js';
import { runMain, startExitDeadline } from './run-main.js';

const TOOL = 'l1-query';
const FOLLOW_INTERVAL_MS = 250;

const EXAMPLES = [
  'Rows (columns: time, bid, bid size, ask, ask size, mid, spread, spread bps, sequence):',
  `  $ l1-query --product-id BTC-USD                          # newest ${DEFAULT_LIMIT}, newest first`,
  '  $ l1-query --product-id BTC-USD --latest                 # only the newest',
  '  $ l1-query --product-id BTC-USD --from -15m              # the last 15 minutes, oldest first',
  '  $ l1-query --product-id BTC-USD --from 2026-11-24 --to 2026-11-24   # that whole UTC day',
  '  $ l1-query --product-id BTC-USD --from 2026-11-24T10:00:00Z --to 1795528800 --order desc --limit 100',
  '  $ l1-query --product-id ETH-USD --from -1d --format csv > eth.csv    # also json, ndjson, table',
  '  $ l1-query --product-id ETH-USD --limit 100 --json',
  '  $ l1-query --product-id BTC-USD --from 2026-11-24 --to 2026-11-24 --format parquet --out btc.parquet',
  '  $ l1-query --exchange kraken --from -1d --format parquet --out kraken.parquet  # every kraken product',
  '',
  'Overview, statistics, charts:',
  '  $ l1-query --list                                        # every product: count, first/last, latest quote',
  '  $ l1-query --product-id BTC-USD --stats --from -1h       # spread min/max/mean, gaps, sequence jumps',
  '  $ l1-query --product-id BTC-USD --chart --from -6h       # bid/ask and spread in the terminal',
  '  $ l1-query --product-id BTC-USD --from -1d --chart-out btc.svg      # or btc.png',
  '',
  'Live, and housekeeping:',
  '  $ l1-query --product-id BTC-USD --follow                 # like tail -f; Ctrl-C to stop',
  '  $ l1-query --prune --before -7d                          # asks first; --yes to skip the question',
  '  $ l1-query --prune --before 2026-11-01 --product-id BTC-USD --yes',
  '',
  'Times (--from, --to, --before; both range bounds inclusive, no zone means UTC): 2026-11-24T10:00:00Z,',
  '2026-11-24T12:00:00+02:00, a date 2026-11-24 (as --to: the end of that day), epoch seconds, ms or µs',
  '(1795514400, 1795514400000), relative -30s -15m -2h -1d -1w, or now.',
  '',
  `Order and limit work like SQL ORDER BY … LIMIT. Without --from/--to: newest first, ${DEFAULT_LIMIT} rows.`,
  'With --from or --to: oldest first and the whole range, streamed (a million rows print in constant',
  'memory). --order flips the end --limit takes from. --stats and charts cover everything selected.',
  '',
  '--follow prints the newest --limit snapshots (or everything from --from on), then new ones as they are',
  `stored (polls every ${FOLLOW_INTERVAL_MS} ms), in exchange-time order, until Ctrl-C (exit 0).`,
  '--prune removes snapshots strictly older than --before, hash and index entry together, for one product',
  'or every product; a product left empty stays in --list as "no data (pruned)".',
  '',
  'Exit codes: 0 ok (also when nothing matches: a note on stderr, an empty result on stdout);',
  '1 Redis unreachable; 2 bad flag or value (nothing is read or removed).',
].join('\n');

function nonNegativeInt(flag: string): (value: string) => number {
  return (value) => {
    const n = Number(value.trim());
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) {
      throw new UsageError(`${flag}: '${value}' is not a whole number of 0 or more`);
    }
    return n;
  };
}

function buildProgram() {
  return newProgram(TOOL, 'Query the level-1 snapshots l1-fetch stored in Redis.', EXAMPLES)
    .option('--product-id <id>', 'product to read, e.g. BTC-USD')
    .option('--exchange <name>', `venue of the product (${EXCHANGE_IDS.join(', ')}; default coinbase)`)
    .option('--from <time>', 'start of the range, inclusive (see Times below)')
    .option('--to <time>', 'end of the range, inclusive')
    .option(
      '--limit <n>',
      `at most n snapshots (default ${DEFAULT_LIMIT} without --from/--to)`,
      nonNegativeInt('--limit'),
    )
    .option(
      '--order <order>',
      'asc (oldest first) or desc (newest first); default desc, asc with --from/--to',
    )
    .option('--latest', 'only the newest snapshot')
    .option(
      '--format <format>',
      `output format: ${OUTPUT_FORMATS.join(', ')} (default table), or ${PARQUET_FORMAT} with --out`,
    )
    .option('--out <file>', `with --format ${PARQUET_FORMAT}: the file to write (- for a pipe)`)
    .option('--json', 'shortcut for --format json')
    .option('--list', 'list every stored product with count, first/last time and latest quote')
    .option('--stats', 'statistics of the selected snapshots instead of rows')
    .option('--follow', 'print new snapshots as they are stored, until Ctrl-C')
    .option('--chart', 'draw bid/ask and spread of the selected snapshots in the terminal')
    .option('--chart-out <file>', 'write that chart to FILE.svg or FILE.png')
    .option('--prune', 'remove stored snapshots older than --before')
    .option('--before <time>', 'with --prune: remove snapshots strictly older than this')
    .option('--yes', 'with --prune: do not ask for confirmation');
}

const out = process.stdout;
const say = (text: string) => process.stderr.write(`${TOOL}: ${text}\n`);

function describeRef(ref: ProductRef): string {
  return `${ref.exchange} ${ref.productId}`;
}

function describeRange(fromMicros: number | undefined, toMicros: number | undefined): string {
  if (fromMicros === undefined && toMicros === undefined) return '';
  if (toMicros === undefined) return ` from ${fromEpochMicros(fromMicros ?? 0)} on`;
  if (fromMicros === undefined) return ` up to ${fromEpochMicros(toMicros)}`;
  return ` between ${fromEpochMicros(fromMicros)} and ${fromEpochMicros(toMicros)}`;
}

/** Writes text and waits for the pipe to take it (large results into a slow reader). */
function print(text: string): Promise<void> {
  return new Promise((resolve, reject) =>
    // EPIPE (the reader went away) is handled by the stream's 'error' listener in main: exit 0.
    out.write(text, (err) =>
      err && (err as NodeJS.ErrnoException).code !== 'EPIPE' ? reject(err) : resolve(),
    ),
  );
}

function printRecords(
  format: OutputFormat,
  columns: readonly string[],
  records: FlatRecord[],
  single = false,
) {
  switch (format) {
    case 'json':
      return print(`${JSON.stringify(single ? records[0] : records, null, 2)}\n`);
    case 'ndjson':
      return print(recordsToNdjson(records));
    case 'csv':
      return print(recordsToCsv(columns, records));
    case 'table':
      throw new Error('tables are rendered by the caller');
  }
}

async function runRows(store: RedisStore, plan: Extract<QueryPlan, { mode: 'rows' }>): Promise<number> {
  const writer = createOutputWriter(plan.format, out);
  const { fromMicros, toMicros, order, limit } = plan.range;
  for await (const s of store.range(plan.ref, { fromMicros, toMicros, order, limit })) await writer.write(s);
  await writer.end();
  const notes = await archiveNotes(store, [plan.ref], fromMicros, toMicros, [writer.count]);
  if (writer.count === 0 && limit !== 0) say(await emptyNote(store, plan.ref, fromMicros, toMicros));
  for (const note of notes) say(note);
  return EXIT_OK;
}

/** Why one product's selection came back empty: nothing stored for it at all, or none in the range. */
async function emptyNote(
  store: RedisStore,
  ref: ProductRef,
  fromMicros: number | undefined,
  toMicros: number | undefined,
): Promise<string> {
  const stored = await store.count(ref);
  return stored === 0
    ? `no snapshots stored for ${describeRef(ref)}; see what is stored with: l1-query --list`
    : `no snapshots of ${describeRef(ref)}${describeRange(fromMicros, toMicros)} (${stored.toLocaleString('en-US')} stored in all; l1-query --list shows their times)`;
}

async function runRange(store: RedisStore, plan: Extract<QueryPlan, { mode: 'range' }>): Promise<number> {
  const { fromMicros, toMicros, order, limit } = plan.range;
  const stats = plan.stats ? new RangeStats(order) : undefined;
  const chart =
    plan.chart || plan.chartOut ? newChartAccumulator(plan.ref.exchange, plan.ref.productId) : undefined;
  let count = 0;
  // One pass feeds every consumer; each holds a bounded summary, never the snapshots.
  for await (const s of store.range(plan.ref, { fromMicros, toMicros, order, limit })) {
    count += 1;
    stats?.add(s);
    chart?.add(chartPoint(s));
  }
  if (count === 0 && limit !== 0) say(await emptyNote(store, plan.ref, fromMicros, toMicros));
  for (const note of await archiveNotes(store, [plan.ref], fromMicros, toMicros, [count])) say(note);
  if (stats) {
    const record = stats.result(plan.ref, { fromMicros, toMicros });
    if (plan.format === 'table') await print(renderStatsText(record));
    else await printRecords(plan.format, STATS_COLUMNS, [record as unknown as FlatRecord], true);
  }
  if (chart && plan.chart) {
    if (stats) await print('\n');
    await print(terminalChart(chart.result(), out));
  }
  if (chart && plan.chartOut) {
    await writeChartFile(plan.chartOut.path, chart.result());
    say(`wrote a chart of ${count.toLocaleString('en-US')} snapshots to ${plan.chartOut.path}`);
  }
  return EXIT_OK;
}

async function runList(store: RedisStore, plan: Extract<QueryPlan, { mode: 'list' }>): Promise<number> {
  const refs = (await store.products()).filter(
    (r) => plan.exchange === undefined || r.exchange === plan.exchange,
  );
  const records = (await store.summaries(refs)).map(toListRecord);
  if (records.length === 0) {
    const where = plan.exchange === undefined ? '' : ` for ${plan.exchange}`;
    say(`no products stored${where} yet; capture some with: l1-fetch --csv products.csv`);
  }
  if (plan.format === 'table') {
    if (records.length > 0) await print(renderListTable(records));
  } else await printRecords(plan.format, LIST_COLUMNS, records);
  return EXIT_OK;
}

async function runPrune(store: RedisStore, plan: Extract<QueryPlan, { mode: 'prune' }>): Promise<number> {
  const refs = plan.ref
    ? [plan.ref]
    : (await store.products()).filter((r) => plan.exchange === undefined || r.exchange === plan.exchange);
  const before = fromEpochMicros(plan.beforeMicros);
  const pending = await store.countBefore(refs, plan.beforeMicros);
  const total = pending.reduce((a, b) => a + b, 0);
  let removed = refs.map(() => 0);
  if (total > 0 && !plan.yes) {
    const touched = refs.filter((_, i) => (pending[i] ?? 0) > 0);
    const names = touched.slice(0, 5).map(describeRef).join(', ') + (touched.length > 5 ? ', …' : '');
    const ok = await confirm(
      `Remove ${total.toLocaleString('en-US')} snapshot${total === 1 ? '' : 's'} older than ${before} from ${touched.length} product${touched.length === 1 ? '' : 's'} (${names})?`,
    );
    if (!ok) {
      say('nothing removed');
      return EXIT_OK;
    }
  }
  if (total > 0) removed = await store.pruneBefore(refs, plan.beforeMicros);
  const left = await store.summaries(refs);
  const rows = refs.map((ref, i) => ({
    exchange: ref.exchange,
    product_id: ref.productId,
    removed: removed[i] ?? 0,
    remaining: left[i]?.count ?? 0,
  }));
  const sum = removed.reduce((a, b) => a + b, 0);
  if (plan.format === 'table') {
    const lines = [
      `removed ${sum.toLocaleString('en-US')} snapshot${sum === 1 ? '' : 's'} older than ${before}`,
    ];
    for (const r of rows) {
      if (r.removed === 0) continue;
      const rest =
        r.remaining === 0 ? 'no data left (pruned)' : `${r.remaining.toLocaleString('en-US')} left`;
      lines.push(`  ${r.exchange} ${r.product_id}: ${r.removed.toLocaleString('en-US')} removed, ${rest}`);
    }
    await print(`${lines.join('\n')}\n`);
  } else if (plan.format === 'json') {
    await print(`${JSON.stringify({ before, removed: sum, products: rows }, null, 2)}\n`);
  } else {
    await printRecords(plan.format, ['exchange', 'product_id', 'removed', 'remaining'], rows);
  }
  return EXIT_OK;
}

async function runExport(
  store: RedisStore,
  plan: Extract<QueryPlan, { mode: 'export' }>,
  target: ExportTarget,
): Promise<number> {
  // The Parquet writer (hyparquet-writer, zstd) is loaded only for an export.
  const { exportParquet } = await import('../query/parquet-export.js');
  const refs = plan.ref
    ? [plan.ref]
    : (await store.products()).filter((r) => plan.exchange === undefined || r.exchange === plan.exchange);
  const { fromMicros, toMicros, order, limit } = plan.range;
  const { count, counts } = await exportParquet(
    store,
    refs,
    { fromMicros, toMicros, order, limit },
    target,
    out,
  );
  const products = counts.filter((n) => n > 0).length;
  const where = target.path ?? 'stdout';
  const what = plan.ref ? describeRef(plan.ref) : `${products} product${products === 1 ? '' : 's'}`;
  say(
    `wrote ${count.toLocaleString('en-US')} snapshot${count === 1 ? '' : 's'} of ${what}${describeRange(fromMicros, toMicros)} to ${where}`,
  );
  if (count === 0 && limit !== 0) {
    if (plan.ref) say(await emptyNote(store, plan.ref, fromMicros, toMicros));
    else if (refs.length === 0)
      say(
        `no products stored${plan.exchange ? ` for ${plan.exchange}` : ''}; see what is stored with: l1-query --list`,
      );
  }
  for (const note of await archiveNotes(store, refs.slice(0, counts.length), fromMicros, toMicros, counts))
    say(note);
  return EXIT_OK;
}

/** Opens Redis; ioredis is loaded only here, so --help and usage errors never load it. */
async function connect(redisTarget: RedisTarget): Promise<RedisClient> {
  const { connectRedisClient } = await import('../store/redis-connection.js');
  return connectRedisClient(redisTarget.url, redisTarget.connect);
}

/** Connection errors reach follow() as rejected commands; without a listener ioredis would also print them. */
function quiet(redis: RedisClient): RedisClient {
  redis.on('error', () => {});
  return redis;
}

async function runFollow(
  redisTarget: RedisTarget,
  conn: { store: RedisStore },
  plan: Extract<QueryPlan, { mode: 'follow' }>,
): Promise<number> {
  const abort = new AbortController();
  const stop = () => {
    abort.abort();
    // The last rows and the closing of a json array still go out, but not at any cost: within the
    // exit deadline, or at once on a second signal (the default action, once these are removed).
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    startExitDeadline(EXIT_OK);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  quiet(conn.store.redis);
  const writer = createOutputWriter(plan.format, out);
  say(`following ${describeRef(plan.ref)} (polling every ${FOLLOW_INTERVAL_MS} ms); Ctrl-C to stop`);
  try {
    await follow(conn.store, {
      ref: plan.ref,
      writer,
      fromMicros: plan.fromMicros,
      backlog: plan.backlog,
      intervalMs: FOLLOW_INTERVAL_MS,
      signal: abort.signal,
      warn: say,
      reconnect: async () => {
        const redis = quiet(await connect(redisTarget));
        void closeRedis(conn.store.redis);
        conn.store = new RedisStore(redis);
        return conn.store;
      },
    });
    await writer.end();
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
  return EXIT_OK;
}

async function main(argv: string[]): Promise<number> {
  // Only the connection flags read the environment: a stray L1_YES must never confirm a prune.
  const program = attachEnvVars(addRedisOptions(buildProgram(), 'read from'), { only: REDIS_FLAGS, argv });
  program.parse(argv);
  const flags = program.opts<QueryFlags & { redisUrl?: string }>();
  if (program.args.length > 0) {
    throw new UsageError(
      `unexpected argument '${program.args[0]}'; options start with -- (see l1-query --help)`,
    );
  }

  const redisTarget = resolveRedisTarget(program);
  const plan = buildQueryPlan(flags, nowMicros());
  if (plan.mode === 'prune' && !plan.yes && !process.stdin.isTTY) {
    throw new UsageError(
      '--prune asks for confirmation, and stdin is not a terminal: add --yes to remove without asking',
    );
  }

  // Checked before Redis is opened: a terminal or a directory as --out is a usage error.
  const target = plan.mode === 'export' ? exportTarget(plan.out, out.isTTY === true) : undefined;

  for (const w of redisTarget.warnings) say(`warning: ${w}`);
  const conn = { store: new RedisStore(await connect(redisTarget)) };
  try {
    switch (plan.mode) {
      case 'rows':
        return await runRows(conn.store, plan);
      case 'range':
        return await runRange(conn.store, plan);
      case 'list':
        return await runList(conn.store, plan);
      case 'prune':
        return await runPrune(conn.store, plan);
      case 'follow':
        return await runFollow(redisTarget, conn, plan);
      case 'export':
        return await runExport(conn.store, plan, target ?? exportTarget(plan.out, out.isTTY === true));
    }
  } finally {
    await closeRedis(conn.store.redis);
  }
}

await runMain(TOOL, () => main(process.argv));
