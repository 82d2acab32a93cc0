import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { buildQueryPlan, type QueryFlags } from '../../src/query/query-plan.js';
import { toEpochMicros } from '../../src/timestamp.js';

const NOW = toEpochMicros('2026-11-24T12:00:00.000000Z');
const plan = (flags: QueryFlags) => buildQueryPlan(flags, NOW);
const BTC = { productId: 'BTC-USD' };

function usageMessage(flags: QueryFlags): string {
  try {
    plan(flags);
  } catch (err) {
    if (err instanceof UsageError) return err.message;
    throw err;
  }
  throw new Error(`expected a UsageError for ${JSON.stringify(flags)}`);
}

describe('order and limit defaults', () => {
  it('without a range: newest first, 10 rows', () => {
    expect(plan(BTC)).toMatchObject({
      mode: 'rows',
      ref: { exchange: 'coinbase', productId: 'BTC-USD' },
      range: { fromMicros: undefined, toMicros: undefined, order: 'desc', limit: 10 },
      format: 'table',
    });
  });

  it('with a range: oldest first, no limit', () => {
    expect(plan({ ...BTC, from: '-15m' })).toMatchObject({
      range: { fromMicros: NOW - 15 * 60_000_000, toMicros: undefined, order: 'asc', limit: undefined },
    });
    expect(plan({ ...BTC, to: '2026-11-24' })).toMatchObject({
      range: { toMicros: toEpochMicros('2026-11-24T23:59:59.999999Z'), order: 'asc' },
    });
  });

  it('explicit --order and --limit win', () => {
    expect(plan({ ...BTC, from: '-1h', order: 'desc', limit: 5 })).toMatchObject({
      range: { order: 'desc', limit: 5 },
    });
    expect(plan({ ...BTC, order: 'asc' })).toMatchObject({ range: { order: 'asc', limit: 10 } });
  });

  it('--latest is the newest one', () => {
    expect(plan({ ...BTC, latest: true })).toMatchObject({
      mode: 'rows',
      latest: true,
      range: { order: 'desc', limit: 1 },
    });
  });

  it('--stats and charts cover the whole selection', () => {
    expect(plan({ ...BTC, stats: true })).toMatchObject({
      mode: 'range',
      stats: true,
      chart: false,
      range: { order: 'desc', limit: undefined },
    });
    expect(plan({ ...BTC, chart: true, chartOut: 'x.PNG', from: '-1d' })).toMatchObject({
      mode: 'range',
      chart: true,
      chartOut: { path: 'x.PNG', kind: 'png' },
      range: { order: 'asc' },
    });
  });

  it('normalizes the product id and the exchange name', () => {
    expect(plan({ productId: ' eth-usd ', exchange: 'Coinbase' })).toMatchObject({
      ref: { exchange: 'coinbase', productId: 'ETH-USD' },
    });
  });

  it('--json is json; formats are checked', () => {
    expect(plan({ ...BTC, json: true })).toMatchObject({ format: 'json' });
    expect(plan({ ...BTC, json: true, format: 'json' })).toMatchObject({ format: 'json' });
    expect(plan({ ...BTC, format: 'ndjson' })).toMatchObject({ format: 'ndjson' });
  });
});

describe('other modes', () => {
  it('--list, optionally for one venue', () => {
    expect(plan({ list: true })).toEqual({ mode: 'list', exchange: undefined, format: 'table' });
    expect(plan({ list: true, exchange: 'coinbase', format: 'csv' })).toEqual({
      mode: 'list',
      exchange: 'coinbase',
      format: 'csv',
    });
  });

  it('--follow: newest 10 first by default, or from --from', () => {
    expect(plan({ ...BTC, follow: true })).toMatchObject({
      mode: 'follow',
      backlog: 10,
      fromMicros: undefined,
    });
    expect(plan({ ...BTC, follow: true, limit: 0 })).toMatchObject({ backlog: 0 });
    expect(plan({ ...BTC, follow: true, from: 'now' })).toMatchObject({ fromMicros: NOW });
  });

  it('--prune: one product or all; --before is exclusive and a date means its midnight', () => {
    expect(plan({ prune: true, before: '2026-11-01', yes: true })).toEqual({
      mode: 'prune',
      ref: undefined,
      exchange: undefined,
      beforeMicros: toEpochMicros('2026-11-01T00:00:00.000000Z'),
      yes: true,
      format: 'table',
    });
    expect(plan({ ...BTC, prune: true, before: '-7d' })).toMatchObject({
      ref: { productId: 'BTC-USD' },
      beforeMicros: NOW - 7 * 86_400_000_000,
      yes: false,
    });
  });
});

