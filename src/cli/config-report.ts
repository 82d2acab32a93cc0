/**
 * `--print-config`: every option of the program with the value it will run with and where that
 * came from (flag, environment variable, default), as JSON on stdout. For an operator asking what
 * a container or a service unit really runs with. Passwords in URLs are masked.
 */
import type { Command } from 'commander';
import { maskRedisUrl } from '../store/redis-url.js';

export interface ConfigEntry {
  flag: string;
  env: string | null;
  value: unknown;
  /** 'flag', the variable's name, 'default', or 'unset'. */
  source: string;
}

const SKIP = new Set(['--help', '--version', '--print-config']);

/**
 * `fallbacks`: a variable read after the flag's own one when both are unset (REDIS_URL for
 * --redis-url), reported as the source when it supplied the value.
 */
export function configReport(
  program: Command,
  fallbacks: Readonly<Record<string, string>> = {},
  env: NodeJS.ProcessEnv = process.env,
): ConfigEntry[] {
  const out: ConfigEntry[] = [];
  for (const option of program.options) {
    if (!option.long || SKIP.has(option.long)) continue;
    const key = option.attributeName();
    const source = program.getOptionValueSource(key);
    const value = program.getOptionValue(key) as unknown;
    const fallback = fallbacks[option.long];
    const fallbackValue = fallback === undefined ? undefined : env[fallback];
    if (value === undefined && fallback !== undefined && fallbackValue) {
      out.push({
        flag: option.long,
        env: option.envVar ?? null,
        value: masked(fallbackValue),
        source: fallback,
      });
      continue;
    }
    out.push({
      flag: option.long,
      env: option.envVar ?? null,
      value: value === undefined ? null : masked(value),
      source:
        source === 'cli'
          ? 'flag'
          : source === 'env'
            ? (option.envVar ?? 'env')
            : source === 'default'
              ? 'default'
              : 'unset',
    });
  }
  return out;
}

/** Masks the password of a URL in a value (`scheme://user:PASSWORD@host` → `user:***@`). */
function masked(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(masked);
  if (typeof value === 'string') return maskRedisUrl(value);
  return value;
}
