/**
 * The best level's price and size from a stored side (`bids`/`asks` JSON text) without parsing the
 * whole array: the export needs only these two strings, and JSON.parse of both sides of every
 * snapshot cost more than the rest of the export's reading.
 *
 * The store writes JSON.stringify of levels whose price and size are decimal strings (zod checks
 * them when a snapshot is fetched), so a side reads `[]` or `[["<price>","<size>"…`. Anything else
 * (a quote or an escape inside the value, spaces, another writer's layout) goes through JSON.parse,
 * so the result is always what JSON.parse would give.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Price and size of the first level, or undefined for an empty side. */
export function bestLevel(json: string): readonly [price: string, size: string] | undefined {
  if (json === '[]') return undefined;
  if (json.startsWith('[["')) {
    const priceEnd = stringEnd(json, 3);
    if (priceEnd !== -1 && json.startsWith('","', priceEnd)) {
      const sizeEnd = stringEnd(json, priceEnd + 3);
      const after = json.charCodeAt(sizeEnd + 1);
      // After the size: more of the level (`,`) or its end (`]`).
      if (sizeEnd !== -1 && (after === 0x2c || after === 0x5d))
        return [json.slice(3, priceEnd), json.slice(priceEnd + 3, sizeEnd)];
    }
  }
  return parsedBest(json);
}

/** Index of the quote closing the string that starts at `from`; -1 if it holds an escape or never ends. */
function stringEnd(json: string, from: number): number {
  for (let i = from; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c === QUOTE) return i;
    if (c === BACKSLASH) return -1;
  }
  return -1;
}

function parsedBest(json: string): readonly [string, string] | undefined {
  const level = (JSON.parse(json) as unknown[][])[0];
  if (level === undefined) return undefined;
  return [String(level[0]), String(level[1])];
}
