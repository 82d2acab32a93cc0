#!/usr/bin/env node
/**
 * l1-fetch: read products from a CSV, fetch each one's best bid/ask, store the snapshots in Redis.
 */
import { captureOnce, type TargetResult } from '../capture/capture-once.js';
import { closeVenueClients, createVenueClients } from '../capture/venue-clients.js';
import { DEFAULT_RETRY, DEFAULTS, resolveRedisUrl } from '../config.js';
import { spread } from '../decimal.js';
import { EXIT_FAILURE, EXIT_OK, UsageError } from '../errors.js';
import { COINBASE_BASE_URL } from '../exchanges/coinbase.js';
import { readProductsCsv } from '../products-csv.js';
import { bestAsk, bestBid } from '../snapshot.js';
import { connectRedis, validateRedisUrl } from '../store/redis-connection.js';
import { RedisStore } from '../store/redis-store.js';
import { duration, newProgram, positiveInt } from './options.js';
import { runMain } from './run-main.js';
import { renderTable } from './table.js';

const TOOL = 'l1-fetch';

interface FetchFlags {
  csv: string;
  redisUrl?: string;
  baseUrl?: string;
  json?: boolean;
  timeout: number;
  retries: number;
  concurrency: number;
}

function buildProgram() {
  return newProgram(
    TOOL,
    'Fetch the level-1 order book (best bid and ask, with sizes) of every product in a CSV and store each snapshot in Redis.',
    [
      '  $ l1-fetch --csv example_products.csv',
      '  $ l1-fetch --csv products.csv --redis-url redis://:secret@redis.internal:6379/0 --json',
      '  $ l1-fetch --csv products.csv --base-url https://api-public.sandbox.exchange.coinbase.com',
      '',
      'The CSV needs a header row with a product_id column; other columns are ignored:',
      '  product_id',
      '  BTC-USD',
      '  ETH-USD',
      '',
      'Exit codes: 0 all stored; 1 Redis unreachable or some products failed (the others are stored);',
      '2 bad flag or bad CSV (nothing is written).',
    ].join('\n'),
  )
    .requiredOption('--csv <file>', 'CSV file with a product_id column')
    .option('--redis-url <url>', `Redis to write to (env REDIS_URL; default ${DEFAULTS.redisUrl})`)
    .option('--base-url <url>', `Coinbase Exchange REST base URL (default ${COINBASE_BASE_URL})`)
    .option('--json', 'print the stored snapshots as JSON instead of a table')
    .option(
      '--timeout <duration>',
      'per-request timeout, e.g. 2s or 1500ms',
      duration('--timeout'),
      DEFAULTS.timeoutMs,
    )
    .option(
      '--retries <n>',
      'retries of a failed request (429, 5xx, timeouts)',
      nonNegativeInt('--retries'),
      DEFAULT_RETRY.maxRetries,
    )
    .option(
      '--concurrency <n>',
      'requests in flight at once (the rate limit still applies)',
      positiveInt('--concurrency'),
      DEFAULTS.concurrency,
    );
}

function nonNegativeInt(flag: string): (v: string) => number {
  return (v) => (v.trim() === '0' ? 0 : positiveInt(flag)(v));
}

function validateBaseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--base-url: '${url}' is not a URL; use e.g. ${COINBASE_BASE_URL}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new UsageError(`--base-url: '${url}' must start with http:// or https://`);
  }
  return url;
}

async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  program.parse(argv);
  const flags = program.opts<FetchFlags>();

  // Everything the user gave is checked before anything is fetched or written.
  const redisUrl = resolveRedisUrl(flags.redisUrl);
  validateRedisUrl(redisUrl, flags.redisUrl ? '--redis-url' : 'REDIS_URL');
  const baseUrl = flags.baseUrl === undefined ? undefined : validateBaseUrl(flags.baseUrl);
  const products = readProductsCsv(flags.csv);
  for (const w of products.warnings) process.stderr.write(`${TOOL}: warning: ${w}\n`);

  const redis = await connectRedis(redisUrl);
  const clients = createVenueClients(['coinbase'], {
    baseUrls: { coinbase: baseUrl },
    timeoutMs: flags.timeout,
    safetyMargin: DEFAULTS.safetyMargin,
  });
  try {
    const store = new RedisStore(redis);
    const targets = products.productIds.map((productId) => ({ exchange: 'coinbase' as const, productId }));
    const results = await captureOnce(targets, store, {
      clients,
      retry: { ...DEFAULT_RETRY, maxRetries: flags.retries },
      concurrency: flags.concurrency,
      events: {
        onRetry: (err, attempt, delayMs) =>
          process.stderr.write(`${TOOL}: retry ${attempt} in ${delayMs} ms: ${err.message}\n`),
      },
    });
    printResults(results, flags.json === true);
    const failed = results.filter((r) => r.error);
    for (const r of failed) process.stderr.write(`${TOOL}: ${r.error?.message}\n`);
    const stored = results.length - failed.length;
    process.stderr.write(
      `${TOOL}: stored ${stored} of ${results.length} product(s)${failed.length ? `, ${failed.length} failed` : ''}\n`,
    );
    return failed.length > 0 ? EXIT_FAILURE : EXIT_OK;
  } finally {
    closeVenueClients(clients);
    redis.disconnect();
  }
}

function printResults(results: readonly TargetResult[], json: boolean): void {
  const stored = results.filter((r) => r.snapshot);
  if (json) {
    process.stdout.write(
      `${JSON.stringify(
        stored.map((r) => ({ key: r.key, ...r.snapshot })),
        null,
        2,
      )}\n`,
    );
    return;
  }
  if (stored.length === 0) return;
  const rows = stored.map((r) => {
    const s = r.snapshot;
    const bid = s ? bestBid(s) : undefined;
    const ask = s ? bestAsk(s) : undefined;
    return [
      r.target.productId,
      bid ? `${bid[0]} × ${bid[1]}` : '—',
      ask ? `${ask[0]} × ${ask[1]}` : '—',
      bid && ask ? spread(bid[0], ask[0]) : '—',
      s?.sequence || '—',
      r.key ?? '',
    ];
  });
  process.stdout.write(
    `${renderTable(['PRODUCT', 'BID × SIZE', 'ASK × SIZE', 'SPREAD', 'SEQUENCE', 'KEY'], rows, ['left', 'right', 'right', 'right', 'right', 'left'])}\n`,
  );
}

await runMain(TOOL, () => main(process.argv));
