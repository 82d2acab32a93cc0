// Per-file Redis isolation: each test file gets its own logical DB (1-15), because the store's key
// names are fixed and files run in parallel. The DB is flushed before and after the file.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, inject } from 'vitest';

export interface TestRedis {
  /** `redis://host:port/DB` for this file's DB; available from beforeAll on. */
  readonly url: string;
  /** This file's logical DB, 1-15; available from beforeAll on. */
  readonly db: number;
  /** One shared ioredis client on this file's DB, closed after the file. */
  client(): Redis;
  /** FLUSHDB on this file's DB, e.g. in beforeEach. */
  flush(): Promise<void>;
}

// DB 0 only holds this counter; INCR makes the allocation atomic across parallel workers.
const COUNTER_KEY = 'l1-orderbook:test:db-counter';
const TEST_DBS = 15;

/** The run's Redis URL pointing at logical DB `db`. */
export function redisUrlForDb(db: number, baseUrl: string | undefined = inject('redisUrl')): string {
  if (!baseUrl)
    throw new Error('no test Redis: run through vitest.config.ts, whose globalSetup provides one');
  if (!Number.isInteger(db) || db < 0 || db > TEST_DBS) throw new Error(`no such test DB: ${db}`);
  const url = new URL(baseUrl);
  url.pathname = `/${db}`;
  return url.toString();
}

/** Call once at the top of a test file; registers the hooks that allocate, flush and close. */
export function useTestRedis(): TestRedis {
  let db: number | undefined;
  let shared: Redis | undefined;

  const allocated = (): number => {
    if (db === undefined)
      throw new Error('useTestRedis(): use url/db/client() inside a test or hook, not at load');
    return db;
  };

  const handle: TestRedis = {
    get db() {
      return allocated();
    },
    get url() {
      return redisUrlForDb(allocated());
    },
    client() {
      shared ??= new Redis(handle.url);
      return shared;
    },
    async flush() {
      await handle.client().flushdb();
    },
  };

  beforeAll(async () => {
    const admin = new Redis(redisUrlForDb(0));
    try {
      const n = await admin.incr(COUNTER_KEY);
      db = ((n - 1) % TEST_DBS) + 1;
    } finally {
      admin.disconnect();
    }
    await handle.flush();
  });

  afterAll(async () => {
    if (db === undefined) return;
    try {
      await handle.flush();
    } finally {
      shared?.disconnect();
      shared = undefined;
    }
  });

  return handle;
}
