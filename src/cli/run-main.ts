/**
 * The frame every CLI runs in: expected errors print one line to stderr and set the exit code
 * (2 usage/input, 1 runtime); only a bug prints a stack trace.
 */
import { CommanderError } from 'commander';
import { EXIT_FAILURE, EXIT_USAGE, L1Error } from '../errors.js';
import { describeRedisError } from '../store/redis-connection.js';

export async function runMain(tool: string, main: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await main();
  } catch (err) {
    process.exitCode = reportError(tool, err);
  }
  // Done: do not wait for stray timers (ioredis keeps a connect timer after a refused connection).
  // stdout and stderr are synchronous for files, pipes and terminals on POSIX, so nothing is cut.
  setTimeout(() => process.exit(), 50).unref();
}

export function reportError(tool: string, err: unknown): number {
  if (err instanceof CommanderError) {
    // Commander already printed its message (and help for --help / --version).
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0)
      return 0;
    return EXIT_USAGE;
  }
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
