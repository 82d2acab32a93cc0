#!/usr/bin/env node
/**
 * l1-archive: move snapshots older than --before from Redis into a Hive-partitioned Parquet tree
 * (src/archive/archiver.ts has the steps and the crash guarantees). Also what `l1-fetch
 * --archive-dir` runs in the background, as a child process.
 */
import { prepareArchiveRoot } from '../archive/archive-root.js';
import { EXIT_FAILURE, EXIT_OK, UsageError } from '../errors.js';
import { DEFAULT_EXCHANGE, EXCHANGE_IDS, parseExchangeName } from '../exchanges/exchange-ids.js';
import { accessHint } from '../fs-errors.js';
import { normalizeProductId } from '../product-id.js';
import { closeRedis } from '../store/close-redis.js';
import type { ProductRef } from '../store/keys.js';
import { renderTable } from '../text-table.js';
import { parseTimeInput } from '../time-input.js';
import { fromEpochMicros, nowMicros } from '../timestamp.js';
import { attachEnvVars } from './env-options.js';
import { newProgram, positiveInt } from './options.js';
import { addRedisOptions, REDIS_FLAGS, resolveRedisTarget } from './redis-options.js';
import { runMain } from './run-main.js';

const TOOL = 'l1-archive';

interface ArchiveFlags {
  before?: string;
  dir?: string;
  productId?: string;
  exchange?: string;
  maxFileRows?: number;
  json?: boolean;
}

function buildProgram() {
  return newProgram(
    TOOL,
    'Move snapshots older than --before from Redis into Parquet files (Hive-partitioned by exchange, product and UTC date).',
    [
      '  $ l1-archive --before -7d --dir /data/l1-archive                 # every product',
      '  $ l1-archive --before 2026-11-01 --dir archive --product-id BTC-USD --exchange kraken',
      '',
      'Files: DIR/exchange=<venue>/product=<PRODUCT>/date=<YYYY-MM-DD>/part-<first µs>-<last µs>.parquet',
      '(time is the exchange time; one file per UTC day, more when a day has more than --max-file-rows).',
      "Read the tree with DuckDB:  SELECT * FROM read_parquet('DIR/**/*.parquet', hive_partitioning = true)",
      '',
      'A snapshot leaves Redis only after its file is complete, fsynced, renamed into place and read back.',
      'A run that is killed leaves every snapshot in Redis, in a complete file, or both; run it again and it',
      'removes what is already archived without writing it twice. Ctrl-C finishes the current file first.',
      '',
      'Exit codes: 0 done (also when nothing was old enough); 1 Redis unreachable, a file failed its check,',
      'or another archiver holds DIR; 2 bad flag (nothing is read or moved).',
    ].join('\n'),
  )
    .option('--before <time>', 'archive snapshots strictly older than this (2026-11-01, -7d, epoch…)')
    .option('--dir <dir>', 'archive root directory (created if missing)')
    .option('--product-id <id>', 'only this product (default: every stored product)')
    .option('--exchange <name>', `only this venue (${EXCHANGE_IDS.join(', ')}); with --product-id, its venue`)
    .option('--max-file-rows <n>', 'most snapshots per file (default 500000)', positiveInt('--max-file-rows'))
    .option('--json', 'print the result as JSON');
}

const say = (text: string) => process.stderr.write(`${TOOL}: ${text}\n`);

