// The streaming baseline: the least a program can do for what `l1-fetch --stream` does, in a fresh
// Node process like the CLI: one ws client, JSON.parse of every frame, no validation, no change
// filter, no reconnects; each top becomes the same hash + index entry + set member, written through
// an ioredis pipeline flushed once per event-loop turn (or every 500 commands).
//
//   node bench/stream-baseline.mjs okx|coinbase WS_URL REDIS_URL PRODUCT...
import { Redis } from 'ioredis';
import WebSocket from 'ws';

const [venue, wsUrl, redisUrl, ...products] = process.argv.slice(2);
const redis = new Redis(redisUrl);
let pipeline = redis.pipeline();
let queued = 0;
let scheduled = false;
const seen = new Set();
const tops = new Map();

function nowFixed() {
  const micros = Math.floor((performance.timeOrigin + performance.now()) * 1000);
  return fixed(micros);
}
function fixed(micros) {
  const whole = Math.floor(micros / 1e6);
  return `${new Date(whole * 1000).toISOString().slice(0, 19)}.${String(micros - whole * 1e6).padStart(6, '0')}Z`;
}
function flush() {
  scheduled = false;
  if (queued === 0) return;
  void pipeline.exec();
  pipeline = redis.pipeline();
  queued = 0;
}
function store(exchange, id, bid, ask, timestamp, sequence) {
  const prefix = exchange === 'coinbase' ? 'orderbook' : `orderbook:${exchange}`;
  const key = `${prefix}:${id}:${timestamp}`;
  const micros = Date.parse(`${timestamp.slice(0, 19)}Z`) * 1000 + Number(timestamp.slice(20, 26));
  pipeline.hset(key, {
    sequence,
    bids: JSON.stringify(bid ? [bid] : []),
    asks: JSON.stringify(ask ? [ask] : []),
    timestamp,
    received_at: nowFixed(),
    exchange,
    product_id: id,
  });
  pipeline.zadd(`${prefix}:index:${id}`, micros, key);
  if (!seen.has(id)) {
    seen.add(id);
    pipeline.sadd('orderbook:products', exchange === 'coinbase' ? id : `${exchange}:${id}`);
  }
  queued += 2;
  if (queued >= 1000) flush();
  else if (!scheduled) {
    scheduled = true;
    setImmediate(flush);
  }
}

const ws = new WebSocket(wsUrl, { perMessageDeflate: false });
ws.on('open', () => {
  if (venue === 'okx') {
    for (let i = 0; i < products.length; i += 50)
      ws.send(
        JSON.stringify({
          op: 'subscribe',
          args: products.slice(i, i + 50).map((p) => ({ channel: 'bbo-tbt', instId: p })),
        }),
      );
  } else {
    ws.send(
      JSON.stringify({ type: 'subscribe', channels: [{ name: 'level2_batch', product_ids: products }] }),
    );
  }
});
ws.on('message', (data) => {
  const m = JSON.parse(data.toString());
  if (venue === 'okx') {
    if (!m.data) return;
    const d = m.data[0];
    const ts = fixed(Number(d.ts) * 1000);
    store('okx', m.arg.instId, d.bids[0]?.slice(0, 2), d.asks[0]?.slice(0, 2), ts, String(d.seqId ?? ''));
  } else if (m.type === 'snapshot') {
    tops.set(m.product_id, { bid: m.bids[0], ask: m.asks[0] });
    store('coinbase', m.product_id, m.bids[0], m.asks[0], nowFixed(), '');
  } else if (m.type === 'l2update') {
    const top = tops.get(m.product_id);
    for (const [side, price, size] of m.changes) top[side === 'buy' ? 'bid' : 'ask'] = [price, size];
    store('coinbase', m.product_id, top.bid, top.ask, m.time, '');
  }
});
process.on('SIGTERM', () => {
  flush();
  setTimeout(() => process.exit(0), 200);
});
