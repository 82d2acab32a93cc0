/**
 * `l1-fetch --archive-dir DIR --archive-after 1d`: during a long capture, moves what is older than
 * `after` into the archive, at most once a minute. Each pass is the l1-archive binary run as a child
 * process, so the reading, encoding and fsyncs never share the capture's event loop or CPU core,
 * and a pass has exactly the crash guarantees of a manual run. Never two passes at once.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { formatDuration } from '../duration.js';
import { nowMicros } from '../timestamp.js';

const ARCHIVE_BIN = fileURLToPath(new URL('../cli/archive.js', import.meta.url));

/** The shortest time between the starts of two passes. */
export const ARCHIVE_EVERY_MS = 60_000;
/** The first pass waits this long after the capture starts, so it never competes with start-up. */
export const FIRST_PASS_DELAY_MS = 2_000;

export interface ArchiveLog {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
}

export interface BackgroundArchiverOptions {
  dir: string;
  /** Archive snapshots older than this, ms. */
  afterMs: number;
  /** Passed to the child in its environment, never on its command line (ps would show a password). */
  redisUrl: string;
  /** The --cluster and TLS flags the capture was given (file paths, no secrets), for the child's command line. */
  redisArgs: readonly string[];
  log: ArchiveLog;
  everyMs?: number;
  firstDelayMs?: number;
}

const passResult = z.object({ archived: z.number(), files: z.number() });

export class BackgroundArchiver {
  private timer: NodeJS.Timeout | undefined;
  private child: ChildProcess | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly o: BackgroundArchiverOptions) {}

  start(): void {
    this.schedule(this.o.firstDelayMs ?? FIRST_PASS_DELAY_MS);
  }

  /** Stops scheduling; a pass in progress is asked to finish its file (SIGTERM), then killed after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (!this.running) return;
    this.child?.kill('SIGTERM');
    const kill = setTimeout(() => this.child?.kill('SIGKILL'), graceMs);
    await this.running;
    clearTimeout(kill);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      const started = performance.now();
      this.running = this.pass().finally(() => {
        this.running = undefined;
        const every = this.o.everyMs ?? ARCHIVE_EVERY_MS;
        this.schedule(Math.max(0, every - (performance.now() - started)));
      });
    }, delayMs);
    this.timer.unref();
  }

  private pass(): Promise<void> {
    const beforeMicros = nowMicros() - this.o.afterMs * 1000;
    return new Promise((resolve) => {
      const child = spawn(
        process.execPath,
        [ARCHIVE_BIN, '--before', String(beforeMicros), '--dir', this.o.dir, '--json', ...this.o.redisArgs],
        {
          // L1_REDIS_URL too: the child reads it before REDIS_URL, and an inherited one may name
          // another Redis than the capture's --redis-url.
          env: { ...process.env, L1_REDIS_URL: this.o.redisUrl, REDIS_URL: this.o.redisUrl },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      this.child = child;
      let stdout = '';
      let stderr = '';
      child.stdout?.setEncoding('utf8').on('data', (d: string) => {
        stdout += d;
      });
      child.stderr?.setEncoding('utf8').on('data', (d: string) => {
        stderr += d;
      });
      child.on('error', (err) => {
        this.o.log.warn(`archive pass could not start: ${err.message}`, { event: 'archive_failed' });
      });
      child.on('close', (code, signal) => {
        this.child = undefined;
        if (code === 0) {
          const parsed = passResult.safeParse(safeJson(stdout));
          if (parsed.success && parsed.data.archived > 0) {
            this.o.log.info(
              `archived ${parsed.data.archived} snapshot(s) older than ${formatDuration(this.o.afterMs)} into ${parsed.data.files} file(s) under ${this.o.dir}`,
              { event: 'archived', archived: parsed.data.archived, files: parsed.data.files },
            );
          }
        } else {
          const last =
            stderr
              .trim()
              .split('\n')
              .at(-1)
              ?.replace(/^l1-archive: /, '') ?? '';
          this.o.log.warn(
            `archive pass failed (${signal ?? `exit ${code}`}): ${last || 'no message'}; retrying in a minute`,
            {
              event: 'archive_failed',
              code,
            },
          );
        }
        resolve();
      });
    });
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
