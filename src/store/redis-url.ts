/**
 * Redis URLs, read without connecting (no ioredis here, so a CLI's --help and its usage errors
 * do not load it): checking them, masking their passwords for messages, and the cluster form.
 *
 * A single Redis is `redis://[user:password@]host:port[/db]` (TLS: `rediss://`), parsed by
 * ioredis itself. A Redis Cluster is `redis+cluster://[user:password@]host:port[,host:port…]` (TLS:
 * `rediss+cluster://`), the seed nodes ioredis' Cluster starts from; it learns the rest of the
 * cluster from them. WHATWG URLs cannot hold a list of hosts, so this parses that form itself, the
 * way a WHATWG URL reads the user part: up to the last '@', so a raw '@' in a password still works.
 * A plain `redis://` URL with `--cluster` becomes a one-seed cluster the same way.
 */
import { UsageError } from '../errors.js';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export interface ClusterNodeAddress {
  host: string;
  port: number;
}

export interface ClusterTarget {
  nodes: ClusterNodeAddress[];
  username?: string;
  password?: string;
  tls: boolean;
}

const CLUSTER_URL = /^(rediss?)\+cluster:\/\/(?:([^/?#]*)@)?([^/?#@]*)(\/[^?#]*)?$/i;
const DEFAULT_PORT = 6379;

/**
 * `text` with the password of its URL replaced by ***, for messages and --print-config: whatever
 * lies between the first ':' after `scheme://` and the last '@'. Deliberately loose, for URLs
 * that do not parse too (a password with a raw '/', from a base64 generator, ends a URL's host
 * part early): it may hide more than the password, never less.
 */
export function maskRedisUrl(text: string): string {
  const start = text.indexOf('://');
  const at = text.lastIndexOf('@');
  if (start === -1 || at < start) return text;
  const colon = text.indexOf(':', start + 3);
  if (colon === -1 || colon > at) return text;
  return `${text.slice(0, colon + 1)}***${text.slice(at)}`;
}

export function isClusterUrl(url: string): boolean {
  return /^rediss?\+cluster:\/\//i.test(url.trim());
}

/**
 * Rejects anything but redis://, rediss:// and redis+cluster:// (rediss+cluster://) URLs up front
 * (exit 2, before anything is fetched).
 */
export function validateRedisUrl(url: string, optionName = '--redis-url'): void {
  // A raw '/', '?' or '#' in a password (base64 makes '/') ends the host part early: say that,
  // rather than "not a URL" or a database named after the rest of the password.
  const start = url.indexOf('://');
  const at = url.lastIndexOf('@');
  if (start !== -1 && at > start && /[/?#]/.test(url.slice(start + 3, at)))
    fail(optionName, url, "has a '/', '?' or '#' in its user or password: write them as %2F, %3F, %23");
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
      `${optionName}: '${maskRedisUrl(parsed.href)}' must start with redis://, rediss:// or redis+cluster://`,
    );
  }
  const db = parsed.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d+$/.test(db)) {
    throw new UsageError(
      `${optionName}: database '${db}' in '${maskRedisUrl(parsed.href)}' must be a number`,
    );
  }
  // ioredis decodes them the same way, and would throw a bare URIError.
  decodeCredential(parsed.username, optionName, url);
  decodeCredential(parsed.password, optionName, url);
}

/** A percent-encoded user or password, decoded; a UsageError for a stray '%'. */
function decodeCredential(part: string, option: string, url: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    fail(
      option,
      url,
      "has a '%' in its user or password that is not percent-encoding; write a literal % as %25",
    );
  }
}

function fail(option: string, url: string, why: string): never {
  throw new UsageError(`${option}: '${maskRedisUrl(url.trim())}' ${why}`);
}

/** One `host:port` (or `[v6]:port`, or `host` for port 6379). */
function parseNode(text: string, option: string, url: string): ClusterNodeAddress {
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]\s]+)(?::(\d*))?$/i.exec(text.trim());
  if (!m?.[1]) fail(option, url, `has a bad node '${text.trim()}'; use host:port, e.g. 10.0.0.1:7000`);
  const port = m[2] === undefined || m[2] === '' ? DEFAULT_PORT : Number(m[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    fail(option, url, `has a bad port in '${text.trim()}'`);
  return { host: m[1].replace(/^\[|\]$/g, ''), port };
}

/** The database path of a URL; a cluster has database 0 only. */
function checkDb(path: string | undefined, option: string, url: string): void {
  const db = (path ?? '').replace(/^\//, '');
  if (db !== '' && db !== '0')
    fail(option, url, `names database ${db}, but a Redis Cluster has database 0 only`);
}

/** Parses `redis+cluster://…`; a UsageError naming `option` for anything malformed (exit 2). */
export function parseClusterUrl(url: string, option = '--redis-url'): ClusterTarget {
  const m = CLUSTER_URL.exec(url.trim());
  if (!m) fail(option, url, 'is not a cluster URL; use e.g. redis+cluster://10.0.0.1:7000,10.0.0.2:7000');
  const [, scheme, userinfo, hosts, path] = m;
  checkDb(path, option, url);
  const list = (hosts ?? '').split(',').filter((h) => h.trim() !== '');
  if (list.length === 0)
    fail(option, url, 'names no node; use e.g. redis+cluster://10.0.0.1:7000,10.0.0.2:7000');
  const target: ClusterTarget = {
    nodes: list.map((h) => parseNode(h, option, url)),
    tls: scheme?.toLowerCase() === 'rediss',
  };
  if (userinfo) {
    // As ioredis reads redis://user:password@host: the part before ':' is the ACL user.
    const colon = userinfo.indexOf(':');
    const user = decodeCredential(colon === -1 ? userinfo : userinfo.slice(0, colon), option, url);
    const password = colon === -1 ? '' : decodeCredential(userinfo.slice(colon + 1), option, url);
    if (user) target.username = user;
    if (password) target.password = password;
  }
  return target;
}

/** `--cluster` with a plain `redis://` or `rediss://` URL (already validated): a one-seed cluster. */
export function clusterTargetFromUrl(url: string, option = '--redis-url'): ClusterTarget {
  const u = new URL(url);
  checkDb(u.pathname, option, url);
  const target: ClusterTarget = {
    nodes: [{ host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port ? Number(u.port) : DEFAULT_PORT }],
    tls: u.protocol === 'rediss:',
  };
  if (u.username) target.username = decodeCredential(u.username, option, url);
  if (u.password) target.password = decodeCredential(u.password, option, url);
  return target;
}
