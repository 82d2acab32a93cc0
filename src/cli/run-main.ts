/**
 * The frame every CLI runs in: expected errors print one line to stderr and set the exit code
 * (2 usage/input, 1 runtime); only a bug prints a stack trace. The process ends only once stdout
 * and stderr have written everything (see output-exit.ts); unattended, at most OUTPUT_DEADLINE_MS later.
 */
import { CommanderError } from 'commander';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, L1Error } from '../errors.js';
import { describeRedisError } from '../store/redis-errors.js';
import { OUTPUT_DEADLINE_MS, OutputExit } from './output-exit.js';

export interface RunMainOptions {
  /** How long the exit waits for a reader that does not take the output (default 10 s). */
  outputDeadlineMs?: number;
}

let current: OutputExit | undefined;

export async function runMain(
  tool: string,
  main: () => Promise<number>,
  options: RunMainOptions = {},
): Promise<never> {
  const ending = new OutputExit(tool, options.outputDeadlineMs ?? OUTPUT_DEADLINE_MS);
  current = ending;
  ending.watch();
  let code: number;
  try {
    code = await main();
  } catch (err) {
    code = reportError(tool, err);
  }
  // Exiting explicitly (once the output is out) also ends whatever a library left running.
  return ending.exit(code);
}

/**
 * For a command that has decided its outcome before main() returns (--follow stopped by a signal):
 * from now on the process exits within the output deadline even if its last writes never drain.
 */
export function startExitDeadline(code: number): void {
  current?.startDeadline(code);
}

export function reportError(tool: string, err: unknown): number {
  if (err instanceof CommanderError) {
    // Commander already printed its message (and help for --help / --version).
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0)
      return 0;
    return EXIT_USAGE;
  }
  // The reader of stdout went away (`| head`) while a write waited on it: its choice, not a failure.
  if ((err as NodeJS.ErrnoException | undefined)?.code === 'EPIPE') return EXIT_OK;
  if (err instanceof L1Error) {
    process.stderr.write(`${tool}: ${err.message}\n`);
    return err.exitCode;
  }
  // Redis answered with an error (an ACL that denies a command, a full or read-only replica):
  // a runtime failure to explain in one line, not a bug.
  if (err instanceof Error && err.name === 'ReplyError') {
    process.stderr.write(`${tool}: Redis refused: ${describeRedisError(err)}\n`);
    return EXIT_FAILURE;
  }
  // A Redis Cluster that kept redirecting a command (mid-reshard or failover): the setup's state,
  // not a bug.
  if (err instanceof Error && /^Too many Cluster redirections/.test(err.message)) {
    process.stderr.write(`${tool}: Redis: ${describeRedisError(err)}\n`);
    return EXIT_FAILURE;
  }
  process.stderr.write(
    `${tool}: unexpected error (please report it): ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  return EXIT_FAILURE;
}
