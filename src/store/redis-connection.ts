/**
 * Opening Redis for the CLIs: one server (ioredis `Redis`), or a Redis Cluster (ioredis `Cluster`)
 * for a `redis+cluster://` URL or a plain URL with `--cluster` / L1_CLUSTER. Either fails fast with
 * one line naming the masked URL and the reason (refused, timeout, wrong password, TLS), exit 1,
 * instead of ioredis' endless reconnect loop; a long-running capture then rides out outages
 * (keepReconnecting). The CLIs import this module only when they connect: ioredis is the heaviest
 * module of their start, and --help or a usage error needs none of it.
 */
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { RedisUnavailableError } from '../errors.js';
import { closeRedis } from './close-redis.js';
import type { RedisClient } from './redis-client.js';
import { clusterNodeHint, describeRedisError } from './redis-errors.js';
import {
  type ClusterTarget,
  clusterTargetFromUrl,
  isClusterUrl,
  maskRedisUrl,
  parseClusterUrl,
  validateRedisUrl,
} from './redis-url.js';

/** How long connecting may take before it counts as no answer. */
const CONNECT_TIMEOUT_MS = 3000;

export interface ConnectOptions {
  /** Treat a plain redis:// URL as a seed node of a cluster (`--cluster`, L1_CLUSTER). */
  cluster?: boolean;
  /** Extra ioredis options, for every node of a cluster too (the TLS files). */
  redisOptions?: RedisOptions;
}

/**
 * A client that fails fast: no reconnect loop, no queueing while down, and no ready check. The
 * ready check sends INFO, which a least-privilege ACL user may not run (ioredis then prints a
 * warning, and a Cluster's connect() hangs); the PING of openAndPing checks the connection instead.
 */
const FAIL_FAST: RedisOptions = {
  lazyConnect: true,
  connectTimeout: CONNECT_TIMEOUT_MS,
  retryStrategy: () => null,
  maxRetriesPerRequest: 1,
  enableOfflineQueue: false,
  enableReadyCheck: false,
};

/** A single Redis or a Redis Cluster, connected and checked; RedisUnavailableError (exit 1) otherwise. */
export async function connectRedisClient(url: string, options: ConnectOptions = {}): Promise<RedisClient> {
  validateRedisUrl(url);
  if (options.cluster || isClusterUrl(url)) {
    const target = isClusterUrl(url) ? parseClusterUrl(url) : clusterTargetFromUrl(url);
    return connectCluster(url, target, options.redisOptions);
  }
  const redis = new Redis(url, { ...FAIL_FAST, ...options.redisOptions });
  const failed = await openAndPing(redis);
  if (failed)
    throw new RedisUnavailableError(
      `cannot use Redis at ${maskRedisUrl(url)}: ${failed.reason}${schemeHint(url, failed.reason)}`,
      { cause: failed.error },
    );
  if (await isClusterNode(redis)) {
    await closeRedis(redis);
    throw new RedisUnavailableError(`cannot use Redis at ${maskRedisUrl(url)}: ${clusterNodeHint('HELLO')}`);
  }
  return redis;
}

/**
 * A plain client on a cluster node sees only the slots that node serves: a query would find part
 * of the tape, or nothing, without an error. HELLO names the server's mode and, unlike INFO, every
 * ACL user may send it. A server without HELLO (Redis 5) is not checked here; MOVED and CROSSSLOT
 * replies still say what is wrong (describeRedisError).
 */
async function isClusterNode(redis: Redis): Promise<boolean> {
  try {
    const reply: unknown = await redis.call('HELLO');
    if (!Array.isArray(reply)) return false;
    const at = reply.indexOf('mode');
    return at >= 0 && reply[at + 1] === 'cluster';
  } catch {
    return false;
  }
}

/** A plain client on a TLS port sees the connection dropped; a TLS client on a plain port, silence. */
function schemeHint(url: string, reason: string): string {
  const tls = url.toLowerCase().startsWith('rediss://');
  if (!tls && reason === 'connection lost') return '; if that port speaks TLS, use rediss://';
  if (tls && reason.startsWith('no answer in time')) return '; if that port does not speak TLS, use redis://';
  return '';
}

