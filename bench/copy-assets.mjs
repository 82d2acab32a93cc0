// tsc does not copy the store's Lua scripts; the compiled store reads them next to itself.
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';

mkdirSync('dist-bench/src/store', { recursive: true });
for (const file of readdirSync('src/store')) {
  if (file.endsWith('.lua')) copyFileSync(`src/store/${file}`, `dist-bench/src/store/${file}`);
}
