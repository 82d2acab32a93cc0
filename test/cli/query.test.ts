// l1-query as a user runs it: the built binary against a real Redis. Every output format is parsed
// back and compared field by field with what is stored; --list, --stats, --chart, --prune and the
// bad-input exits are checked end to end. Run `npm run build` first (npm test does). Blocks that
// only read run their spawns concurrently; --prune rewrites the data per test and runs in order.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { L1Snapshot } from '../../src/snapshot.js';
import { RedisStore } from '../../src/store/redis-store.js';
import { snap, T0_US, tape } from '../query/fixtures.js';
import { checkWellFormedXml } from '../query/xml-check.js';
import { freePort } from '../support/redis-server.js';
import { QUERY_BIN, runCli } from '../support/run-cli.js';
import { useTestRedis } from '../support/test-redis.js';

const redis = useTestRedis();
const dir = mkdtempSync(join(tmpdir(), 'l1-query-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const query = (args: string[], env: Record<string, string | undefined> = {}) =>
  runCli(QUERY_BIN, args, { env: { REDIS_URL: redis.url, ...env } });

/** Tricky rows: trailing zeros, tiny prices, a crossed book, a one-sided book, a sequence > 2^64. */
const TRICKY: L1Snapshot[] = [
  snap('2026-11-24T10:00:00.000000Z', { bid: '97250.10', ask: '97250.11', sequence: '18446744073709551616' }),
  snap('2026-11-24T10:00:01.000000Z', {
    bid: '0.00001234',
    ask: '0.00001240',
    bidSize: '1e-8',
    sequence: '',
  }),
  snap('2026-11-24T10:00:02.123456Z', { bid: '100.5', ask: '100.4', sequence: '42' }),
  snap('2026-11-24T10:00:03.000001Z', { bid: '5', bidSize: '2', ask: undefined, sequence: '43' }),
];
/** Computed by hand: (bid + ask) / 2, ask − bid, (ask − bid) / mid × 10,000 to 4 places. */
const DERIVED = [
  { mid: '97250.105', spread: '0.01', spread_bps: '0.0010' },
  { mid: '0.00001237', spread: '0.00000006', spread_bps: '48.5044' },
  { mid: '100.45', spread: '-0.1', spread_bps: '-9.9552' },
  { mid: '', spread: '', spread_bps: '' },
];

/** What is stored, straight from Redis, in index order. */
async function storedHashes(productId = 'BTC-USD'): Promise<Record<string, string>[]> {
  const c = redis.client();
  const keys = await c.zrange(`orderbook:index:${productId}`, 0, -1);
  const out: Record<string, string>[] = [];
  for (const key of keys) out.push({ ...(await c.hgetall(key)), key });
  return out;
}

function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else if (ch !== '\r') cell += ch;
  }
  if (cell !== '' || row.length > 0) rows.push([...row, cell]);
  return rows;
}

const RANGE = [
  '--product-id',
  'BTC-USD',
  '--from',
  '2026-11-24T10:00:00Z',
  '--to',
  '2026-11-24T10:00:03.000001Z',
];

