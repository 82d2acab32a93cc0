#!/usr/bin/env node
/**
 * l1-fetch: read products from a CSV, fetch each one's best bid/ask, store the snapshots in Redis.
 */
import { Option } from 'commander';
import { prepareArchiveRoot } from '../archive/archive-root.js';
import { formatBytes } from '../byte-size.js';
import { CaptureLog, LOG_FORMATS, type LogFormat } from '../capture/capture-log.js';
import type { TargetResult } from '../capture/capture-once.js';
import { describeShard, parseShard, type Shard, selectShard } from '../capture/shard.js';
import { targetName } from '../capture/targets.js';
import { DEFAULT_WRITE_QUEUE } from '../capture/write-queue.js';
import { DEFAULT_RETRY, DEFAULT_STREAM, DEFAULTS } from '../config.js';
import { spread } from '../decimal.js';
import { EXIT_FAILURE, EXIT_OK, UsageError } from '../errors.js';
import { baseUrlEnvVar, DEFAULT_BASE_URLS, parseBaseUrlOverrides } from '../exchanges/base-urls.js';
import { DEFAULT_EXCHANGE, parseExchangeName, SUPPORTED_EXCHANGES } from '../exchanges/exchange-ids.js';
import { closeRedis } from '../store/close-redis.js';
import { DEFAULT_WS_URLS, parseWsUrlOverrides, wsUrlEnvVar } from '../stream/ws-urls.js';
import { renderTable } from '../text-table.js';
import { configReport } from './config-report.js';
import { attachEnvVars, optionOrigin } from './env-options.js';
import { addMetricsOptions, startMetricsIfAsked } from './metrics-options.js';
import { byteSize, duration, newProgram, positiveInt } from './options.js';
import { addRedisOptions, redisConnectionArgs, resolveRedisTarget } from './redis-options.js';
import { runMain } from './run-main.js';

const TOOL = 'l1-fetch';

interface FetchFlags {
  csv: string;
  redisUrl?: string;
  shard?: Shard;
  baseUrl?: string[];
  exchange?: string;
  json?: boolean;
  timeout?: number;
  retries: number;
  concurrency: number;
  interval?: number;
  count?: number;
  duration?: number;
  skipUnchanged?: boolean;
  staleAfter?: number;
  logFormat: LogFormat;
  maxQueue: number;
  flushTimeout?: number;
  rateLimit?: number;
  retention?: number;
  printConfig?: boolean;
  stream?: boolean;
  minInterval?: number;
  wsUrl?: string[];
  feedTimeout?: number;
  fallbackInterval?: number;
  archiveDir?: string;
  archiveAfter?: number;
  spoolDir?: string;
  maxSpool: number;
}

