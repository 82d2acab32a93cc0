/** A pid that was just used by a process that has exited (for stale lock files). */
import { spawn } from 'node:child_process';

export function deadPid(): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', '0']);
    child.on('exit', () => resolve(child.pid ?? 0));
  });
}
