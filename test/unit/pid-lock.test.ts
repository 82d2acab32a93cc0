/**
 * The lock file that keeps one process per directory (spool and archive): held by a live process
 * or another host, taken over from a dead one, released only by its owner.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { LOCK_NAME, lockArchiveDir } from '../../src/archive/archive-lock.js';
import { EXIT_FAILURE } from '../../src/errors.js';
import { acquirePidLock } from '../../src/pid-lock.js';
import { deadPid } from '../support/dead-pid.js';
import { tempDir } from '../support/spool-files.js';

it('is taken when free, refused while a live process or another host holds it, taken over from a dead one', async () => {
  const path = join(tempDir('l1-lock-'), 'x.lock');
  const first = acquirePidLock(path);
  expect(first).toEqual({ kind: 'acquired', lock: { path, release: expect.any(Function) } });
  expect(readFileSync(path, 'utf8')).toBe(`${process.pid}\n${hostname()}\n`);

  // The parent of this test process is alive.
  writeFileSync(path, `${process.ppid}\n${hostname()}\n`);
  expect(acquirePidLock(path)).toEqual({
    kind: 'held',
    holder: { pid: process.ppid, host: hostname() },
    otherHost: false,
  });
  writeFileSync(path, '1\nsome-other-host\n');
  expect(acquirePidLock(path)).toEqual({
    kind: 'held',
    holder: { pid: 1, host: 'some-other-host' },
    otherHost: true,
  });
  // The owner's release leaves a lock another process holds alone.
  if (first.kind === 'acquired') first.lock.release();
  expect(readFileSync(path, 'utf8')).toBe('1\nsome-other-host\n');

  const dead = await deadPid();
  writeFileSync(path, `${dead}\n`); // an older version's lock: no host line
  const taken = acquirePidLock(path);
  expect(taken).toMatchObject({ kind: 'acquired', lock: { tookOverFrom: { pid: dead, host: hostname() } } });
  if (taken.kind === 'acquired') taken.lock.release();
  expect(existsSync(path)).toBe(false);
});

it("l1-archive's lock: a second archiver is told who holds the directory (exit 1)", () => {
  const dir = tempDir('l1-lock-');
  const path = join(dir, LOCK_NAME);
  writeFileSync(path, `${process.ppid}\n${hostname()}\n`);
  expect(() => lockArchiveDir(dir)).toThrow(
    expect.objectContaining({
      message: `another archiver (pid ${process.ppid}) is writing to ${dir}; try again when it is done`,
      exitCode: EXIT_FAILURE,
    }),
  );
  writeFileSync(path, '1\nbox-b\n');
  expect(() => lockArchiveDir(dir)).toThrow(
    `another archiver (pid 1 on host box-b) is writing to ${dir}; try again when it is done (if it is gone, delete ${path})`,
  );
});

const PID_LOCK = fileURLToPath(new URL('../../dist/pid-lock.js', import.meta.url));

/**
 * One starter in a child process. It loads the lock module and says "ready"; told an instant on
 * stdin, it spins until then, tries, and says what it got; it holds that until its stdin ends, so
 * that no starter ever finds an owner already gone.
 */
function starter(path: string) {
  const script = `import { acquirePidLock } from ${JSON.stringify(PID_LOCK)};
    process.stdout.write('ready\\n');
    let told = '';
    process.stdin.setEncoding('utf8').on('data', (d) => {
      if (told.includes('\\n')) return;
      told += d;
      if (!told.includes('\\n')) return;
      const at = Number(told.trim());
      while (Date.now() < at) {}
      process.stdout.write(acquirePidLock(${JSON.stringify(path)}).kind + '\\n');
    });
    process.stdin.on('end', () => process.exit(0));`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  const waiters: (() => void)[] = [];
  let partial = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    partial += d;
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
    for (const w of waiters.splice(0)) w();
  });
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      for (const w of waiters.splice(0)) w();
      resolve();
    }),
  );
  const line = async (n: number): Promise<string> => {
    while (lines.length <= n) {
      if (child.exitCode !== null) throw new Error('a starter exited early');
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
    return lines[n] as string;
  };
  return {
    ready: () => line(0),
    go: (at: number) => child.stdin.write(`${at}\n`),
    kind: () => line(1),
    release: () => {
      child.stdin.end();
      return exited;
    },
  };
}

it('of ten starters that find the same stale lock at the same instant, exactly one takes it', async () => {
  const dir = tempDir('l1-lock-race-');
  const path = join(dir, 'x.lock');
  const dead = await deadPid();
  // Before takeovers were guarded, every round here gave two or three owners.
  for (let round = 0; round < 3; round++) {
    writeFileSync(path, `${dead}\n${hostname()}\n`);
    const starters = Array.from({ length: 10 }, () => starter(path));
    await Promise.all(starters.map((st) => st.ready()));
    const at = Date.now() + 100;
    for (const st of starters) st.go(at);
    const kinds = await Promise.all(starters.map((st) => st.kind()));
    await Promise.all(starters.map((st) => st.release()));
    expect(kinds.filter((k) => k === 'acquired')).toHaveLength(1);
    expect(kinds.filter((k) => k !== 'acquired' && k !== 'held' && k !== 'raced')).toEqual([]);
  }
  // Nothing left behind but the lock (the last owner exited without releasing it).
  expect(readdirSync(dir)).toEqual(['x.lock']);
}, 20_000);
