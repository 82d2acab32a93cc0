/**
 * No network, or a venue host that does not resolve: one line naming the host and the likely
 * cause, retried per venue rather than per product, and a one-shot run ends in seconds with exit 1.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FETCH_BIN, runCli } from '../support/run-cli.js';
import { useTestRedis } from '../support/test-redis.js';

const redis = useTestRedis();
const EXAMPLE_CSV = fileURLToPath(new URL('../../example_products.csv', import.meta.url));
const HOST = 'l1-no-such-host.invalid';

/** l1-fetch over the example CSV from a venue host that does not resolve, with more flags. */
const unresolvable = (...more: string[]) => [
  '--csv',
  EXAMPLE_CSV,
  '--redis-url',
  redis.url,
  '--base-url',
  `http://${HOST}`,
  ...more,
];

describe('a venue host that does not resolve', () => {
  it('one-shot over the example CSV: one line for the venue, exit 1, in seconds', async () => {
    const started = performance.now();
    const r = await runCli(FETCH_BIN, [
      '--csv',
      EXAMPLE_CSV,
      '--base-url',
      `http://${HOST}`,
      '--redis-url',
      redis.url,
    ]);
    const seconds = (performance.now() - started) / 1000;
    expect(r.code).toBe(1);
    // ENOTFOUND where a DNS server answers "no such name"; EAI_AGAIN where none answers at all.
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^l1-fetch: coinbase: cannot resolve l1-no-such-host\.invalid \((ENOTFOUND|EAI_AGAIN): .+\); retrying the venue, not each product$/,
      ),
      'l1-fetch: stored 0 of 8 product(s), 8 failed',
    ]);
    // Four retries of one probe with full-jitter backoff: at most 0.25+0.5+1+2 s of waiting.
    expect(seconds).toBeLessThan(10);
    expect(await redis.client().dbsize()).toBe(0);
  });

  it('polling: the venue is reported once, not once per product', async () => {
    const r = await runCli(FETCH_BIN, unresolvable('--interval', '200ms', '--count', '2', '--retries', '2'));
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines.filter((l) => l.includes('retrying the venue, not each product'))).toHaveLength(1);
    // No per-product warning: only the final "never stored" error names the products.
    expect(lines.filter((l) => /BTC-USD|ETH-USD/.test(l))).toEqual([
      expect.stringMatching(
        /^l1-fetch: error: never stored: BTC-USD, ETH-USD, .* \(last error: coinbase: cannot resolve/,
      ),
    ]);
  });

  it('a run that ends while the venue is still unresolved fails its products: exit 1, not "not polled"', async () => {
    // The probe's retries outlast the 1 s run, so no product ever got an error of its own.
    const r = await runCli(FETCH_BIN, unresolvable('--interval', '200ms', '--duration', '1s'));
    expect(r.code).toBe(1);
    expect(r.stderr).not.toContain('not polled');
    expect(r.stderr).toMatch(
      /l1-fetch: error: never stored: BTC-USD, ETH-USD, .* \(last error: coinbase: cannot resolve l1-no-such-host\.invalid/,
    );
    expect(r.stdout).toMatch(/^BTC-USD .* dns$/m);
    expect(await redis.client().dbsize()).toBe(0);
  });
});