describe('every format, parsed back and compared with what is stored', () => {
  beforeAll(async () => {
    await redis.flush();
    await new RedisStore(redis.client()).write(TRICKY);
  });

  it.concurrent('json', async () => {
    const r = await query([...RANGE, '--format', 'json']);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as Record<string, unknown>[];
    const stored = await storedHashes();
    expect(rows).toHaveLength(4);
    rows.forEach((row, i) => {
      const h = stored[i] ?? {};
      expect(row.key).toBe(h.key);
      for (const f of ['exchange', 'product_id', 'timestamp', 'sequence', 'received_at'])
        expect(row[f], f).toBe(h[f]);
      expect(row.bids).toEqual(JSON.parse(h.bids ?? ''));
      expect(row.asks).toEqual(JSON.parse(h.asks ?? ''));
      const d = DERIVED[i];
      expect(row.mid).toBe(d?.mid || null);
      expect(row.spread).toBe(d?.spread || null);
      expect(row.spread_bps).toBe(d?.spread_bps || null);
    });
    // --json is the same output
    expect((await query([...RANGE, '--json'])).stdout).toBe(r.stdout);
  });

  it.concurrent('ndjson', async () => {
    const r = await query([...RANGE, '--format', 'ndjson']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    const stored = await storedHashes();
    expect(lines).toHaveLength(4);
    lines.forEach((line, i) => {
      const row = JSON.parse(line) as Record<string, unknown>;
      const h = stored[i] ?? {};
      expect(row.key).toBe(h.key);
      expect(row.timestamp).toBe(h.timestamp);
      expect(row.sequence).toBe(h.sequence);
      expect(row.received_at).toBe(h.received_at);
      expect(JSON.stringify(row.bids)).toBe(h.bids);
      expect(JSON.stringify(row.asks)).toBe(h.asks);
      expect(row.mid).toBe(DERIVED[i]?.mid || null);
    });
  });

  it.concurrent('csv', async () => {
    const r = await query([...RANGE, '--format', 'csv']);
    expect(r.code).toBe(0);
    const [header, ...rows] = parseCsv(r.stdout);
    expect(header).toEqual([
      'time',
      'exchange',
      'product_id',
      'bid',
      'bid_size',
      'ask',
      'ask_size',
      'mid',
      'spread',
      'spread_bps',
      'sequence',
      'received_at',
      'key',
    ]);
    const stored = await storedHashes();
    expect(rows).toHaveLength(4);
    rows.forEach((cells, i) => {
      const row = Object.fromEntries((header ?? []).map((h, j) => [h, cells[j]]));
      const h = stored[i] ?? {};
      const bid = (JSON.parse(h.bids ?? '[]') as string[][])[0];
      const ask = (JSON.parse(h.asks ?? '[]') as string[][])[0];
      expect(row).toEqual({
        time: h.timestamp,
        exchange: h.exchange,
        product_id: h.product_id,
        bid: bid?.[0] ?? '',
        bid_size: bid?.[1] ?? '',
        ask: ask?.[0] ?? '',
        ask_size: ask?.[1] ?? '',
        ...DERIVED[i],
        sequence: h.sequence,
        received_at: h.received_at,
        key: h.key,
      });
    });
  });

  it.concurrent('table', async () => {
    const r = await query([...RANGE, '--format', 'table']);
    expect(r.code).toBe(0);
    const [header, ...lines] = r.stdout.trimEnd().split('\n');
    expect(header?.trim().split(/\s{2,}/)).toEqual([
      'TIME (UTC)',
      'BID',
      'BID SIZE',
      'ASK',
      'ASK SIZE',
      'MID',
      'SPREAD',
      'BPS',
      'SEQUENCE',
    ]);
    const stored = await storedHashes();
    expect(lines).toHaveLength(4);
    lines.forEach((line, i) => {
      const cells = line
        .trim()
        .split(/\s{2,}/)
        .map((c) => (c === '—' ? '' : c));
      const h = stored[i] ?? {};
      const bid = (JSON.parse(h.bids ?? '[]') as string[][])[0];
      const ask = (JSON.parse(h.asks ?? '[]') as string[][])[0];
      const d = DERIVED[i];
      expect(cells).toEqual([
        h.timestamp,
        bid?.[0] ?? '',
        bid?.[1] ?? '',
        ask?.[0] ?? '',
        ask?.[1] ?? '',
        d?.mid,
        d?.spread,
        d?.spread_bps,
        h.sequence,
      ]);
    });
  });

  it.concurrent('empty range: valid empty output for machines, a note on stderr, exit 0', async () => {
    const empty = ['--product-id', 'BTC-USD', '--from', '2030-01-01'];
    const json = await query([...empty, '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual([]);
    expect(json.stderr).toMatch(
      /no snapshots of coinbase BTC-USD from 2030-01-01T00:00:00.000000Z on \(4 stored/,
    );
    expect((await query([...empty, '--format', 'csv'])).stdout).toBe(
      'time,exchange,product_id,bid,bid_size,ask,ask_size,mid,spread,spread_bps,sequence,received_at,key\n',
    );
    expect((await query([...empty, '--format', 'ndjson'])).stdout).toBe('');
    // Stats and a Parquet export say the same, so an empty file is never a silent surprise.
    const inRange = /no snapshots of coinbase BTC-USD from 2030-01-01T00:00:00\.000000Z on \(4 stored/;
    const stats = await query([...empty, '--stats']);
    expect(stats.code).toBe(0);
    expect(stats.stderr).toMatch(inRange);
    const parquet = await query([...empty, '--format', 'parquet', '--out', join(dir, 'empty.parquet')]);
    expect(parquet.code).toBe(0);
    expect(parquet.stderr).toMatch(/^l1-query: wrote 0 snapshots of coinbase BTC-USD from 2030-/);
    expect(parquet.stderr).toMatch(inRange);
    const unknown = await query(['--product-id', 'DOGE-USD']);
    expect(unknown.code).toBe(0);
    expect(unknown.stderr).toMatch(
      /no snapshots stored for coinbase DOGE-USD; see what is stored with: l1-query --list/,
    );
  });
});

describe('ranges, order and limit', () => {
  beforeAll(async () => {
    await redis.flush();
    await new RedisStore(redis.client()).write(tape(30)); // 10:00:00 … 10:00:29
  });

  const times = (stdout: string) =>
    stdout
      .trimEnd()
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { timestamp: string }).timestamp.slice(17, 19));

  it.concurrent('no range: the newest 10, newest first', async () => {
    const r = await query(['--product-id', 'BTC-USD', '--format', 'ndjson']);
    expect(times(r.stdout)).toEqual(['29', '28', '27', '26', '25', '24', '23', '22', '21', '20']);
  });

  it.concurrent('a range: everything in it (both ends), oldest first', async () => {
    const r = await query([
      '--product-id',
      'BTC-USD',
      '--from',
      '2026-11-24T10:00:05Z',
      '--to',
      String((T0_US + 25_000_000) / 1000), // epoch ms
      '--format',
      'ndjson',
    ]);
    expect(times(r.stdout)).toEqual(Array.from({ length: 21 }, (_, i) => String(5 + i).padStart(2, '0')));
  });

  it.concurrent('--order desc --limit takes the newest of the range', async () => {
    const r = await query([
      '--product-id',
      'BTC-USD',
      '--from',
      '2026-11-24T10:00:05Z',
      '--to',
      '2026-11-24T10:00:15Z',
      '--order',
      'desc',
      '--limit',
      '3',
      '--format',
      'ndjson',
    ]);
    expect(times(r.stdout)).toEqual(['15', '14', '13']);
  });

  it.concurrent('--latest, and a date-only --to covering the whole day', async () => {
    expect(
      times((await query(['--product-id', 'BTC-USD', '--latest', '--format', 'ndjson'])).stdout),
    ).toEqual(['29']);
    const day = await query([
      '--product-id',
      'btc-usd',
      '--from',
      '2026-11-24',
      '--to',
      '2026-11-24',
      '--format',
      'ndjson',
    ]);
    expect(times(day.stdout)).toHaveLength(30);
  });
});

describe('--list', () => {
  beforeAll(async () => {
    await redis.flush();
    const store = new RedisStore(redis.client());
    await store.write(tape(5, { product: 'BTC-USD' }));
    await store.write(tape(3, { product: 'ETH-USD' }));
    await store.write(tape(2, { product: 'SOL-USD' }));
    await store.write([
      { ...snap(T0_US, { product: 'BTC-USD', bid: '97000.1', ask: '97000.2' }), exchange: 'kraken' },
    ]);
    await store.pruneBefore([{ exchange: 'coinbase', productId: 'SOL-USD' }], T0_US + 1e9);
  });

  it.concurrent('prints every product grouped by venue, and says which has no data left', async () => {
    const r = await query(['--list']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('coinbase (3 products)');
    expect(lines[1]).toMatch(
      /^ {2}PRODUCT\s+SNAPSHOTS\s+FIRST \(UTC\)\s+LAST \(UTC\)\s+BID\s+BID SIZE\s+ASK\s+ASK SIZE$/,
    );
    expect(lines[2]).toMatch(
      /^ {2}BTC-USD\s+5\s+2026-11-24T10:00:00.000000Z\s+2026-11-24T10:00:04.000000Z\s+97250.04\s+0.50000000\s+97250.09\s+1.25000000$/,
    );
    expect(lines[3]).toMatch(/^ {2}ETH-USD\s+3\s+2026-11-24T10:00:00.000000Z\s+2026-11-24T10:00:02.000000Z/);
    expect(lines[4]).toMatch(/^ {2}SOL-USD\s+0\s+no data \(pruned\)$/);
    expect(lines[6]).toBe('kraken (1 product)');
    expect(lines[8]).toMatch(
      /^ {2}BTC-USD\s+1\s+2026-11-24T10:00:00.000000Z\s+2026-11-24T10:00:00.000000Z\s+97000.1/,
    );
  });

  it.concurrent('--json, and --exchange narrows it', async () => {
    const all = JSON.parse((await query(['--list', '--json'])).stdout) as Record<string, unknown>[];
    expect(all.map((p) => [p.exchange, p.product_id, p.count, p.status])).toEqual([
      ['coinbase', 'BTC-USD', 5, 'ok'],
      ['coinbase', 'ETH-USD', 3, 'ok'],
      ['coinbase', 'SOL-USD', 0, 'no data (pruned)'],
      ['kraken', 'BTC-USD', 1, 'ok'],
    ]);
    expect(all[3]).toEqual({
      exchange: 'kraken',
      product_id: 'BTC-USD',
      count: 1,
      first: '2026-11-24T10:00:00.000000Z',
      last: '2026-11-24T10:00:00.000000Z',
      bid: '97000.1',
      bid_size: '0.50000000',
      ask: '97000.2',
      ask_size: '1.25000000',
      status: 'ok',
    });
    const kraken = await query(['--list', '--exchange', 'kraken', '--format', 'csv']);
    expect(kraken.stdout.split('\n')[0]).toBe(
      'exchange,product_id,count,first,last,bid,bid_size,ask,ask_size,status',
    );
    expect(kraken.stdout.trimEnd().split('\n')).toHaveLength(2);
  });

  it.concurrent('says so when nothing is stored', async () => {
    const r = await query(['--list', '--exchange', 'okx']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/no products stored for okx yet/);
  });
});

describe('--stats and charts', () => {
  beforeAll(async () => {
    await redis.flush();
    const snaps = tape(60);
    // a 10 s hole after 10:00:30 and one sequence jump
    const withGap = snaps.filter((_, i) => i <= 30 || i > 40);
    await new RedisStore(redis.client()).write(withGap);
  });

  it.concurrent('--stats --json over a range', async () => {
    const r = await query(['--product-id', 'BTC-USD', '--from', '2026-11-24T10:00:00Z', '--stats', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      count: 50,
      first: '2026-11-24T10:00:00.000000Z',
      last: '2026-11-24T10:00:59.000000Z',
      quoted: 50,
      spread_min: '0.05',
      spread_max: '0.05',
      spread_mean: '0.0500',
      largest_gap_us: 11_000_000,
      largest_gap: '11s',
      largest_gap_start: '2026-11-24T10:00:30.000000Z',
      largest_gap_end: '2026-11-24T10:00:41.000000Z',
      with_sequence: 50,
      sequence_jumps: 1,
      largest_sequence_jump: '11',
    });
  });

  it.concurrent('--stats as text, with a terminal chart under it', async () => {
    const r = await query(['--product-id', 'BTC-USD', '--stats', '--chart']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^product {15}coinbase BTC-USD\n/);
    expect(r.stdout).toContain('largest gap           11s');
    expect(r.stdout).toContain('coinbase BTC-USD · 2026-11-24 10:00:00 – 10:00:59 UTC · 50 snapshots');
    expect(r.stdout).toMatch(/spread \(ask − bid\)/);
    for (const line of r.stdout.split('\n')) expect([...line].length).toBeLessThanOrEqual(100);
  });

  it.concurrent('--chart-out writes an SVG and a PNG', async () => {
    const svg = join(dir, 'btc.svg');
    const r = await query(['--product-id', 'BTC-USD', '--from', '-520w', '--chart-out', svg]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/wrote a chart of 50 snapshots to .*btc\.svg/);
    const elements = checkWellFormedXml(readFileSync(svg, 'utf8'));
    for (const name of ['bid', 'ask', 'spread'])
      expect(elements.some((e) => e.attrs.id === `series-${name}`)).toBe(true);
    const png = join(dir, 'btc.png');
    expect((await query(['--product-id', 'BTC-USD', '--chart-out', png])).code).toBe(0);
    expect(readFileSync(png).subarray(1, 4).toString()).toBe('PNG');
  });
});

describe('--prune', () => {
  beforeEach(async () => {
    await redis.flush();
    const store = new RedisStore(redis.client());
    await store.write(tape(20, { product: 'BTC-USD' }));
    await store.write(tape(20, { product: 'ETH-USD' }));
  });

  it('refuses without --yes when stdin is not a terminal, and removes nothing', async () => {
    const r = await query(['--prune', '--before', '2026-11-24T10:00:10Z']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'l1-query: --prune asks for confirmation, and stdin is not a terminal: add --yes to remove without asking\n',
    );
    expect(await redis.client().zcard('orderbook:index:BTC-USD')).toBe(20);
  });

  it('removes what is strictly older than --before from every product, and says how many', async () => {
    const r = await query(['--prune', '--before', '2026-11-24T10:00:10Z', '--yes']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        'removed 20 snapshots older than 2026-11-24T10:00:10.000000Z',
        '  coinbase BTC-USD: 10 removed, 10 left',
        '  coinbase ETH-USD: 10 removed, 10 left',
        '',
      ].join('\n'),
    );
    const c = redis.client();
    for (const p of ['BTC-USD', 'ETH-USD']) {
      const members = (await c.zrange(`orderbook:index:${p}`, 0, -1)).sort();
      const hashes = (await c.keys(`orderbook:${p}:*`)).sort();
      expect(hashes).toEqual(members);
      expect(members[0]).toBe(`orderbook:${p}:2026-11-24T10:00:10.000000Z`);
    }
  });

  it('one product, everything, as JSON; it stays listed as pruned', async () => {
    const r = await query(['--prune', '--before', 'now', '--product-id', 'ETH-USD', '--yes', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      before: expect.stringMatching(/^\d{4}-/),
      removed: 20,
      products: [{ exchange: 'coinbase', product_id: 'ETH-USD', removed: 20, remaining: 0 }],
    });
    expect(await redis.client().zcard('orderbook:index:BTC-USD')).toBe(20);
    const list = await query(['--list']);
    expect(list.stdout).toMatch(/ETH-USD\s+0\s+no data \(pruned\)/);
  });

  it('nothing older: says so and changes nothing', async () => {
    const r = await query(['--prune', '--before', '2020-01-01', '--yes']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('removed 0 snapshots older than 2020-01-01T00:00:00.000000Z\n');
  });
});

describe('bad input exits 2 with one clear line', () => {
  it.concurrent.each<[string, string[], RegExp]>([
    [
      '--from after --to',
      ['--product-id', 'BTC-USD', '--from', '2026-11-24T10:00Z', '--to', '2026-11-24T09:00Z'],
      /--from \(2026-11-24T10:00:00.000000Z\) is after --to/,
    ],
    [
      'unparsable --from',
      ['--product-id', 'BTC-USD', '--from', 'tuesday'],
      /--from: 'tuesday' is not a time; use an ISO time/,
    ],
    [
      'unparsable --to',
      ['--product-id', 'BTC-USD', '--to', '123456789012'],
      /--to: '123456789012' has 12 digits/,
    ],
    ['unknown format', ['--product-id', 'BTC-USD', '--format', 'xml'], /--format: unknown format 'xml'/],
    ['invalid product id', ['--product-id', 'BTC USD*'], /--product-id: invalid product id 'BTC USD\*'/],
    [
      '--latest with --from',
      ['--product-id', 'BTC-USD', '--latest', '--from', '-1h'],
      /--latest cannot be combined with --from/,
    ],
    ['--json with --format csv', ['--product-id', 'BTC-USD', '--json', '--format', 'csv'], /contradict/],
    ['bad --limit', ['--product-id', 'BTC-USD', '--limit', 'ten'], /--limit: 'ten' is not a whole number/],
    ['bad --order', ['--product-id', 'BTC-USD', '--order', 'up'], /--order: 'up' is not an order/],
    ['unknown flag', ['--product-id', 'BTC-USD', '--frm', '-1h'], /unknown option '--frm'/],
    ['prune without --before', ['--prune', '--yes'], /--prune needs --before/],
    ['chart-out extension', ['--product-id', 'BTC-USD', '--chart-out', 'x.gif'], /must end in .svg or .png/],
    ['no product id', ['--from', '-1h'], /--product-id is required/],
  ])('%s', async (_, args, message) => {
    // A closed port: exit 2 must come before any attempt to reach Redis.
    const r = await query(args, { REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it.concurrent('Redis unreachable is exit 1, named without the password', async () => {
    const r = await query(['--product-id', 'BTC-USD'], {
      REDIS_URL: `redis://:hunter2@127.0.0.1:${await freePort()}`,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot use Redis at redis:\/\/:\*\*\*@127.0.0.1:\d+.*connection refused/);
    expect(r.stderr).not.toContain('hunter2');
  });

  it.concurrent('--help shows an example of every feature', async () => {
    const r = await query(['--help']);
    expect(r.code).toBe(0);
    for (const feature of [
      '--latest',
      '--from -15m',
      '--to 2026-11-24',
      '--order desc --limit 100',
      '--format csv',
      '--json',
      '--list',
      '--stats',
      '--chart ',
      '--chart-out btc.svg',
      '--follow',
      '--prune --before -7d',
      '--yes',
    ]) {
      expect(r.stdout).toMatch(new RegExp(`\\$ l1-query .*${feature.replace(/[-.]/g, '\\$&')}`));
    }
  });
});

describe('the built binary exists', () => {
  it('is built (run npm run build first)', () => {
    expect(existsSync(QUERY_BIN)).toBe(true);
  });
});
