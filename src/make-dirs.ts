/**
 * `mkdir -p` one level at a time. Node's `mkdirSync(dir, { recursive: true })` never returns where
 * mkdir answers ENOENT under a parent that exists (it does under /proc): it retries the parent
 * forever. Here every missing level is made once, and the first failure is thrown as it is.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { code } from './fs-errors.js';

export function makeDirs(dir: string): void {
  const missing: string[] = [];
  for (let at = resolve(dir); !existsSync(at); ) {
    missing.push(at);
    const up = dirname(at);
    if (up === at) break;
    at = up;
  }
  for (const level of missing.reverse()) {
    try {
      mkdirSync(level);
    } catch (err) {
      if (code(err) !== 'EEXIST') throw err; // made meanwhile by another process
    }
  }
}
