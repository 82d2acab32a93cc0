/**
 * A test hook for the crash tests: with L1_ARCHIVE_CRASH_AT=<point>, the archiver kills itself
 * with SIGKILL at that point (no cleanup, no finally blocks: what a power cut or OOM kill does).
 * Unset, it costs one comparison.
 */
export const CRASH_POINTS = ['after-write', 'after-rename', 'before-remove', 'mid-remove'] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];

const armed = process.env.L1_ARCHIVE_CRASH_AT;

export function crashPoint(point: CrashPoint): void {
  if (armed === point) process.kill(process.pid, 'SIGKILL');
}
