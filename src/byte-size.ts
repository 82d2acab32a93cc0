/**
 * Sizes on the command line: a whole number of bytes, or a number with a unit. IEC units are powers
 * of 1024 (512KiB, 512MiB, 1GiB, 1.5TiB), SI units powers of 1000 (500KB, 2GB), as `df -h --si`
 * and `du` mean them. Single letters (1G, 512M) are refused: which of the two they mean differs
 * between tools.
 */
import { UsageError } from './errors.js';

const UNITS: Readonly<Record<string, number>> = {
  b: 1,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
  kb: 1000,
  mb: 1000 ** 2,
  gb: 1000 ** 3,
  tb: 1000 ** 4,
};

const SIZE = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i;
const EXAMPLES = 'use e.g. 512MiB, 1GiB or a number of bytes';

/** Bytes for '512MiB', '1GiB', '1048576'…; throws UsageError naming the option otherwise. */
export function parseByteSize(text: string, optionName: string): number {
  const m = SIZE.exec(text.trim());
  const unit = m?.[2]?.toLowerCase() ?? '';
  const factor = unit === '' ? 1 : UNITS[unit];
  if (!m || factor === undefined) {
    const hint = /^[kmgt]$/i.test(unit)
      ? ` (write ${m?.[1]}${unit.toUpperCase()}iB or ${m?.[1]}${unit.toUpperCase()}B)`
      : '';
    throw new UsageError(`${optionName}: '${text}' is not a size${hint}; ${EXAMPLES}`);
  }
  const bytes = Math.floor(Number(m[1]) * factor);
  if (!Number.isSafeInteger(bytes)) throw new UsageError(`${optionName}: '${text}' is too large`);
  return bytes;
}

/** '1 GiB', '64 KiB', '1.5 MiB', '900 B': short, for messages. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let i = 0;
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024;
    i++;
  }
  // Two decimals below 10, one above: 1.5 MiB, 12.3 GiB; Number() drops trailing zeros (1 GiB).
  return `${Number(value.toFixed(value < 10 ? 2 : 1))} ${units[i]}`;
}