describe('bad input is a UsageError with a one-line message', () => {
  it.each<[string, QueryFlags, RegExp]>([
    [
      'from after to',
      { ...BTC, from: '2026-11-24T10:00:00Z', to: '2026-11-24T09:00:00Z' },
      /--from .* is after --to/,
    ],
    ['unparsable from', { ...BTC, from: 'yesterday' }, /--from: 'yesterday' is not a time/],
    ['unparsable to', { ...BTC, to: '2026-13-01' }, /--to: '2026-13-01' is not a valid calendar date/],
    [
      'unknown format',
      { ...BTC, format: 'xml' },
      /--format: unknown format 'xml'; use one of table, json, ndjson, csv/,
    ],
    ['json vs csv', { ...BTC, json: true, format: 'csv' }, /--json and --format csv contradict/],
    ['invalid product', { productId: 'BTC/USD' }, /--product-id: invalid product id 'BTC\/USD'/],
    ['injection attempt', { productId: 'BTC-USD:*' }, /invalid product id/],
    ['missing product', {}, /--product-id is required/],
    ['unknown exchange', { ...BTC, exchange: 'mtgox' }, /--exchange: unknown exchange 'mtgox'/],
    ['bad order', { ...BTC, order: 'newest' }, /--order: 'newest' is not an order/],
    ['latest with from', { ...BTC, latest: true, from: '-1h' }, /--latest cannot be combined with --from/],
    ['latest with limit', { ...BTC, latest: true, limit: 3 }, /--latest cannot be combined with --limit/],
    [
      'latest with follow',
      { ...BTC, latest: true, follow: true },
      /--latest cannot be combined with --follow/,
    ],
    ['list with product', { ...BTC, list: true }, /--list cannot be combined with --product-id/],
    ['list with stats', { list: true, stats: true }, /--list cannot be combined with --stats/],
    ['prune without before', { prune: true }, /--prune needs --before/],
    ['before without prune', { ...BTC, before: '-1d' }, /--before only applies to --prune/],
    ['yes without prune', { ...BTC, yes: true }, /--yes only confirms --prune/],
    [
      'prune with range',
      { prune: true, before: '-1d', from: '-2d' },
      /--prune cannot be combined with --from/,
    ],
    ['prune bad time', { prune: true, before: 'soon' }, /--before: 'soon' is not a time/],
    ['follow with to', { ...BTC, follow: true, to: 'now' }, /--follow cannot be combined with --to/],
    ['follow desc', { ...BTC, follow: true, order: 'desc' }, /--follow prints oldest first/],
    ['follow from + limit', { ...BTC, follow: true, from: '-1h', limit: 5 }, /drop --limit/],
    ['follow with stats', { ...BTC, follow: true, stats: true }, /--follow cannot be combined with --stats/],
    [
      'chart-out extension',
      { ...BTC, chartOut: 'chart.jpg' },
      /--chart-out: 'chart.jpg' must end in .svg or .png/,
    ],
    ['chart with json', { ...BTC, chart: true, json: true }, /--chart draws on the terminal/],
    [
      'chart-out with csv',
      { ...BTC, chartOut: 'a.svg', format: 'csv' },
      /--chart-out writes a file, not rows/,
    ],
    ['future relative', { ...BTC, from: '+5m' }, /is in the future/],
  ])('%s', (_, flags, message) => {
    const text = usageMessage(flags);
    expect(text).toMatch(message);
    expect(text).not.toContain('\n');
  });

  it('lists several clashing flags in one message', () => {
    expect(usageMessage({ ...BTC, latest: true, from: '-1h', to: 'now', order: 'asc' })).toMatch(
      /--latest cannot be combined with --from, --to and --order/,
    );
  });

  it('still allows --stats with --json and --chart-out (one pass)', () => {
    expect(plan({ ...BTC, stats: true, json: true, chartOut: 'a.svg' })).toMatchObject({
      mode: 'range',
      format: 'json',
      stats: true,
      chartOut: { kind: 'svg' },
    });
  });
});
