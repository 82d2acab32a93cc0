// tsc neither copies the Lua scripts nor marks the bins executable; do both so that
// ./dist/cli/*.js runs directly as well as through npm's bin links.
import { chmodSync, copyFileSync, mkdirSync, readdirSync } from 'node:fs';

mkdirSync('dist/store', { recursive: true });
for (const file of readdirSync('src/store')) {
  if (file.endsWith('.lua')) copyFileSync(`src/store/${file}`, `dist/store/${file}`);
}
for (const bin of ['dist/cli/fetch.js', 'dist/cli/query.js', 'dist/cli/archive.js']) chmodSync(bin, 0o755);