async function connectCluster(
  url: string,
  target: ClusterTarget,
  redisOptions: RedisOptions = {},
): Promise<Cluster> {
  const cluster = new Cluster(target.nodes, {
    lazyConnect: true,
    // Like a single Redis: no endless reconnect, no queueing while down; the capture sets its own.
    clusterRetryStrategy: () => null,
    enableOfflineQueue: false,
    slotsRefreshTimeout: CONNECT_TIMEOUT_MS,
    // Both ready checks (CLUSTER INFO, and INFO per node) need commands a least-privilege ACL user
    // lacks, and a denied one leaves connect() hanging; our PING checks instead, and a cluster
    // that is down says CLUSTERDOWN on the first command. The Cluster sets each node's reconnect
    // and queueing itself, whatever FAIL_FAST says.
    enableReadyCheck: false,
    redisOptions: { ...FAIL_FAST, ...auth(target), ...redisOptions },
  });
  const failed = await openAndPing(cluster);
  if (failed) {
    // The Cluster's own reason is often just "Connection is closed": ask the seeds for a better one.
    let reason = failed.reason;
    if (reason === 'connection lost') reason = await probeSeeds(target, redisOptions);
    throw new RedisUnavailableError(`cannot use the Redis Cluster at ${maskRedisUrl(url)}: ${reason}`, {
      cause: failed.error,
    });
  }
  return cluster;
}

/** Credentials and TLS of the URL, for every node. */
function auth(target: ClusterTarget): { username?: string; password?: string; tls?: object } {
  return {
    ...(target.username ? { username: target.username } : {}),
    ...(target.password ? { password: target.password } : {}),
    ...(target.tls ? { tls: {} } : {}),
  };
}

/**
 * Why the seeds cannot be used, asked of each with a plain connection, which (unlike the Cluster's
 * slot refresh) reports the real reason: refused, timeout, wrong password.
 */
async function probeSeeds(target: ClusterTarget, redisOptions: RedisOptions): Promise<string> {
  const reasons = new Map<string, string[]>(); // reason → seeds
  for (const node of target.nodes) {
    const probe = new Redis({
      ...FAIL_FAST,
      host: node.host,
      port: node.port,
      ...auth(target),
      ...redisOptions,
    });
    const failed = await openAndPing(probe);
    if (!failed) {
      probe.disconnect();
      // The seed answers, so the nodes it names are what cannot be reached.
      return `${node.host}:${node.port} answers, but the cluster's nodes cannot be reached at the addresses it gives for them (CLUSTER SLOTS); behind NAT or in containers, set cluster-announce-ip on the nodes`;
    }
    reasons.set(failed.reason, [...(reasons.get(failed.reason) ?? []), `${node.host}:${node.port}`]);
  }
  return [...reasons].map(([reason, seeds]) => `${seeds.join(', ')}: ${reason}`).join('; ');
}

/**
 * Connects a lazy client and checks it with PING. On failure it is disconnected and the result
 * says why, from the real cause: ioredis reports that on 'error' (a Cluster on 'error' as its
 * lastNodeError, and on 'node error') and rejects connect() with only "Connection is closed".
 */
async function openAndPing(client: RedisClient): Promise<{ reason: string; error: unknown } | undefined> {
  let cause: Error | undefined;
  const onError = (err: Error & { lastNodeError?: Error }) => {
    cause = err.lastNodeError ?? err;
  };
  client.on('error', onError);
  client.on('node error', onError);
  try {
    await client.connect();
    await client.ping();
    return undefined;
  } catch (error) {
    await closeRedis(client);
    return {
      reason: describeRedisError(cause ?? (error instanceof Error ? error : new Error(String(error)))),
      error,
    };
  } finally {
    client.off('error', onError);
    client.off('node error', onError);
  }
}

/**
 * From now on ride out outages (a long-running capture): reconnect with `delayMs(attempt)` instead
 * of giving up, on a single Redis and on a cluster alike.
 */
export function keepReconnecting(client: RedisClient, delayMs: (attempt: number) => number): void {
  if (client instanceof Cluster) client.options.clusterRetryStrategy = delayMs;
  else client.options.retryStrategy = delayMs;
}
