/**
 * Ending a CLI without losing output. Node writes to pipes and sockets asynchronously on every
 * POSIX system (Linux included, not only macOS): what write() accepted may still sit in this process
 * when main() returns, and process.exit() drops it. So the exit waits until stdout and stderr have
 * handed everything to the operating system, with a deadline for a reader that never reads.
 *
 * A closed reader (`l1-query … | head`) is EPIPE on stdout: the reader's choice, a quiet exit with the
 * code already decided, or 0 while the command is still writing.
 */
import type { Writable } from 'node:stream';
import { EXIT_FAILURE, EXIT_OK } from '../errors.js';

/** How long the exit waits for a reader that does not take the output. */
export const OUTPUT_DEADLINE_MS = 10_000;

/**
 * Resolves once everything written to `stream` so far has left this process (or the stream failed
 * or closed). Write callbacks run in order, so an empty write's callback runs after every earlier
 * chunk's; nothing here relies on writes being synchronous.
 */
export function outputFlushed(stream: Writable): Promise<void> {
  if (stream.destroyed || stream.writableLength === 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      stream.off('close', done);
      resolve();
    };
    stream.once('close', done);
    stream.write('', done);
  });
}

export interface ProcessOutput {
  stdout: Writable;
  stderr: Writable;
  /**
   * A person is at the terminal (stderr is one): the reader may be a pager they are reading at
   * their own pace, and they can stop the command themselves, so the exit waits without a deadline.
   */
  interactive: boolean;
  exit: (code: number) => never;
}

/** The end of one CLI process: decides the exit code once, then exits when the output is out. */
export class OutputExit {
  private code: number | undefined;
  private deadline: NodeJS.Timeout | undefined;
  private exiting: Promise<never> | undefined;

  constructor(
    private readonly tool: string,
    private readonly deadlineMs = OUTPUT_DEADLINE_MS,
    private readonly io: ProcessOutput = {
      stdout: process.stdout,
      stderr: process.stderr,
      interactive: process.stderr.isTTY === true,
      exit: (code) => process.exit(code),
    },
  ) {}

  /** Handles write errors of stdout and stderr (EPIPE and the like) instead of crashing on them. */
  watch(): void {
    this.io.stdout.on('error', (err: NodeJS.ErrnoException) => {
      // The reader went away: nothing more can be shown, and that is not a failure of the command.
      if (err.code === 'EPIPE') void this.exit(this.code ?? EXIT_OK);
      else {
        this.say(`cannot write the output: ${err.message}`);
        void this.exit(EXIT_FAILURE);
      }
    });
    // Nowhere left to report to; the exit code still says how the command went.
    this.io.stderr.on('error', () => {});
  }

  /**
   * Starts the deadline: after `deadlineMs`, exit with `code` whatever is still unwritten (not when
   * interactive). Called by exit(), and by a command that decided its outcome early (--follow on
   * SIGINT) while its last writes may still wait for the reader. The first call's timer stands.
   */
  startDeadline(code: number): void {
    this.code ??= code;
    if (this.deadline || this.io.interactive) return;
    this.deadline = setTimeout(() => this.giveUp(), this.deadlineMs);
  }

  /** Exits with `code` once stdout and stderr have flushed what was written (at most deadlineMs). */
  exit(code: number): Promise<never> {
    this.exiting ??= (async () => {
      this.code = code;
      this.startDeadline(code);
      process.exitCode = this.code;
      await Promise.all([outputFlushed(this.io.stdout), outputFlushed(this.io.stderr)]);
      return this.io.exit(this.code ?? code);
    })();
    return this.exiting;
  }

  private giveUp(): void {
    const unwritten = this.io.stdout.destroyed ? 0 : this.io.stdout.writableLength;
    this.say(
      `stdout was not read for ${this.deadlineMs / 1000} s; exiting with code ${this.code} and ${unwritten.toLocaleString('en-US')} bytes of output unwritten`,
    );
    this.io.exit(this.code ?? EXIT_FAILURE);
  }

  /** One line on stderr, only when stderr is not itself the stream that is stuck. */
  private say(text: string): void {
    const { stderr } = this.io;
    if (!stderr.destroyed && stderr.writableLength === 0) stderr.write(`${this.tool}: ${text}\n`);
  }
}