async function main(argv: string[]): Promise<number> {
  // Like l1-query, only the Redis connection flags read environment variables (L1_REDIS_URL, …).
  const program = attachEnvVars(addRedisOptions(buildProgram(), 'archive from'), { only: REDIS_FLAGS, argv });
  program.parse(argv);
  const flags = program.opts<ArchiveFlags>();
  if (program.args.length > 0) {
    throw new UsageError(
      `unexpected argument '${program.args[0]}'; options start with -- (see l1-archive --help)`,
    );
  }
  const redisTarget = resolveRedisTarget(program);
  if (flags.before === undefined) throw new UsageError('--before is required, e.g. --before -7d');
  if (flags.dir === undefined || flags.dir.trim() === '')
    throw new UsageError('--dir is required: the archive root, e.g. --dir /data/l1-archive');
  const beforeMicros = parseTimeInput(flags.before, '--before', nowMicros(), 'from');
  const exchange = flags.exchange === undefined ? undefined : parseExchangeName(flags.exchange);
  let only: ProductRef | undefined;
  if (flags.productId !== undefined) {
    const productId = normalizeProductId(flags.productId);
    if (!productId)
      throw new UsageError(
        `--product-id: invalid product id '${flags.productId}' (expected BASE-QUOTE such as BTC-USD)`,
      );
    only = { exchange: exchange ?? DEFAULT_EXCHANGE, productId };
  }
  const root = prepareArchiveRoot(flags.dir, '--dir');

  const [
    { archiveProduct },
    { lockArchiveDir },
    { fileErrorReason },
    { RedisStore },
    { connectRedisClient },
  ] = await Promise.all([
    import('../archive/archiver.js'),
    import('../archive/archive-lock.js'),
    import('../archive/atomic-file.js'),
    import('../store/redis-store.js'),
    import('../store/redis-connection.js'),
  ]);
  for (const w of redisTarget.warnings) say(`warning: ${w}`);
  let release: () => void;
  try {
    release = lockArchiveDir(root);
  } catch (err) {
    // The lock file is the first thing written under DIR: a directory this user cannot write to.
    const reason = fileErrorReason(err);
    if (reason === undefined) throw err;
    throw new UsageError(`--dir: cannot write in ${root}: ${reason}${accessHint(err)}`);
  }
  let redis: Awaited<ReturnType<typeof connectRedisClient>>;
  try {
    redis = await connectRedisClient(redisTarget.url, redisTarget.connect);
  } catch (err) {
    release();
    throw err;
  }
  const abort = new AbortController();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      say(`second ${signal}: stopping at once (whatever is not yet removed from Redis stays there)`);
      release();
      process.exit(EXIT_FAILURE);
    }
    say(`${signal}: finishing the current file, then stopping (send again to stop at once)`);
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const store = new RedisStore(redis);
    const refs = only
      ? [only]
      : (await store.products()).filter((r) => exchange === undefined || r.exchange === exchange);
    const pending = await store.countBefore(refs, beforeMicros);
    const results = [];
    for (const [i, ref] of refs.entries()) {
      if ((pending[i] ?? 0) === 0 || abort.signal.aborted) continue;
      results.push(
        await archiveProduct(store, ref, {
          root,
          beforeMicros,
          signal: abort.signal,
          ...(flags.maxFileRows ? { maxFileRows: flags.maxFileRows } : {}),
        }),
      );
    }
    const before = fromEpochMicros(beforeMicros);
    const archived = results.reduce((a, r) => a + r.archived, 0);
    const files = results.reduce((a, r) => a + r.files.length, 0);
    if (flags.json) {
      const products = results.map((r) => ({
        exchange: r.ref.exchange,
        product_id: r.ref.productId,
        archived: r.archived,
        already_archived: r.alreadyArchived,
        removed: r.removed,
        files: r.files,
      }));
      process.stdout.write(`${JSON.stringify({ before, dir: root, archived, files, products }, null, 2)}\n`);
    } else if (results.length > 0) {
      const rows = results.map((r) => [
        `${r.ref.exchange} ${r.ref.productId}`,
        r.archived.toLocaleString('en-US'),
        String(r.files.length),
        r.alreadyArchived.toLocaleString('en-US'),
        r.removed.toLocaleString('en-US'),
      ]);
      process.stdout.write(
        `${renderTable(['PRODUCT', 'ARCHIVED', 'FILES', 'ALREADY IN ARCHIVE', 'REMOVED FROM REDIS'], rows, ['left', 'right', 'right', 'right', 'right'])}\n`,
      );
    }
    say(
      results.length === 0
        ? `nothing older than ${before} to archive`
        : `archived ${archived.toLocaleString('en-US')} snapshot${archived === 1 ? '' : 's'} older than ${before} into ${files} file${files === 1 ? '' : 's'} under ${root}${abort.signal.aborted ? ' (stopped early by a signal; run again for the rest)' : ''}`,
    );
    return EXIT_OK;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await closeRedis(redis);
    release();
  }
}

await runMain(TOOL, () => main(process.argv));
