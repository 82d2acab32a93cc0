/** A yes/no question on the terminal, for destructive commands (`l1-query --prune`). */
import { createInterface } from 'node:readline/promises';

/** Asks on stderr, reads one line from stdin; true only for y or yes (any case). */
export async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  // Ctrl-C at the prompt answers no instead of leaving the question hanging.
  const abort = new AbortController();
  rl.on('SIGINT', () => abort.abort());
  try {
    const answer = await rl.question(`${question} [y/N] `, { signal: abort.signal });
    return /^\s*y(es)?\s*$/i.test(answer);
  } catch {
    process.stderr.write('\n');
    return false;
  } finally {
    rl.close();
  }
}
