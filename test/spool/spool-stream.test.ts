/**
 * The spool under a stream: the streaming capture feeds the same write queue, so a stream killed
 * with SIGKILL while Redis is down loses no change either. Redis keeps an AOF, so every change the
 * fake venue showed can be checked.
 */
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { expect, it } from 'vitest';
import { readStored, waitForStored, writeCsv } from '../stream/stream-harness.js';
import { FakeCoinbaseStream } from '../support/fake-stream-venues.js';
import { startRedisServer } from '../support/redis-server.js';
import { startFetch, waitForStderr } from '../support/run-cli.js';
import { segmentFiles, spooledRecords, tempDir } from '../support/spool-files.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it('a stream killed -9 during a Redis outage loses no change: the next start writes the spool first', async () => {
  const own = await startRedisServer({ persistent: true });
  const coinbase = new FakeCoinbaseStream();
  coinbase.addProduct('BTC-USD', [['100.00', '1']], [['100.10', '1']]);
  await coinbase.start();
  const client = new Redis(own.url, { lazyConnect: true });
  client.on('error', () => {}); // while Redis is down on purpose
  try {
    const dir = join(tempDir('l1-spool-stream-'), 'spool');
    const args = ['--csv', writeCsv([['BTC-USD', 'coinbase']]), '--stream'];
    args.push('--ws-url', `coinbase=${coinbase.url}`, '--redis-url', own.url, '--spool-dir', dir);
    const first = startFetch(args);
    await coinbase.subscribed(['BTC-USD']);
    await waitForStored(client, 'coinbase', 'BTC-USD', 1);
    await own.kill();
    for (let i = 0; i < 60; i++) {
      coinbase.setTop('BTC-USD', ['100.00', `${i + 2}`], ['100.10', '1']);
      await sleep(15);
    }
    // Killed once the last change it received is in the spool (a frame still on the wire was never received).
    const sizes = () => new Set(spooledRecords(dir).map((s) => s.bids[0]?.[1]));
    while (!sizes().has('61')) await sleep(10);
    const killed = await first.stop('SIGKILL');
    expect(killed.signal).toBe('SIGKILL');
    expect(segmentFiles(dir).length).toBeGreaterThan(0);

    await coinbase.until(() => coinbase.openConnections === 0, 'the killed connection to close');
    await own.start();
    const second = startFetch(args);
    // Subscribed again: the capture runs (its signal handlers are set before it connects), and the
    // spool is written.
    await coinbase.subscribed(['BTC-USD'], 10_000);
    await waitForStderr(second, /from the earlier run are in Redis/, 15_000);
    const r = await second.stop('SIGTERM');
    expect(r.code, r.stderr).toBe(0);

    const stored = new Set(
      (await readStored(client, 'coinbase', 'BTC-USD')).map((s) => `${s.bid?.join('×')} ${s.ask?.join('×')}`),
    );
    const shown = coinbase.shown.map((t) => `${t.bid?.join('×')} ${t.ask?.join('×')}`);
    expect(shown.length).toBeGreaterThan(60);
    expect(shown.filter((t) => !stored.has(t))).toEqual([]);
    expect(segmentFiles(dir)).toEqual([]);
  } finally {
    client.disconnect();
    coinbase.stop();
    await own.stop();
  }
}, 30_000);
