/**
 * Opening Redis for the CLIs. A one-shot command fails fast with one clear line (exit 1) instead
 * of ioredis' endless reconnect loop; a long-running capture reconnects forever (see capture/).
 * The password never appears in any message: URLs are masked before they are printed.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { RedisUnavailableError, UsageError } from '../errors.js';
import { closeRedis } from './close-redis.js';
import { isClusterUrl, maskClusterUrl, parseClusterUrl } from './cluster-url.js';
import type { RedisClient } from './redis-client.js';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** The URL with any password replaced by ***, for messages. */
export function maskRedisUrl(url: string): string {
  if (isClusterUrl(url)) return maskClusterUrl(url);
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<unparsable URL>';
  }
}

/**
 * Rejects anything but redis://, rediss:// and redis+cluster:// (rediss+cluster://) URLs up front
 * (exit 2, before anything is fetched).
 */
export function validateRedisUrl(url: string, optionName = '--redis-url'): void {
  if (isClusterUrl(url)) {
    parseClusterUrl(url, optionName);
    return;
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(
      `${optionName}: '${maskRedisUrl(url)}' is not a URL; use e.g. redis://127.0.0.1:6379 or rediss://:PASSWORD@host:6380/0`,
    );
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new UsageError(
      `${optionName}: '${maskRedisUrl(url)}' must start with redis://, rediss:// or redis+cluster://`,
    );
  }
  const db = parsed.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d+$/.test(db)) {
    throw new UsageError(`${optionName}: database '${db}' in '${maskRedisUrl(url)}' must be a number`);
  }
}

export interface ConnectOptions {
  /** Give up connecting after this many ms. Default 3000. */
  connectTimeoutMs?: number;
  /** Extra ioredis options (the long-running capture sets its own retry strategy). */
  redisOptions?: RedisOptions;
}

/**
 * Connects and checks the connection with PING; throws RedisUnavailableError naming the masked
 * URL and the reason (refused, timeout, wrong password) on failure.
 */
export async function connectRedis(url: string, options: ConnectOptions = {}): Promise<Redis> {
  validateRedisUrl(url);
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: options.connectTimeoutMs ?? 3000,
    retryStrategy: () => null,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    // The ready check sends INFO, which a least-privilege ACL user may not run (ioredis then
    // prints a warning); our PING below checks the connection instead.
    enableReadyCheck: false,
    ...options.redisOptions,
  });
  const failed = await openAndPing(redis);
  if (failed)
    throw new RedisUnavailableError(
      `cannot use Redis at ${maskRedisUrl(url)}: ${failed.reason}${schemeHint(url, failed.reason)}`,
      { cause: failed.error },
    );
  return redis;
}

/** A plain client on a TLS port sees the connection dropped; a TLS client on a plain port, silence. */
function schemeHint(url: string, reason: string): string {
  const tls = url.toLowerCase().startsWith('rediss://');
  if (!tls && reason === 'connection lost') return ' (if that port speaks TLS, use rediss://)';
  if (tls && reason.startsWith('no answer in time'))
    return ' (if that port does not speak TLS, use redis://)';
  return '';
}

/** Redis refused a command for the user's ACL (a command, or a script's command or key). */
export function isPermissionError(err: Error): boolean {
  return /^NOPERM|user executing the script can't/.test(err.message);
}

/**
 * Connects a lazy client and checks it with PING. On failure it is disconnected and the result
 * says why, from the real cause: ioredis reports that on 'error' (a Cluster on 'error' as its
 * lastNodeError, and on 'node error') and rejects connect() with only "Connection is closed".
 */
export async function openAndPing(
  client: RedisClient,
): Promise<{ reason: string; error: unknown } | undefined> {
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

export function describeRedisError(err: Error): string {
  const msg = err.message;
  if (isPermissionError(err)) {
    const what = msg.replace(/ script: [0-9a-f]{40}.*$/s, '').replace(/^(NOPERM|ERR) /, '');
    return `not allowed by the Redis user's ACL (${what}); the README's "Redis ACL" lists what each tool needs`;
  }
  const tls = describeTlsError(err);
  if (tls) return tls;
  if (/WRONGPASS|invalid password|invalid username-password/i.test(msg)) {
    return 'wrong password or user (check the password in --redis-url or REDIS_URL)';
  }
  if (/NOAUTH/.test(msg))
    return 'the server wants a password (put it in the URL: redis://:PASSWORD@host:port)';
  if (/ECONNREFUSED/.test(msg))
    return 'connection refused (is redis-server running? start one with: redis-server, or docker run -p 6379:6379 redis:7)';
  if (/Stream isn't writeable|Connection is closed|ECONNRESET|EPIPE/.test(msg)) return 'connection lost';
  if (/ETIMEDOUT|timed? ?out/i.test(msg)) return 'no answer in time (check the host, port and firewall)';
  if (/ENOTFOUND|EAI_AGAIN/.test(msg)) return 'unknown host';
  // A plain client on a cluster node gets MOVED for most keys; ioredis' Cluster follows them itself.
  if (/^(MOVED|ASK) /.test(msg))
    return `this Redis is a cluster node (${msg.split(' ')[0]}): connect with --redis-url redis+cluster://host:port[,host:port…], or add --cluster`;
  if (/^Too many Cluster redirections/.test(msg))
    return `the Redis Cluster kept redirecting the command, a resharding or failover in progress? (${msg})`;
  if (/^CLUSTERDOWN/.test(msg))
    return 'the Redis Cluster is down (some slot has no reachable master; see CLUSTER INFO on a node)';
  if (/cluster support disabled/i.test(msg))
    return 'this Redis is not in cluster mode: drop --cluster (or L1_CLUSTER) and use a redis:// URL';
  return msg;
}

const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
]);

/** TLS handshake failures in words, with what to change; undefined for anything else. */
function describeTlsError(err: Error): string | undefined {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  const msg = err.message;
  if (UNTRUSTED.has(code))
    return `TLS: the server's certificate is not trusted (${msg}); pass the CA that signed it with --redis-tls-ca`;
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID')
    return `TLS: the server's certificate is not valid now (${msg})`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return `TLS: the server's certificate is for another host (${msg}); connect by a name the certificate lists`;
  if (/WRONG_VERSION_NUMBER|wrong version number|packet length too long/i.test(`${code} ${msg}`))
    return 'TLS: the server does not speak TLS on this port (use redis:// for a plain port, or the TLS port)';
  if (/CERTIFICATE_REQUIRED|certificate required/i.test(`${code} ${msg}`))
    return 'TLS: the server wants a client certificate; pass --redis-tls-cert and --redis-tls-key';
  if (/ALERT_UNKNOWN_CA|ALERT_BAD_CERTIFICATE|bad certificate|unknown ca/i.test(`${code} ${msg}`))
    return 'TLS: the server refused the client certificate (is it signed by a CA the server trusts?)';
  return undefined;
}
