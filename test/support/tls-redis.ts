// A throwaway `redis-server` listening on TLS only, with certificates made for this run by
// openssl (a CA, a server certificate for 127.0.0.1, a client certificate, and an unrelated CA):
// no private key is committed anywhere.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findRedisServer, freePort, REDIS_SERVER_NOT_FOUND } from './redis-server.js';

export interface TlsFiles {
  dir: string;
  ca: string;
  /** A CA that signed nothing the server has. */
  otherCa: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

const openssl = (dir: string, args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function selfSignedCa(dir: string, name: string): void {
  openssl(dir, [
    'req',
    '-x509',
    ...EC,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.crt`,
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
  ]);
}

function signed(dir: string, name: string, san: string | undefined): void {
  const req = ['req', '-new', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`];
  if (san) req.push('-addext', `subjectAltName=${san}`);
  openssl(dir, req);
  const sign = ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial'];
  openssl(dir, [...sign, '-out', `${name}.crt`, '-days', '2', ...(san ? ['-copy_extensions', 'copy'] : [])]);
}

export function makeTlsFiles(): TlsFiles {
  const dir = mkdtempSync(join(tmpdir(), 'l1-tls-'));
  selfSignedCa(dir, 'ca');
  selfSignedCa(dir, 'other-ca');
  signed(dir, 'server', 'IP:127.0.0.1,DNS:localhost');
  signed(dir, 'client', undefined);
  const at = (f: string) => join(dir, f);
  return {
    dir,
    ca: at('ca.crt'),
    otherCa: at('other-ca.crt'),
    serverCert: at('server.crt'),
    serverKey: at('server.key'),
    clientCert: at('client.crt'),
    clientKey: at('client.key'),
  };
}

export interface TlsRedis {
  port: number;
  files: TlsFiles;
  stop(): Promise<void>;
}

/** Starts redis-server on a free port with TLS only (`--port 0`) and client certificates required. */
export async function startTlsRedis(files: TlsFiles): Promise<TlsRedis> {
  const bin = findRedisServer();
  if (!bin) throw new Error(REDIS_SERVER_NOT_FOUND);
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'l1-tls-redis-'));
  const args = ['--tls-port', String(port), '--port', '0', '--bind', '127.0.0.1'];
  args.push('--tls-cert-file', files.serverCert, '--tls-key-file', files.serverKey);
  args.push('--tls-ca-cert-file', files.ca, '--tls-auth-clients', 'yes');
  args.push('--save', '', '--appendonly', 'no', '--dir', dataDir);
  const child: ChildProcess = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  // A test process that dies must not leave it running.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<void>((resolve) =>
    child.once('close', () => {
      process.off('exit', killOnExit);
      resolve();
    }),
  );
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`TLS redis-server did not start:\n${output}`)), 5000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('close', () => {
      clearTimeout(timer);
      reject(new Error(`TLS redis-server exited:\n${output}`));
    });
  });
  return {
    port,
    files,
    async stop() {
      child.kill('SIGTERM');
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Writes a file into the TLS directory (for a not-PEM test). */
export function writeInto(files: TlsFiles, name: string, content: string): string {
  const path = join(files.dir, name);
  writeFileSync(path, content);
  return path;
}
