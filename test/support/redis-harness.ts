// Chooses the Redis a test run uses: REDIS_URL, else a testcontainers Redis when a container
// runtime answers, else a spawned redis-server. Tests flush DBs 1-15 of whatever is chosen.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REDIS_SERVER_NOT_FOUND, startRedisServer } from './redis-server.js';

export interface HarnessRedis {
  /** Base URL without a DB path, e.g. `redis://127.0.0.1:40123`. */
  readonly url: string;
  /** One line saying which Redis this is, for the run's log. */
  readonly description: string;
  stop(): Promise<void>;
}

// The probe resolves 'testcontainers' from the project's node_modules.
const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const RUNTIME_PROBE_TIMEOUT_MS = 3000;
// Pulling redis:7 on a slow link takes a while; past this we give up and fall back.
const CONTAINER_START_TIMEOUT_MS = 120_000;
const FORBIDDEN_PORT = '6379';

const NO_REDIS =
  'No Redis for the tests. Pick one: set REDIS_URL to a throwaway Redis (DBs 1-15 are flushed), ' +
  'or run Docker so testcontainers can start redis:7, ' +
  'or install redis-server (Debian/Ubuntu: apt-get install -y redis-server; macOS: brew install redis).';

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer in ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

function fromEnvUrl(raw: string, env: NodeJS.ProcessEnv): HarnessRedis {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new Error(`REDIS_URL is not a URL: ${raw}`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new Error(`REDIS_URL must be redis:// or rediss://, got ${raw}`);
  }
  // 6379 is where a real Redis usually lives; flushing it by accident costs someone their data.
  if ((parsed.port || FORBIDDEN_PORT) === FORBIDDEN_PORT && env.L1_TEST_ALLOW_6379 !== '1') {
    throw new Error(
      `REDIS_URL points at port ${FORBIDDEN_PORT}, and the tests flush DBs 1-15 there. ` +
        'Use another port, or set L1_TEST_ALLOW_6379=1 if that Redis really is throwaway.',
    );
  }
  parsed.pathname = '';
  const url = parsed.toString().replace(/\/$/, '');
  const shown = parsed.password ? url.replace(`:${parsed.password}@`, ':***@') : url;
  return { url, description: `REDIS_URL ${shown}`, stop: async () => {} };
}

/** Cheap, import-free hint that a container runtime might exist. */
function runtimeHinted(env: NodeJS.ProcessEnv): boolean {
  if (env.DOCKER_HOST || env.TESTCONTAINERS_HOST_OVERRIDE) return true;
  return ['/var/run/docker.sock', join(homedir(), '.docker', 'run', 'docker.sock')].some(existsSync);
}

/**
 * Asks testcontainers, in a child process, whether a container runtime answers. A socket that
 * accepts but never answers would hang the call forever and, in-process, keep vitest from exiting
 * (its pending request cannot be cancelled); a child can simply be killed.
 */
function probeContainerRuntime(): Promise<void> {
  const script =
    "import { getContainerRuntimeClient } from 'testcontainers';" +
    'await getContainerRuntimeClient(); process.exit(0);';
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-2000);
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`container runtime did not answer in ${RUNTIME_PROBE_TIMEOUT_MS} ms`));
    }, RUNTIME_PROBE_TIMEOUT_MS);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      const reason = stderr.match(/Error: (.*)/)?.[1] ?? `probe exited with ${code}`;
      if (code === 0) resolve();
      else reject(new Error(reason));
    });
  });
}

async function fromContainer(): Promise<HarnessRedis> {
  await probeContainerRuntime();
  const { RedisContainer } = await import('@testcontainers/redis');
  const container = await withTimeout(
    new RedisContainer('redis:7').start(),
    CONTAINER_START_TIMEOUT_MS,
    'redis:7 container start',
  );
  const url = container.getConnectionUrl();
  return {
    url,
    description: `testcontainers redis:7 at ${url}`,
    stop: async () => {
      await container.stop();
    },
  };
}

async function fromRedisServer(): Promise<HarnessRedis> {
  const server = await startRedisServer();
  return {
    url: server.url,
    description: `spawned redis-server on 127.0.0.1:${server.port}`,
    stop: () => server.stop(),
  };
}

export async function startHarnessRedis(env: NodeJS.ProcessEnv = process.env): Promise<HarnessRedis> {
  const raw = env.REDIS_URL?.trim();
  if (raw) return fromEnvUrl(raw, env);

  const failures: string[] = [];
  if (runtimeHinted(env)) {
    try {
      return await fromContainer();
    } catch (error) {
      failures.push(`testcontainers: ${message(error)}`);
    }
  } else {
    failures.push('testcontainers: no DOCKER_HOST and no Docker socket');
  }
  try {
    const spawned = await fromRedisServer();
    // Say why Docker was passed over when it looked available, so a slow fallback is explained.
    if (!runtimeHinted(env)) return spawned;
    return { ...spawned, description: `${spawned.description} (${failures.join('; ')})` };
  } catch (error) {
    const reason = message(error);
    failures.push(`redis-server: ${reason === REDIS_SERVER_NOT_FOUND ? 'not on PATH' : reason}`);
  }
  throw new Error(`${NO_REDIS}\n  ${failures.join('\n  ')}`);
}
