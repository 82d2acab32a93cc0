/**
 * TLS for rediss:// connections: the CA to trust, a client certificate and key for servers that
 * ask for one (Redis `tls-auth-clients yes`), or no verification for a throwaway test setup.
 *
 * Every file is read and parsed at start, so a missing, unreadable or wrong file is one line
 * naming the option and the path (exit 2) before anything is fetched, not a TLS error later.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { UsageError } from '../errors.js';

/** A file given by a flag or an environment variable; `name` is what messages call it. */
export interface NamedFile {
  path: string;
  name: string;
}

export interface RedisTlsFiles {
  ca?: NamedFile | undefined;
  cert?: NamedFile | undefined;
  key?: NamedFile | undefined;
  /** Name of the flag or variable that turned verification off, if one did. */
  insecure?: string | undefined;
}

/** Whether any TLS option was given at all. */
export function hasTlsOptions(files: RedisTlsFiles): boolean {
  return files.ca !== undefined || files.cert !== undefined || files.key !== undefined || !!files.insecure;
}

/** The node:tls options for ioredis' `tls`, from the files given. */
export function loadRedisTls(files: RedisTlsFiles): ConnectionOptions {
  const tls: ConnectionOptions = {};
  if (files.ca) {
    const pem = readPem(files.ca);
    certificateOf(files.ca, pem);
    tls.ca = pem;
  }
  if ((files.cert === undefined) !== (files.key === undefined)) {
    const given = (files.cert ?? files.key) as NamedFile;
    throw new UsageError(
      `${given.name}: a client certificate needs both --redis-tls-cert and --redis-tls-key (only ${given.name} was given)`,
    );
  }
  if (files.cert && files.key) {
    const certPem = readPem(files.cert);
    const keyPem = readPem(files.key);
    const certificate = certificateOf(files.cert, certPem);
    let key: ReturnType<typeof createPrivateKey>;
    try {
      key = createPrivateKey(keyPem);
    } catch {
      throw new UsageError(`${files.key.name}: ${files.key.path} is not a PEM private key`);
    }
    if (!certificate.checkPrivateKey(key)) {
      throw new UsageError(
        `${files.key.name}: the key in ${files.key.path} does not belong to the certificate in ${files.cert.path}`,
      );
    }
    tls.cert = certPem;
    tls.key = keyPem;
  }
  if (files.insecure) tls.rejectUnauthorized = false;
  return tls;
}

function readPem(file: NamedFile): string {
  try {
    return readFileSync(file.path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'it is a directory'
            : (code ?? 'unreadable');
    throw new UsageError(`${file.name}: cannot read ${file.path} (${why})`);
  }
}

function certificateOf(file: NamedFile, pem: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch {
    throw new UsageError(`${file.name}: ${file.path} is not a PEM certificate`);
  }
}
