/**
 * Opening Redis for the CLIs when it may be a Redis Cluster: `redis+cluster://` URLs (or `--cluster`
 * / L1_CLUSTER with a plain URL) get an ioredis Cluster that fails fast like connectRedis does,
 * with one line naming the masked seeds and the reason; anything else is connectRedis unchanged.
 */
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';
import { RedisUnavailableError } from '../errors.js';
import { type ClusterTarget, clusterTargetFromUrl, isClusterUrl, parseClusterUrl } from './cluster-url.js';
import type { RedisClient } from './redis-client.js';
import {
  type ConnectOptions,
  connectRedis,
  maskRedisUrl,
  openAndPing,
  validateRedisUrl,
} from './redis-connection.js';

export interface ClientConnectOptions extends ConnectOptions {
  /** Treat a plain redis:// URL as a seed node of a cluster (`--cluster`, L1_CLUSTER). */
  cluster?: boolean;
  /** Extra ioredis Cluster options (the long-running capture sets its own retry strategy). */
  clusterOptions?: ClusterOptions;
}

/** True when `url` (with the `--cluster` choice) means a Redis Cluster. */
export function wantsCluster(url: string, cluster = false): boolean {
  return cluster || isClusterUrl(url);
}

/** A single Redis or a Redis Cluster, connected and checked; RedisUnavailableError (exit 1) otherwise. */
export async function connectRedisClient(
  url: string,
  options: ClientConnectOptions = {},
): Promise<RedisClient> {
  validateRedisUrl(url);
  if (!wantsCluster(url, options.cluster)) return connectRedis(url, options);
  const target = isClusterUrl(url) ? parseClusterUrl(url) : clusterTargetFromUrl(url);
  return connectCluster(url, target, options);
}

async function connectCluster(
  url: string,
  target: ClusterTarget,
  options: ClientConnectOptions,
): Promise<Cluster> {
  const timeout = options.connectTimeoutMs ?? 3000;
  const cluster = new Cluster(target.nodes, {
    lazyConnect: true,
    // Like connectRedis: no endless reconnect, no queueing while down; the capture sets its own.
    clusterRetryStrategy: () => null,
    enableOfflineQueue: false,
    slotsRefreshTimeout: timeout,
    // Both ready checks (CLUSTER INFO, and INFO per node) need commands a least-privilege ACL user
    // lacks, and a denied one leaves connect() hanging; our PING checks instead, and a cluster
    // that is down says CLUSTERDOWN on the first command.
    enableReadyCheck: false,
    redisOptions: {
      connectTimeout: timeout,
      maxRetriesPerRequest: 1,
      enableReadyCheck: false,
      ...auth(target),
      ...options.redisOptions,
    },
    ...options.clusterOptions,
  });
  const failed = await openAndPing(cluster);
  if (failed) {
    // The Cluster's own reason is often just "Connection is closed": ask the seeds for a better one.
    let reason = failed.reason;
    if (reason === 'connection lost') reason = await probeSeeds(target, timeout, options.redisOptions);
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
async function probeSeeds(
  target: ClusterTarget,
  timeoutMs: number,
  redisOptions: RedisOptions = {},
): Promise<string> {
  const reasons = new Map<string, string[]>(); // reason → seeds
  for (const node of target.nodes) {
    const probe = new Redis({
      host: node.host,
      port: node.port,
      lazyConnect: true,
      connectTimeout: timeoutMs,
      retryStrategy: () => null,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      enableReadyCheck: false,
      ...auth(target),
      ...redisOptions, // TLS files
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
 * From now on ride out outages (a long-running capture): reconnect with `delayMs(attempt)` instead
 * of giving up, on a single Redis and on a cluster alike.
 */
export function keepReconnecting(client: RedisClient, delayMs: (attempt: number) => number): void {
  if (client instanceof Cluster) client.options.clusterRetryStrategy = delayMs;
  else client.options.retryStrategy = delayMs;
}
