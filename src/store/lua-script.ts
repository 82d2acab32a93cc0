/**
 * A Lua script shipped as a .lua file next to this module, run with EVALSHA and falling back to
 * EVAL when the server does not know it yet (NOSCRIPT: first use, SCRIPT FLUSH, a restarted or
 * failed-over Redis; on a cluster, each node that has not run it yet). The SHA1 is computed locally,
 * so the first call costs no extra round trip.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ChainableCommander } from 'ioredis';
import type { RedisClient } from './redis-client.js';

export class LuaScript {
  readonly source: string;
  readonly sha: string;

  constructor(fileName: string) {
    this.source = readFileSync(new URL(fileName, import.meta.url), 'utf8');
    this.sha = createHash('sha1').update(this.source).digest('hex');
  }

  /** Queues one EVALSHA on a pipeline; pair with `retryNoScript` after exec. */
  queue(pipeline: ChainableCommander, keys: readonly string[], args: readonly (string | number)[]): void {
    pipeline.evalsha(this.sha, keys.length, ...keys, ...args);
  }

  async run(
    redis: RedisClient,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!isNoScript(err)) throw err;
      return redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}

export function isNoScript(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith('NOSCRIPT');
}
