/**
 * Redis Cluster addresses: `redis+cluster://[user:password@]host:port[,host:port…]` (TLS:
 * `rediss+cluster://`), the seed nodes ioredis' Cluster starts from; it learns the rest of the
 * cluster from them. WHATWG URLs cannot hold a list of hosts, so this parses the form itself.
 * A plain `redis://` URL with `--cluster` becomes a one-seed cluster the same way.
 */
import { UsageError } from '../errors.js';

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

const CLUSTER_URL = /^(rediss?)\+cluster:\/\/(?:([^@/]*)@)?([^/?#]*)(\/[^?#]*)?$/i;
const DEFAULT_PORT = 6379;

export function isClusterUrl(url: string): boolean {
  return /^rediss?\+cluster:\/\//i.test(url.trim());
}

/** A cluster URL with its password replaced by ***, for messages. */
export function maskClusterUrl(url: string): string {
  return url.trim().replace(/^([^:/]+:\/\/[^:@/]*:)[^@/]*@/, '$1***@');
}

function fail(option: string, url: string, why: string): never {
  throw new UsageError(`${option}: '${maskClusterUrl(url)}' ${why}`);
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
    const user = decodeURIComponent(colon === -1 ? userinfo : userinfo.slice(0, colon));
    const password = colon === -1 ? '' : decodeURIComponent(userinfo.slice(colon + 1));
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
  if (u.username) target.username = decodeURIComponent(u.username);
  if (u.password) target.password = decodeURIComponent(u.password);
  return target;
}
