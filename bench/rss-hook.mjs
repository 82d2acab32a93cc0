// Loaded with `node --import` into a spawned CLI: prints the process' peak RSS (KiB) on exit, so
// the bench measures the real binary's memory without changing it.
import { writeSync } from 'node:fs';

process.on('exit', () => writeSync(2, `\nbench-maxrss-kib=${process.resourceUsage().maxRSS}\n`));
