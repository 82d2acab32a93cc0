/** Flag parsers shared by the CLIs; each throws UsageError naming the flag (exit 2). */
import { Command } from 'commander';
import { formatBytes, parseByteSize } from '../byte-size.js';
import { parseDuration } from '../duration.js';
import { UsageError } from '../errors.js';
import { PACKAGE_VERSION } from '../version.js';

export function positiveInt(flag: string): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value.trim()) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
      throw new UsageError(`${flag}: '${value}' is not a whole number of 1 or more`);
    }
    return Number(value);
  };
}

/** Milliseconds for 500ms, 5s, 1m, 2h, 7d … */
export function duration(flag: string): (value: string) => number {
  return (value) => parseDuration(value, flag);
}

/** Bytes for 512MiB, 1GiB, 1048576 …, at least `min`. */
export function byteSize(flag: string, min: number): (value: string) => number {
  return (value) => {
    const bytes = parseByteSize(value, flag);
    if (bytes < min) throw new UsageError(`${flag}: '${value}' is below the minimum, ${formatBytes(min)}`);
    return bytes;
  };
}

/**
 * A commander program that reports its own errors in the tools' style (`tool: message`), exits
 * through runMain with code 2, and shows examples under --help.
 */
export function newProgram(name: string, description: string, examples: string): Command {
  return new Command(name)
    .description(description)
    .version(PACKAGE_VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show this help')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      // One line, so scripts and people see the whole message (commander puts its hint on a second line).
      outputError: (str, write) =>
        write(
          `${name}: ${str
            .replace(/^error: /, '')
            .trim()
            .replace(/\s*\n\s*/g, ' ')} (see ${name} --help)\n`,
        ),
    })
    .addHelpText('after', `\nExamples:\n${examples}`);
}