function buildProgram() {
  return newProgram(
    TOOL,
    'Fetch the level-1 order book (best bid and ask, with sizes) of every product in a CSV and store each snapshot in Redis.',
    [
      '  $ l1-fetch --csv example_products.csv',
      '  $ l1-fetch --csv products.csv --redis-url redis://:secret@redis.internal:6379/0 --json',
      '  $ l1-fetch --csv products.csv --base-url https://api-public.sandbox.exchange.coinbase.com',
      '  $ l1-fetch --csv venues.csv --base-url binance=https://api.binance.us   # CSV with product_id,exchange',
      '  $ l1-fetch --csv products.csv --interval 1s                   # poll until Ctrl-C',
      '  $ l1-fetch --csv products.csv --interval 500ms --duration 1h --skip-unchanged --retention 7d',
      '  $ l1-fetch --csv products.csv --interval 5s --count 10 --log-format json 2>capture.log',
      '  $ l1-fetch --csv products.csv --interval 1s --archive-dir /data/l1-archive --archive-after 1d',
      '  $ l1-fetch --csv venues.csv --stream                        # every change of the top of book, until Ctrl-C',
      '  $ l1-fetch --csv venues.csv --stream --min-interval 100ms --duration 8h --retention 7d',
      '  $ l1-fetch --csv products.csv --stream --ws-url coinbase=wss://ws-feed-public.sandbox.exchange.coinbase.com',
      '  $ l1-fetch --csv products.csv --interval 1s --redis-url redis+cluster://10.0.0.1:7000,10.0.0.2:7000',
      '  $ l1-fetch --csv products.csv --interval 1s --shard 2/3   # the 2nd of 3 processes sharing the CSV',
      '',
      '--stream keeps one WebSocket per venue (or a few) instead of polling: Coinbase level2_batch (a local book),',
      'Binance bookTicker, Kraken v2 ticker (bbo), OKX bbo-tbt, Bybit orderbook.1. A snapshot is stored only when',
      'the best bid, best ask or a size changes. Dropped connections reconnect with backoff; a venue whose',
      'stream cannot be reached is polled over REST meanwhile.',
      '',
      "Polling keeps under each venue's documented rate limit (Coinbase: 10 req/s, burst 15, used at 90%),",
      'retries 429/5xx/timeouts with backoff, and keeps snapshots in memory while Redis is unreachable.',
      'Ctrl-C (SIGINT) or SIGTERM stops it cleanly: requests in flight finish, the queue is written, a summary',
      'is printed. A second signal exits at once.',
      'With --spool-dir every snapshot is on disk before it is written to Redis, so nothing fetched is lost',
      'even on kill -9 or a reboot; the next start writes what the spool holds first.',
      '',
      'The CSV needs a header row with a product_id column, and may have an exchange column',
      `(${SUPPORTED_EXCHANGES}; empty = --exchange, else coinbase); other columns are ignored.`,
      "Products are written BASE-QUOTE on every venue; each venue's own symbol is looked up for you:",
      '  product_id,exchange',
      '  BTC-USD,coinbase',
      '  BTC-USD,kraken',
      '  BTC-USDT,binance',
      '',
      'Every option can also be set by an environment variable, L1_ and the flag in upper snake case',
      '(env: in the list above; e.g. L1_REDIS_URL, L1_INTERVAL=1s, L1_JSON=1). A flag wins over the variable,',
      'the variable over the default. REDIS_URL is read too, after L1_REDIS_URL. --print-config shows the result.',
      '',
      'Exit codes: 0 all stored; 1 Redis unreachable or some products failed (the others are stored);',
      '2 bad flag or bad CSV (nothing is written). A polling run exits 0 when every product was stored at',
      'least once, 1 when some product never was.',
    ].join('\n'),
  )
    .requiredOption('--csv <file>', 'CSV file with a product_id column')
    .option(
      '--shard <K/N>',
      'capture only the K-th of N stable shares of the CSV (run N processes, K = 1..N, to split it)',
      parseShard,
    )
    .option(
      '--exchange <name>',
      `venue for CSV rows without an exchange column or value (${SUPPORTED_EXCHANGES}; default ${DEFAULT_EXCHANGE})`,
    )
    .option(
      '--base-url <url>',
      `REST base URL: a bare URL is Coinbase's (default ${DEFAULT_BASE_URLS.coinbase}); NAME=URL sets another venue's (repeatable; env ${baseUrlEnvVar('kraken')} etc.)`,
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option('--json', 'print the stored snapshots as JSON instead of a table')
    .option(
      '--timeout <duration>',
      'per-request timeout, e.g. 2s or 1500ms (default 5s)',
      duration('--timeout'),
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
    )
    .option(
      '--interval <duration>',
      'poll every product on this cadence (500ms, 1s, 1m) until stopped',
      duration('--interval'),
    )
    .option('--count <n>', 'with --interval: stop after polling each product N times', positiveInt('--count'))
    .option(
      '--duration <duration>',
      'with --interval or --stream: stop after this long (e.g. 1h)',
      duration('--duration'),
    )
    .option(
      '--stream',
      'stream every change of the top of book over WebSocket until stopped (instead of --interval)',
    )
    .option(
      '--min-interval <duration>',
      'with --stream: at most one snapshot per product per this long (the latest of each window), e.g. 100ms',
      duration('--min-interval'),
    )
    .option(
      '--ws-url <venue=url>',
      `with --stream: a venue's WebSocket URL (proxy, sandbox, local fake), e.g. kraken=${DEFAULT_WS_URLS.kraken}; repeatable; env ${wsUrlEnvVar('kraken')} etc.`,
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option(
      '--feed-timeout <duration>',
      "with --stream: reconnect a connection that delivered nothing (not even a heartbeat) for this long (default: the venue's, 10s to 60s)",
      duration('--feed-timeout'),
    )
    .option(
      '--fallback-interval <duration>',
      `with --stream: how often to poll over REST a venue whose stream cannot be reached (default ${DEFAULT_STREAM.fallbackIntervalMs / 1000}s)`,
      duration('--fallback-interval'),
    )
    .option('--skip-unchanged', 'store a snapshot only when the book changed (new sequence)')
    .option(
      '--stale-after <duration>',
      'warn when a product has not changed or not been fetched for this long (default 1m)',
      duration('--stale-after'),
    )
    .addOption(
      new Option('--log-format <format>', 'progress and warnings on stderr: plain or json lines')
        .choices(LOG_FORMATS)
        .default('plain'),
    )
    .option(
      '--max-queue <n>',
      'snapshots held in memory while Redis is unreachable; past it the oldest are dropped',
      positiveInt('--max-queue'),
      DEFAULT_WRITE_QUEUE.maxQueued,
    )
    .option(
      '--flush-timeout <duration>',
      'on shutdown, how long to keep trying to write what is queued (default 10s)',
      duration('--flush-timeout'),
    )
    .option(
      '--retention <duration>',
      'keep only this much history per product (e.g. 7d); older snapshots are removed as new ones are written',
      duration('--retention'),
    )
    .option(
      '--archive-dir <dir>',
      'with --interval: move snapshots older than --archive-after into Parquet files under DIR, at most once a minute',
    )
    .option(
      '--archive-after <duration>',
      'with --archive-dir: how old a snapshot must be to be archived (e.g. 1d)',
      duration('--archive-after'),
    )
    .option(
      '--rate-limit <n>',
      'requests per second per venue, replacing the documented limit (for a proxy or a local fake)',
      positiveNumber('--rate-limit'),
    )
    .option(
      '--spool-dir <dir>',
      'with --interval or --stream: keep every snapshot in an append-only spool in DIR until Redis has it (survives kill -9 and reboots; one process per DIR)',
    )
    .addOption(
      new Option(
        '--max-spool <size>',
        'most disk the spool uses, e.g. 512MiB or 1GiB; past it the oldest snapshots are dropped',
      )
        .argParser(byteSize('--max-spool', DEFAULTS.minSpoolBytes))
        .default(DEFAULTS.maxSpoolBytes, formatBytes(DEFAULTS.maxSpoolBytes)),
    )
    .option(
      '--print-config',
      'print every option with its value and where it came from (flag, env, default) as JSON, and exit',
    );
}

function positiveNumber(flag: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!/^\d+(\.\d+)?$/.test(v.trim()) || !(n > 0))
      throw new UsageError(`${flag}: '${v}' is not a number above 0`);
    return n;
  };
}

