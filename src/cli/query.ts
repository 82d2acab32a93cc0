#!/usr/bin/env node
/**
 * l1-query: read back the snapshots stored for a product.
 */
import { Option } from 'commander';
import { DEFAULTS, resolveRedisUrl } from '../config.js';
import { EXIT_OK, UsageError } from '../errors.js';
import { DEFAULT_EXCHANGE, EXCHANGE_IDS, type ExchangeId, isExchangeId } from '../exchanges/exchange-ids.js';
import { normalizeProductId } from '../product-id.js';
import { createOutputWriter, OUTPUT_FORMATS, type OutputFormat } from '../query/output-writer.js';
import { connectRedis, validateRedisUrl } from '../store/redis-connection.js';
import { RedisStore } from '../store/redis-store.js';
import { newProgram, positiveInt } from './options.js';
import { runMain } from './run-main.js';

const TOOL = 'l1-query';
const DEFAULT_LIMIT = 10;

interface QueryFlags {
  productId?: string;
  exchange: string;
  limit?: number;
  latest?: boolean;
  json?: boolean;
  format?: OutputFormat;
  redisUrl?: string;
}

function buildProgram() {
  return newProgram(
    TOOL,
    'Show the level-1 snapshots stored in Redis for a product, newest first.',
    [
      '  $ l1-query --product-id BTC-USD                 # newest 10, as a table',
      '  $ l1-query --product-id BTC-USD --latest        # only the newest',
      '  $ l1-query --product-id ETH-USD --limit 100 --json',
      '  $ l1-query --product-id BTC-USD --format csv > btc.csv',
      '',
      'Exit codes: 0 ok (also when nothing is stored: a message on stderr, an empty result on stdout);',
      '1 Redis unreachable; 2 bad flag.',
    ].join('\n'),
  )
    .option('--product-id <id>', 'product to show, e.g. BTC-USD')
    .option('--exchange <name>', `venue of the product (${EXCHANGE_IDS.join(', ')})`, DEFAULT_EXCHANGE)
    .option('--limit <n>', `how many snapshots (default ${DEFAULT_LIMIT})`, positiveInt('--limit'))
    .option('--latest', 'only the newest snapshot')
    .option('--json', 'shortcut for --format json')
    .addOption(new Option('--format <format>', 'output format').choices(OUTPUT_FORMATS))
    .option('--redis-url <url>', `Redis to read from (env REDIS_URL; default ${DEFAULTS.redisUrl})`);
}

async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  program.parse(argv);
  const flags = program.opts<QueryFlags>();

  const redisUrl = resolveRedisUrl(flags.redisUrl);
  validateRedisUrl(redisUrl, flags.redisUrl ? '--redis-url' : 'REDIS_URL');
  if (!isExchangeId(flags.exchange)) {
    throw new UsageError(
      `--exchange: unknown exchange '${flags.exchange}'; supported: ${EXCHANGE_IDS.join(', ')}`,
    );
  }
  const exchange: ExchangeId = flags.exchange;
  if (flags.productId === undefined)
    throw new UsageError('--product-id is required, e.g. --product-id BTC-USD');
  const productId = normalizeProductId(flags.productId);
  if (!productId) {
    throw new UsageError(
      `--product-id: invalid product id '${flags.productId}' (expected BASE-QUOTE such as BTC-USD)`,
    );
  }
  if (flags.json && flags.format && flags.format !== 'json') {
    throw new UsageError(`--json and --format ${flags.format} contradict each other; pick one`);
  }
  if (flags.latest && flags.limit !== undefined)
    throw new UsageError('--latest and --limit contradict each other; pick one');
  const format: OutputFormat = flags.json ? 'json' : (flags.format ?? 'table');
  const limit = flags.latest ? 1 : (flags.limit ?? DEFAULT_LIMIT);

  const redis = await connectRedis(redisUrl);
  try {
    const store = new RedisStore(redis);
    const writer = createOutputWriter(format, process.stdout);
    for await (const s of store.range({ exchange, productId }, { order: 'desc', limit }))
      await writer.write(s);
    await writer.end();
    if (writer.count === 0) {
      const where = exchange === DEFAULT_EXCHANGE ? productId : `${productId} on ${exchange}`;
      process.stderr.write(
        `${TOOL}: no snapshots stored for ${where}; capture some with: l1-fetch --csv products.csv\n`,
      );
    }
    return EXIT_OK;
  } finally {
    redis.disconnect();
  }
}

await runMain(TOOL, () => main(process.argv));
