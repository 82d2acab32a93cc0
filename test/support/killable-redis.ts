/**
 * A redis-server of the test file's own, for tests that kill and restart it, with a client that
 * fails at once while it is down (no offline queue, no retries) and reconnects every 50 ms.
 */
import { Redis } from 'ioredis';
import { type RedisServerHandle, startRedisServer } from './redis-server.js';

export interface KillableRedis {
  server: RedisServerHandle;
  redis: Redis;
  /** Starts the server if it is down and waits for the client to reconnect, however busy the machine. */
  up(): Promise<void>;
  stop(): Promise<void>;
}

export async function startKillableRedis(): Promise<KillableRedis> {
  const server = await startRedisServer();
  const redis = new Redis(server.url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => 50,
  });
  // Errors are expected while the server is down; each test asserts what it needs.
  redis.on('error', () => {});
  return {
    server,
    redis,
    up: async () => {
      await server.start();
      for (let waited = 0; redis.status !== 'ready' && waited < 10_000; waited += 20)
        await new Promise((r) => setTimeout(r, 20));
    },
    stop: async () => {
      redis.disconnect();
      await server.stop();
    },
  };
}
