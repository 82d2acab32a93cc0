// Spawns a throwaway `redis-server` on a free loopback port, with persistence off.
// Outage tests kill and restart it on the same port, so every transition waits for the
// old process to be gone and the new one to answer PING before it resolves.
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export interface RedisServerHandle {
  /** `redis://127.0.0.1:PORT` (no DB path). */
  readonly url: string;
  readonly port: number;
  /** Starts it again (same port) after stop() or kill(); a no-op while running. */
  start(): Promise<void>;
  /** Graceful shutdown (SIGTERM, then SIGKILL after 2 s); resolves once the process is gone. */
  stop(): Promise<void>;
  /** stop() then start() on the same port. */
  restart(): Promise<void>;
  /** SIGKILL, as a crash would; resolves once the process is gone. */
  kill(): Promise<void>;
}

export const REDIS_SERVER_NOT_FOUND =
  'redis-server not found: install it (Debian/Ubuntu: apt-get install -y redis-server; macOS: brew install redis), ' +
  'or run Docker for testcontainers, or set REDIS_URL to a throwaway Redis (its data will be flushed)';

const HOST = '127.0.0.1';
const FORBIDDEN_PORT = 6379; // a developer's own Redis may live there
const READY_TIMEOUT_MS = 5000;
const PORT_ATTEMPTS = 5;

// Children still running when the test process exits would outlive it: kill them synchronously.
const live = new Set<ChildProcess>();
// Data directories of persistent servers, kept across their restarts and removed at exit.
const keptDirs = new Set<string>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
  for (const dir of keptDirs) rmSync(dir, { recursive: true, force: true });
});

export function findRedisServer(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, 'redis-server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** A port the OS just handed out; another process may still grab it, hence the retries. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** One inline PING over a raw socket: no client library, no reconnect logic to fight. */
export function ping(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: HOST, port });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

/** PID of the redis-server answering on `port`, so we never mistake someone else's Redis for ours. */
function serverPid(port: number, timeoutMs: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: HOST, port });
    let reply = '';
    const done = (pid: number | undefined) => {
      socket.destroy();
      resolve(pid);
    };
    socket.setTimeout(timeoutMs, () => done(undefined));
    socket.once('error', () => done(undefined));
    socket.once('connect', () => socket.write('INFO server\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      const pid = /process_id:(\d+)\r\n/.exec(reply)?.[1];
      if (pid) done(Number(pid));
      else if (reply.startsWith('-')) done(undefined); // e.g. -LOADING: not ready yet
    });
  });
}

class PortInUseError extends Error {}

class SpawnedRedis implements RedisServerHandle {
  readonly url: string;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private dir: string | undefined;

  constructor(
    private readonly bin: string,
    readonly port: number,
    private readonly extraArgs: ExtraArgs = () => [],
    /** AOF with appendfsync always in one directory kept across restarts: a kill loses no confirmed write. */
    private readonly persistent = false,
  ) {
    this.url = `redis://${HOST}:${port}`;
  }

  start(): Promise<void> {
    // Right after a kill the port can still be briefly held; retry the same port a few times.
    return this.launch(PORT_ATTEMPTS);
  }

  async launch(attempts: number): Promise<void> {
    if (this.child) return;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.spawnOnce();
        return;
      } catch (error) {
        if (!(error instanceof PortInUseError) || attempt >= attempts) throw error;
        await sleep(100 * attempt);
      }
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
    await this.exited;
    clearTimeout(timer);
  }

  async kill(): Promise<void> {
    this.child?.kill('SIGKILL');
    await this.exited;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  private async spawnOnce(): Promise<void> {
    if (!this.persistent || !this.dir) this.dir = mkdtempSync(join(tmpdir(), 'l1-test-redis-'));
    if (this.persistent) keptDirs.add(this.dir);
    const args = ['--port', String(this.port), '--bind', HOST, '--save', ''];
    args.push(
      ...(this.persistent ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']),
    );
    args.push('--dir', this.dir, '--daemonize', 'no', ...(await this.extraArgs()));
    const child = spawn(this.bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    let gone = false;
    let spawnError: Error | undefined;
    child.once('error', (error) => {
      spawnError = error;
    });
    const dir = this.dir;
    this.child = child;
    live.add(child);
    this.exited = new Promise<void>((resolve) => {
      // 'close' (not 'exit') so a spawn error, which emits no 'exit', also settles it.
      child.once('close', () => {
        gone = true;
        live.delete(child);
        if (this.child === child) this.child = undefined;
        if (!this.persistent) rmSync(dir, { recursive: true, force: true });
        resolve();
      });
    });

    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!gone && Date.now() < deadline) {
      // A PID mismatch means another server holds the port; ours will exit with "in use".
      if ((await serverPid(this.port, 200)) === child.pid) return;
      await sleep(20);
    }
    if (!gone) {
      child.kill('SIGKILL');
      await this.exited;
      throw new Error(
        `redis-server on port ${this.port} did not answer PING in ${READY_TIMEOUT_MS} ms:\n${output}`,
      );
    }
    await this.exited;
    if (spawnError) {
      const code = (spawnError as NodeJS.ErrnoException).code;
      throw new Error(
        code === 'ENOENT' ? REDIS_SERVER_NOT_FOUND : `cannot run redis-server: ${spawnError.message}`,
      );
    }
    if (/address already in use/i.test(output)) throw new PortInUseError(`port ${this.port} is in use`);
    throw new Error(`redis-server exited before answering PING:\n${output}`);
  }
}

/**
 * More redis-server arguments, asked for at every launch (a cluster node picks a fresh bus port
 * each time, since a port clash on either port makes the launch retry).
 */
export type ExtraArgs = () => readonly string[] | Promise<readonly string[]>;

export async function startRedisServer(
  opts: { port?: number; extraArgs?: ExtraArgs; persistent?: boolean } = {},
): Promise<RedisServerHandle> {
  const bin = findRedisServer();
  if (!bin) throw new Error(REDIS_SERVER_NOT_FOUND);
  if (opts.port === FORBIDDEN_PORT) throw new Error(`refusing port ${FORBIDDEN_PORT}: it may hold real data`);
  if (opts.port !== undefined) {
    const server = new SpawnedRedis(bin, opts.port, opts.extraArgs, opts.persistent);
    await server.start();
    return server;
  }
  // A free port can be taken between our probe and redis' bind: pick another and retry.
  for (let attempt = 1; ; attempt++) {
    let port = await freePort();
    while (port === FORBIDDEN_PORT) port = await freePort();
    const server = new SpawnedRedis(bin, port, opts.extraArgs, opts.persistent);
    try {
      await server.launch(1);
      return server;
    } catch (error) {
      if (!(error instanceof PortInUseError) || attempt >= PORT_ATTEMPTS) throw error;
    }
  }
}
