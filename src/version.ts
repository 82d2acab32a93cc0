import { readFileSync } from 'node:fs';

/** The package version, read once from package.json (one directory above dist/ and src/). */
export const PACKAGE_VERSION: string = (() => {
  try {
    const raw = readFileSync(new URL('../package.json', import.meta.url), 'utf8');
    const parsed: unknown = JSON.parse(raw);
    if (parsed && typeof parsed === 'object' && 'version' in parsed && typeof parsed.version === 'string') {
      return parsed.version;
    }
  } catch {
    // fall through: a missing package.json must not stop a capture
  }
  return '0.0.0';
})();

export const USER_AGENT = `l1-orderbook/${PACKAGE_VERSION} (+https://www.npmjs.com/package/l1-orderbook)`;
