/** Runs a built CLI (dist/cli/*.js) as a user would, and captures what it printed and its exit code. */
import { spawn } from 'node:child_process';
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
