/**
 * Redis and TLS failures in words, with what to change: for the one line a CLI prints. Pure (no
 * ioredis), so the CLIs' error frame does not load the client just to be able to explain it.
 */

/** Redis refused a command for the user's ACL (a command, or a script's command or key). */
export function isPermissionError(err: Error): boolean {
  return /^NOPERM|user executing the script can't/.test(err.message);
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
    return 'wrong password or user (check both in --redis-url, L1_REDIS_URL or REDIS_URL)';
  }
  if (/NOAUTH/.test(msg))
    return 'the server wants a password (put it in the URL: redis://:PASSWORD@host:port)';
  if (/ECONNREFUSED/.test(msg))
    return 'connection refused (is redis-server running? start one with: redis-server, or docker run -p 6379:6379 redis:7)';
  if (/Stream isn't writeable|Connection is closed|ECONNRESET|EPIPE/.test(msg)) return 'connection lost';
  if (/ETIMEDOUT|timed? ?out/i.test(msg)) return 'no answer in time (check the host, port and firewall)';
  if (/ENOTFOUND|EAI_AGAIN/.test(msg)) return 'unknown host';
  // A plain client on a cluster node gets MOVED for most keys (ioredis' Cluster follows them
  // itself), and CROSSSLOT for a script over keys of several slots (the standalone key scheme's).
  if (/^(MOVED|ASK|CROSSSLOT) /.test(msg)) return clusterNodeHint(msg.split(' ')[0]);
  if (/^Too many Cluster redirections/.test(msg))
    return `the Redis Cluster kept redirecting the command, a resharding or failover in progress? (${msg})`;
  if (/^CLUSTERDOWN/.test(msg))
    return 'the Redis Cluster is down (some slot has no reachable master; see CLUSTER INFO on a node)';
  if (/cluster support disabled/i.test(msg))
    return 'this Redis is not in cluster mode: drop --cluster (or L1_CLUSTER) and use a redis:// URL';
  return msg;
}

/** A plain URL names a node of a Redis Cluster: how it showed (MOVED, CROSSSLOT, HELLO's mode). */
export function clusterNodeHint(how: string | undefined): string {
  return `this Redis is a cluster node (${how}): connect with --redis-url redis+cluster://host:port[,host:port…], or add --cluster`;
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
