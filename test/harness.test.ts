// Tests of the test harness itself: isolation per file, never the developer's Redis on 6379,
// and a spawned redis-server that outage tests can kill and bring back on the same port.
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { ping, type RedisServerHandle, startRedisServer } from './support/redis-server.js';
import { redisUrlForDb, useTestRedis } from './support/test-redis.js';

const redis = useTestRedis();

describe('test redis', () => {
  it('is not the Redis on port 6379', () => {
    const url = new URL(redis.url);
    expect(url.port).not.toBe('');
    expect(url.port).not.toBe('6379');
  });

  it('gives this file its own DB in 1-15', async () => {
    expect(redis.db).toBeGreaterThanOrEqual(1);
    expect(redis.db).toBeLessThanOrEqual(15);
    expect(redis.url).toBe(redisUrlForDb(redis.db));
    expect(await redis.client().dbsize()).toBe(0);
  });

  it('round-trips SET/GET on the file DB', async () => {
    await redis.client().set('orderbook:products', 'BTC-USD');
    expect(await redis.client().get('orderbook:products')).toBe('BTC-USD');
    await redis.flush();
    expect(await redis.client().exists('orderbook:products')).toBe(0);
  });

  it('keeps DBs apart', async () => {
    const other = new Redis(redisUrlForDb((redis.db % 15) + 1));
    try {
      await redis.client().set('harness:isolation', 'mine');
      expect(await other.get('harness:isolation')).toBeNull();
    } finally {
      other.disconnect();
    }
  });
});

describe('startRedisServer', () => {
  let server: RedisServerHandle | undefined;
  afterEach(async () => {
    await server?.stop();
  });

  it('survives kill() and comes back on the same port with start() and restart()', async () => {
    server = await startRedisServer();
    const { port } = server;
    expect(port).not.toBe(6379);
    expect(await ping(port)).toBe(true);

    await server.kill();
    expect(await ping(port)).toBe(false);

    await server.start();
    expect(server.port).toBe(port);
    expect(await ping(port)).toBe(true);

    await server.restart();
    expect(await ping(port)).toBe(true);
  });

  it('is reachable with ioredis at its url', async () => {
    server = await startRedisServer();
    const client = new Redis(server.url);
    try {
      expect(await client.ping()).toBe('PONG');
    } finally {
      client.disconnect();
    }
  });
});
