/**
 * Paging a time index by score: what one ZRANGE … WITHSCORES page holds, and where the next page
 * starts (at the last score seen, skipping the members already sent there).
 */

/** One ZRANGE page, with what the next page needs to start where this one ended. */
export interface RangePage {
  /** Members of this page not sent before, in index order. */
  keys: string[];
  /** The page came back as large as asked: there may be more. */
  full: boolean;
  lastScore: string;
  /** Every member at lastScore in this page (sent now or before): the next page skips them. */
  atLastScore: Set<string>;
}

export function splitPage(flat: string[], skip: ReadonlySet<string>, size: number): RangePage {
  const keys: string[] = [];
  let lastScore = '';
  const atLastScore = new Set<string>();
  for (let k = 0; k + 1 < flat.length; k += 2) {
    const member = flat[k] as string;
    const score = flat[k + 1] as string;
    if (score !== lastScore) atLastScore.clear();
    lastScore = score;
    atLastScore.add(member);
    if (!skip.has(member)) keys.push(member);
  }
  return { keys, full: flat.length / 2 >= size, lastScore, atLastScore };
}