function nonNegativeInt(flag: string): (v: string) => number {
  return (v) => (v.trim() === '0' ? 0 : positiveInt(flag)(v));
}

async function main(argv: string[]): Promise<number> {
  // Options other modules add get their L1_… variable too: attached once everything is built.
  const program = attachEnvVars(addMetricsOptions(addRedisOptions(buildProgram(), 'write to')), { argv });
  program.parse(argv);
  const flags = program.opts<FetchFlags>();

  // Everything the user gave is checked before anything is fetched or written.
  const redisTarget = resolveRedisTarget(program);
  const baseUrls = parseBaseUrlOverrides(flags.baseUrl ?? []);
  const defaultExchange = parseExchangeName(flags.exchange ?? DEFAULT_EXCHANGE);
  const streaming = flags.stream === true;
  // Name what the user wrote: the flag, or its environment variable (an image may set L1_INTERVAL).
  const written = (flag: string, key: keyof FetchFlags) => optionOrigin(program, key) ?? flag;
  const clash = (flag: string, key: keyof FetchFlags) =>
    `${written(flag, key)}${program.getOptionValueSource(key) === 'env' ? ' (set it empty to unset it)' : ''}`;
  if (streaming && flags.interval !== undefined)
    throw new UsageError(
      `--stream and ${clash('--interval', 'interval')} exclude each other: a stream stores every change as it comes`,
    );
  if (streaming && flags.count !== undefined)
    throw new UsageError(
      `--stream takes no ${clash('--count', 'count')}; bound the run with --duration (e.g. --duration 1h) or Ctrl-C`,
    );
  for (const [flag, key] of [
    ['--min-interval', 'minInterval'],
    ['--ws-url', 'wsUrl'],
    ['--feed-timeout', 'feedTimeout'],
    ['--fallback-interval', 'fallbackInterval'],
  ] as const) {
    if (!streaming && flags[key] !== undefined)
      throw new UsageError(
        `${written(flag, key)}: applies only with --stream (add --stream, or leave it out)`,
      );
  }
  const wsUrls = streaming ? parseWsUrlOverrides(flags.wsUrl ?? []) : {};
  const polling = flags.interval !== undefined;
  if (!polling && !streaming && flags.count !== undefined)
    throw new UsageError('--count needs --interval, e.g. --interval 1s --count 10');
  if (!polling && !streaming && flags.duration !== undefined)
    throw new UsageError('--duration needs --interval or --stream, e.g. --interval 1s --duration 1h');
  const archiveDirName = written('--archive-dir', 'archiveDir');
  const archiveAfterName = written('--archive-after', 'archiveAfter');
  if (flags.archiveDir?.trim() === '')
    throw new UsageError(`${archiveDirName}: empty; name a directory, e.g. --archive-dir /data/l1-archive`);
  if (flags.archiveDir !== undefined && flags.archiveAfter === undefined)
    throw new UsageError(`${archiveDirName}: needs --archive-after too, e.g. --archive-after 1d`);
  if (flags.archiveAfter !== undefined && flags.archiveDir === undefined)
    throw new UsageError(`${archiveAfterName}: needs --archive-dir too, e.g. --archive-dir /data/l1-archive`);
  if (!polling && !streaming && flags.archiveDir !== undefined)
    throw new UsageError(
      `${archiveDirName}: needs --interval or --stream (a one-shot run has nothing to archive as it goes; use l1-archive)`,
    );
  // Checked now, not a minute into the run when the first pass would find it out.
  if (flags.archiveDir !== undefined) prepareArchiveRoot(flags.archiveDir, archiveDirName);
  if (!polling && !streaming && flags.skipUnchanged)
    throw new UsageError('--skip-unchanged needs --interval (a one-shot run has nothing to compare with)');
  // From L1_SPOOL_DIR (a service's environment) a one-shot run just writes directly.
  if (!polling && !streaming && program.getOptionValueSource('spoolDir') === 'cli')
    throw new UsageError(
      '--spool-dir needs --interval or --stream (a one-shot run writes to Redis at once or fails)',
    );
  if (flags.spoolDir === undefined && program.getOptionValueSource('maxSpool') === 'cli')
    throw new UsageError('--max-spool needs --spool-dir');
  if (flags.printConfig) {
    process.stdout.write(
      `${JSON.stringify(configReport(program, { '--redis-url': 'REDIS_URL' }), null, 2)}\n`,
    );
    return EXIT_OK;
  }

  // Loaded only now, so that --help, --version and flag errors answer fast (no zod, axios, csv-parse).
  const [
    { readProductsCsv },
    { createVenueClients, closeVenueClients },
    { captureOnce },
    { runCaptureLoop },
    { RedisStore },
    { checkWriteAccess },
    { connectRedisClient, keepReconnecting },
  ] = await Promise.all([
    import('../products-csv.js'),
    import('../capture/venue-clients.js'),
    import('../capture/capture-once.js'),
    import('../capture/capture-loop.js'),
    import('../store/redis-store.js'),
    import('../store/write-access.js'),
    import('../store/redis-connection.js'),
  ]);
  const products = readProductsCsv(flags.csv, { defaultExchange });
  for (const w of products.warnings) process.stderr.write(`${TOOL}: warning: ${w}\n`);
  // --shard narrows the CSV's targets before anything else sees them, whatever the capture mode.
  const targets = flags.shard ? selectShard(products.targets, flags.shard) : products.targets;
  if (flags.shard) {
    process.stderr.write(`${TOOL}: ${describeShard(flags.shard, targets.length, products.targets.length)}\n`);
    if (targets.length === 0) return EXIT_OK;
  }

  const log = new CaptureLog(process.stderr, flags.logFormat, TOOL);
  // Opened before anything listens, connects or writes: a bad, locked or damaged spool is an input
  // error (exit 2). It closes itself if the start fails later.
  const spool =
    (polling || streaming) && flags.spoolDir !== undefined
      ? (await import('../spool/spool.js')).Spool.open({
          dir: flags.spoolDir,
          maxBytes: flags.maxSpool,
          maxMemory: flags.maxQueue,
          log,
        })
      : undefined;
  // Listening before anything else happens: a port in use is an input error at start (exit 2).
  const metrics = await startMetricsIfAsked(program, flags.staleAfter ?? DEFAULTS.staleAfterMs);
  if (metrics) {
    const { url } = metrics.endpoint;
    log.info(`metrics on ${url}/metrics, health on ${url}/healthz`, { event: 'metrics_listening', url });
  }
  for (const w of redisTarget.warnings) process.stderr.write(`${TOOL}: warning: ${w}\n`);
  const redis = await connectRedisClient(redisTarget.url, redisTarget.connect);
  metrics?.metrics.setRedis(redis);
  if (spool) metrics?.metrics.setSpoolDepth(() => spool.onDisk);
  const first = targets[0];
  if (first) {
    try {
      await checkWriteAccess(redis, redisTarget.url, first);
    } catch (err) {
      await closeRedis(redis);
      throw err;
    }
  }
  const clients = createVenueClients(new Set(targets.map((t) => t.exchange)), {
    baseUrls,
    timeoutMs: flags.timeout ?? DEFAULTS.timeoutMs,
    safetyMargin: flags.rateLimit === undefined ? DEFAULTS.safetyMargin : 1,
    rateLimitOverride:
      flags.rateLimit === undefined
        ? undefined
        : { ratePerSec: flags.rateLimit, burst: Math.max(1, Math.ceil(flags.rateLimit)) },
  });
  const store = new RedisStore(redis, { retentionMicros: (flags.retention ?? 0) * 1000 });
  const retry = { ...DEFAULT_RETRY, maxRetries: flags.retries };
  try {
    if (polling || streaming) {
      // Connected and checked: from now on ride out outages instead of failing fast.
      keepReconnecting(redis, (times: number) => Math.min(50 * 2 ** Math.min(times, 6), 1000));
      return await runCaptureLoop(
        {
          targets,
          clients,
          redis,
          store: metrics ? metrics.metrics.timeWrites(store) : store,
          observe: metrics ? (run) => metrics.metrics.attach(run) : undefined,
          log,
          stdout: process.stdout,
          background:
            flags.archiveDir === undefined
              ? undefined
              : new (await import('../archive/background-archiver.js')).BackgroundArchiver({
                  dir: flags.archiveDir,
                  afterMs: flags.archiveAfter ?? 0,
                  redisUrl: redisTarget.url,
                  redisArgs: redisConnectionArgs(program.opts()),
                  log,
                }),
          spool,
        },
        {
          intervalMs: flags.interval ?? 1000,
          count: flags.count,
          durationMs: flags.duration,
          skipUnchanged: flags.skipUnchanged === true,
          staleAfterMs: flags.staleAfter ?? DEFAULTS.staleAfterMs,
          flushTimeoutMs: flags.flushTimeout ?? DEFAULTS.flushTimeoutMs,
          retry,
          writeQueue: { ...DEFAULT_WRITE_QUEUE, maxQueued: flags.maxQueue },
          json: flags.json === true,
          stream: streaming
            ? {
                wsUrls,
                minIntervalMs: flags.minInterval ?? 0,
                feedTimeoutMs: flags.feedTimeout,
                backoff: DEFAULT_STREAM.backoff,
                fallbackAfterFailures: DEFAULT_STREAM.fallbackAfterFailures,
                fallbackIntervalMs: flags.fallbackInterval ?? DEFAULT_STREAM.fallbackIntervalMs,
                retry,
                handshakeTimeoutMs: DEFAULT_STREAM.handshakeTimeoutMs,
              }
            : undefined,
        },
      );
    }
    const results = await captureOnce(targets, store, {
      clients,
      retry,
      concurrency: flags.concurrency,
      events: {
        onRetry: (err, attempt, delayMs) => {
          // An unresolvable host is retried per venue, reported once (onVenueDown).
          if (err.kind !== 'dns')
            process.stderr.write(`${TOOL}: retry ${attempt} in ${delayMs} ms: ${err.message}\n`);
        },
        onVenueDown: (err) =>
          process.stderr.write(`${TOOL}: ${err.message}; retrying the venue, not each product\n`),
      },
    });
    printResults(results, flags.json === true);
    const failed = results.filter((r) => r.error);
    for (const r of failed)
      if (r.error?.kind !== 'dns') process.stderr.write(`${TOOL}: ${r.error?.message}\n`);
    const stored = results.length - failed.length;
    process.stderr.write(
      `${TOOL}: stored ${stored} of ${results.length} product(s)${failed.length ? `, ${failed.length} failed` : ''}\n`,
    );
    return failed.length > 0 ? EXIT_FAILURE : EXIT_OK;
  } finally {
    closeVenueClients(clients);
    await closeRedis(redis);
    spool?.close();
    await metrics?.endpoint.close();
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
    const bid = s?.bids[0];
    const ask = s?.asks[0];
    return [
      targetName(r.target),
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
