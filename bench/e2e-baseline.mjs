// The end-to-end baseline: the least a program can do for what `l1-fetch` does, in a fresh Node
// process like the CLI: fetch every product's level-1 book from the (fake) venue with Node's own
// fetch, `concurrency` requests in flight, no validation, no limiter, no retries; then store each
// snapshot as the same hash + index entry + set member with one MULTI. Repeats for `rounds` rounds.
//
//   node bench/e2e-baseline.mjs BASE_URL REDIS_URL ROUNDS CONCURRENCY PRODUCT...
import { Redis } from 'ioredis';

const [baseUrl, redisUrl, roundsArg, concurrencyArg, ...products] = process.argv.slice(2);
const rounds = Number(roundsArg);
const concurrency = Number(concurrencyArg);
const redis = new Redis(redisUrl);

function fixedTime(iso) {
  // "2026-11-24T10:00:00.123456Z" from any ISO time with ms or µs.
  const [whole, frac = '0Z'] = iso.split('.');
  return `${whole}.${frac.replace('Z', '').padEnd(6, '0').slice(0, 6)}Z`;
}

for (let round = 0; round < rounds; round++) {
  const books = new Array(products.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < products.length; i = next++) {
      const id = products[i];
      const res = await fetch(`${baseUrl}/products/${id}/book?level=1`, {
        headers: { 'User-Agent': 'l1-orderbook-bench' },
      });
      books[i] = { id, body: await res.text(), receivedAt: new Date().toISOString() };
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, products.length) }, worker));
  const m = redis.multi();
  for (const { id, body, receivedAt } of books) {
    const book = JSON.parse(body);
    const timestamp = fixedTime(book.time);
    const sequence = /"sequence":(\d+)/.exec(body)?.[1] ?? '';
    const key = `orderbook:${id}:${timestamp}`;
    const micros = Date.parse(`${timestamp.slice(0, 19)}Z`) * 1000 + Number(timestamp.slice(20, 26));
    m.hset(key, {
      sequence,
      bids: JSON.stringify(book.bids),
      asks: JSON.stringify(book.asks),
      timestamp,
      received_at: fixedTime(receivedAt),
      exchange: 'coinbase',
      product_id: id,
    });
    m.zadd(`orderbook:index:${id}`, micros, key);
    m.sadd('orderbook:products', id);
  }
  await m.exec();
}
redis.disconnect();
