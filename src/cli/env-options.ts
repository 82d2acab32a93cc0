/**
 * Environment variables for a program's options, attached generically once the program is built:
 * every long option `--some-flag` gets `L1_SOME_FLAG`, shown as `env: L1_SOME_FLAG` in --help.
 * Precedence is commander's: a flag on the command line wins, then the environment, then the
 * default. A flag another module adds later gets its variable without touching this file.
 *
 * The value goes through the option's own parser, so an env value is checked exactly like the
 * flag's; a bad one is a UsageError naming the variable (exit 2). Booleans take 1/true/yes/on or
 * 0/false/no/off (commander alone would treat `L1_JSON=0` as on). An empty variable counts as
 * unset, as docker-compose's `L1_X=` and systemd's `Environment=L1_X=` usually mean.
 */
import { type Command, InvalidArgumentError, type Option } from 'commander';
import { UsageError } from '../errors.js';

export const ENV_PREFIX = 'L1_';

/** Flags that only inspect or describe the program: no environment variable. */
const NO_ENV = new Set(['--help', '--version', '--print-config']);

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off']);

/** `--redis-tls-ca` → `L1_REDIS_TLS_CA`. */
export function envVarName(longFlag: string): string {
  return `${ENV_PREFIX}${longFlag.replace(/^--/, '').replace(/-/g, '_').toUpperCase()}`;
}

export interface AttachEnvOptions {
  /** Only these long flags get a variable (l1-query: the connection flags alone). Default: all. */
  only?: readonly string[];
  /** The arguments about to be parsed: with --help or --version the environment is not read. */
  argv?: readonly string[];
}

/** Attaches `L1_…` variables to the options of `program` (call after every option is added). */
export function attachEnvVars(program: Command, options: AttachEnvOptions = {}): Command {
  const inspectOnly = (options.argv ?? []).some((a) => ['-h', '--help', '-V', '--version'].includes(a));
  for (const option of program.options) {
    if (!option.long || NO_ENV.has(option.long)) continue;
    if (options.only && !options.only.includes(option.long)) continue;
    // An option declared with its own .env() keeps it (commander already listens for it).
    if (option.envVar !== undefined) continue;
    option.envVar = envVarName(option.long);
    // Commander emits this after the command line is parsed, only when the flag was not given
    // (or holds its default), and before it checks required options: the precedence we want.
    program.on(`optionEnv:${option.name()}`, () => {
      if (inspectOnly) return;
      applyEnvValue(program, option);
    });
  }
  return program;
}

function applyEnvValue(program: Command, option: Option): void {
  const name = option.envVar as string;
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return;
  const key = option.attributeName();
  if (option.isBoolean() || option.negate) {
    const text = raw.trim().toLowerCase();
    if (!TRUE.has(text) && !FALSE.has(text)) {
      throw new UsageError(`${name}: '${raw}' is not on or off; use 1, true, yes, on or 0, false, no, off`);
    }
    const on = TRUE.has(text);
    program.setOptionValueWithSource(key, option.negate ? !on : on, 'env');
    return;
  }
  let value: unknown = raw;
  if (option.parseArg) {
    try {
      // A repeatable flag's collector starts empty: the environment gives one value.
      value = option.parseArg(raw.trim(), undefined as unknown as never);
    } catch (err) {
      throw envError(name, option, raw, err);
    }
  }
  program.setOptionValueWithSource(key, value, 'env');
}

/** The parser's message, naming the variable instead of the flag. */
function envError(name: string, option: Option, raw: string, err: unknown): unknown {
  if (err instanceof UsageError) {
    const long = option.long ?? '';
    const text = err.message.startsWith(long) ? err.message.slice(long.length) : `: ${err.message}`;
    return new UsageError(`${name}${text.startsWith(':') ? '' : ':'}${text}`);
  }
  if (err instanceof InvalidArgumentError) {
    return new UsageError(
      `${name}: '${raw}' is invalid (${err.message.replace(/^Allowed choices are /, 'use ').replace(/\.$/, '')})`,
    );
  }
  return err;
}

/**
 * Where an option's value came from, for messages: the flag, its variable, or undefined for a
 * default (or an option never set).
 */
export function optionOrigin(program: Command, key: string): string | undefined {
  const option = program.options.find((o) => o.attributeName() === key);
  const source = program.getOptionValueSource(key);
  if (!option || source === undefined || source === 'default') return undefined;
  return source === 'env' ? (option.envVar ?? option.long) : option.long;
}
