/** Runs a built CLI (dist/cli/*.js) as a user would, and captures what it printed and its exit code. */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export const FETCH_BIN = fileURLToPath(new URL('../../dist/cli/fetch.js', import.meta.url));
export const QUERY_BIN = fileURLToPath(new URL('../../dist/cli/query.js', import.meta.url));
export const ARCHIVE_BIN = fileURLToPath(new URL('../../dist/cli/archive.js', import.meta.url));

export interface RunOptions {
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
  /** Called once the process is running, e.g. to send it a signal later. */
  onSpawn?: (pid: number, child: import('node:child_process').ChildProcess) => void;
  input?: string;
}

export function runCli(bin: string, args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string | undefined> = {
      ...process.env,
      NO_COLOR: '1',
      REDIS_URL: undefined,
      ...options.env,
    };
    const child = spawn(process.execPath, [bin, ...args], { env: env as NodeJS.ProcessEnv, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `${bin} ${args.join(' ')} did not finish in ${options.timeoutMs ?? 15000} ms\nstderr: ${stderr}`,
        ),
      );
    }, options.timeoutMs ?? 15000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    if (options.input !== undefined) child.stdin.end(options.input);
    else child.stdin.end();
    if (child.pid !== undefined) options.onSpawn?.(child.pid, child);
  });
}

export interface RunningCli {
  readonly stderr: () => string;
  /** Sends a signal (SIGTERM by default) and resolves with what the run printed and its exit code. */
  stop(signal?: NodeJS.Signals): Promise<CliResult>;
  /** Resolves when the process ends by itself. */
  readonly done: Promise<CliResult>;
}

/** Starts `l1-fetch` and returns at once; the caller drives the fake, then stops it. */
export function startFetch(
  args: readonly string[],
  env: Record<string, string | undefined> = {},
): RunningCli {
  let child: ChildProcess | undefined;
  let stderr = '';
  const done = runCli(FETCH_BIN, args, {
    env,
    timeoutMs: 60_000,
    onSpawn: (_pid, spawned) => {
      child = spawned;
      // What it has said so far, while it runs (runCli hands over the whole of it at the end).
      spawned.stderr?.on('data', (d: Buffer | string) => {
        stderr += d.toString();
      });
    },
  });
  return {
    stderr: () => stderr,
    done,
    stop: (signal: NodeJS.Signals = 'SIGTERM') => {
      child?.kill(signal);
      return done;
    },
  };
}

/** Resolves once what `run` wrote to stderr matches `pattern`; fails (naming it) after `timeoutMs`. */
export async function waitForStderr(run: RunningCli, pattern: RegExp, timeoutMs = 30_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!pattern.test(run.stderr())) {
    if (performance.now() > deadline)
      throw new Error(`timed out waiting for ${pattern} on stderr; it said:\n${run.stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
