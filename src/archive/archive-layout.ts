/**
 * Where archived snapshots live: a Hive-partitioned tree that DuckDB, pandas/pyarrow and Spark
 * read as one dataset with exchange, product and date as columns:
 *
 *   DIR/exchange=<venue>/product=<PRODUCT>/date=<YYYY-MM-DD>/part-<first µs>-<last µs>.parquet
 *
 * first/last are the exchange times (epoch µs) of the file's oldest and newest row; date is their
 * UTC day. A file is only ever under this name when it is complete (written under a temporary
 * name, fsynced, renamed). In the rare case of two files with the same first and last time, the
 * second gets `-2`, `-3` … before `.parquet`.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExchangeId } from '../exchanges/exchange-ids.js';
import { fromEpochMicros } from '../timestamp.js';

export interface PartFile {
  path: string;
  /** Exchange times of the first and last row, epoch µs. */
  first: number;
  last: number;
}

const PART = /^part-(\d+)-(\d+)(?:-(\d+))?\.parquet$/;

export function productDir(root: string, exchange: ExchangeId, productId: string): string {
  return join(root, `exchange=${exchange}`, `product=${productId}`);
}

export function partitionDir(root: string, exchange: ExchangeId, productId: string, date: string): string {
  return join(productDir(root, exchange, productId), `date=${date}`);
}

/** The UTC day of an epoch-µs time, YYYY-MM-DD. */
export function utcDate(micros: number): string {
  return fromEpochMicros(micros).slice(0, 10);
}

export function partFileName(first: number, last: number, n = 1): string {
  return `part-${first}-${last}${n > 1 ? `-${n}` : ''}.parquet`;
}

export function parsePartFileName(name: string): { first: number; last: number } | undefined {
  const m = PART.exec(name);
  if (!m) return undefined;
  return { first: Number(m[1]), last: Number(m[2]) };
}

/** The complete part files in one directory, oldest first; none when it does not exist. */
export async function listParts(dir: string): Promise<PartFile[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const parts: PartFile[] = [];
  for (const name of names) {
    const range = parsePartFileName(name);
    if (range) parts.push({ path: join(dir, name), ...range });
  }
  return parts.sort((a, b) => a.first - b.first || a.last - b.last || a.path.localeCompare(b.path));
}

/** Every part file of a product whose rows may fall in [from, to] (either bound open). */
export async function partsOverlapping(
  root: string,
  exchange: ExchangeId,
  productId: string,
  fromMicros: number | undefined,
  toMicros: number | undefined,
): Promise<PartFile[]> {
  const dir = productDir(root, exchange, productId);
  let days: string[];
  try {
    days = (await readdir(dir)).filter((d) => /^date=\d{4}-\d{2}-\d{2}$/.test(d)).sort();
  } catch {
    return [];
  }
  const fromDay = fromMicros === undefined ? undefined : `date=${utcDate(fromMicros)}`;
  const toDay = toMicros === undefined ? undefined : `date=${utcDate(toMicros)}`;
  const out: PartFile[] = [];
  for (const day of days) {
    if ((fromDay && day < fromDay) || (toDay && day > toDay)) continue;
    for (const p of await listParts(join(dir, day))) {
      if (
        (fromMicros === undefined || p.last >= fromMicros) &&
        (toMicros === undefined || p.first <= toMicros)
      )
        out.push(p);
    }
  }
  return out;
}
