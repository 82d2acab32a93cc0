/**
 * The Redis connection flags every CLI shares: the URL, --cluster, TLS files and the insecure
 * switch. They are declared and grouped under "Redis connection" in --help here, and turned here
 * into the URL and ioredis options to connect with, every file checked before anything else happens.
 */
import type { Command } from 'commander';
import { DEFAULTS, resolveRedisUrl } from '../config.js';
import { UsageError } from '../errors.js';
import type { ConnectOptions } from '../store/redis-connection.js';
import { hasTlsOptions, loadRedisTls, type NamedFile, type RedisTlsFiles } from '../store/redis-tls.js';
import { maskRedisUrl, validateRedisUrl } from '../store/redis-url.js';
import { optionOrigin } from './env-options.js';

/** The flags that say how to reach Redis; l1-query gives environment variables to these alone. */
export const REDIS_FLAGS = [
  '--redis-url',
  '--cluster',
  '--redis-tls-ca',
  '--redis-tls-cert',
  '--redis-tls-key',
  '--redis-tls-insecure',
] as const;

const GROUP = 'Redis connection:';

/**
 * Adds every Redis connection flag, grouped under one heading in --help. `purpose` completes
 * "Redis to …" in the --redis-url line: what the tool does with it.
 */
export function addRedisOptions(program: Command, purpose: string): Command {
  program
    .option(
      '--redis-url <url>',
      `Redis to ${purpose}: redis:// or rediss://, user and password in the URL (REDIS_URL also works; default ${DEFAULTS.redisUrl}); a Redis Cluster: redis+cluster://host:port[,host:port…]`,
    )
    .option('--cluster', 'the --redis-url node belongs to a Redis Cluster')
    .option(
      '--redis-tls-ca <file>',
      'CA certificate(s), PEM, to verify a rediss:// server (instead of the system CAs)',
    )
    .option(
      '--redis-tls-cert <file>',
      'client certificate, PEM, for a server that asks for one (with --redis-tls-key)',
    )
    .option('--redis-tls-key <file>', 'private key, PEM, of --redis-tls-cert')
    .option(
      '--redis-tls-insecure',
      "do not verify the server's certificate (throwaway self-signed setups only)",
    );
  for (const option of program.options) {
    if (option.long && (REDIS_FLAGS as readonly string[]).includes(option.long)) option.helpGroup(GROUP);
  }
  return program;
}

export interface RedisTarget {
  url: string;
  /** What to connect with (cluster or not; TLS options when there are any). */
  connect: ConnectOptions;
  /** One-line warnings to print before connecting. */
  warnings: string[];
}

interface RedisFlags {
  redisUrl?: string;
  cluster?: boolean;
  redisTlsCa?: string;
  redisTlsCert?: string;
  redisTlsKey?: string;
  redisTlsInsecure?: boolean;
}

/** The connection flags (no secrets: the URL is not one of them) as arguments for a child process. */
export function redisConnectionArgs(flags: RedisFlags): string[] {
  return [
    ...(flags.cluster ? ['--cluster'] : []),
    ...(flags.redisTlsCa ? ['--redis-tls-ca', flags.redisTlsCa] : []),
    ...(flags.redisTlsCert ? ['--redis-tls-cert', flags.redisTlsCert] : []),
    ...(flags.redisTlsKey ? ['--redis-tls-key', flags.redisTlsKey] : []),
    ...(flags.redisTlsInsecure ? ['--redis-tls-insecure'] : []),
  ];
}

/**
 * The Redis URL (--redis-url, else its env variable, else REDIS_URL, else the default) and TLS
 * options, checked: a bad URL or an unreadable TLS file is a UsageError naming the flag or variable.
 */
export function resolveRedisTarget(program: Command, env: NodeJS.ProcessEnv = process.env): RedisTarget {
  const flags = program.opts<RedisFlags>();
  const url = resolveRedisUrl(flags.redisUrl, env);
  const urlOrigin = optionOrigin(program, 'redisUrl') ?? (env.REDIS_URL ? 'REDIS_URL' : '--redis-url');
  validateRedisUrl(url, urlOrigin);
  const file = (key: keyof RedisFlags): NamedFile | undefined => {
    const path = flags[key];
    return typeof path === 'string' ? { path, name: optionOrigin(program, key) ?? key } : undefined;
  };
  const files: RedisTlsFiles = {
    ca: file('redisTlsCa'),
    cert: file('redisTlsCert'),
    key: file('redisTlsKey'),
    insecure: flags.redisTlsInsecure ? optionOrigin(program, 'redisTlsInsecure') : undefined,
  };
  const cluster = flags.cluster === true;
  if (!hasTlsOptions(files)) return { url, connect: { cluster }, warnings: [] };
  const given = files.ca ?? files.cert ?? files.key;
  const firstName = given?.name ?? files.insecure ?? '--redis-tls-insecure';
  if (!/^rediss(\+cluster)?:\/\//i.test(url)) {
    throw new UsageError(
      `${firstName}: TLS options need a rediss:// URL, and ${urlOrigin} is '${maskRedisUrl(url)}'`,
    );
  }
  const tls = loadRedisTls(files);
  const warnings = files.insecure
    ? [
        `${files.insecure}: the Redis server's certificate is NOT verified; use this only with a throwaway test server`,
      ]
    : [];
  return { url, connect: { cluster, redisOptions: { tls } }, warnings };
}
