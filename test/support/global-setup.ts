// vitest globalSetup: one throwaway Redis for the whole run, handed to test files via inject('redisUrl').
import type { TestProject } from 'vitest/node';
import { startHarnessRedis } from './redis-harness.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Base URL of the run's Redis, without a DB path; test-redis.ts adds one per file. */
    redisUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = performance.now();
  const redis = await startHarnessRedis();
  process.stderr.write(
    `test redis: ${redis.description} (ready in ${Math.round(performance.now() - started)} ms)\n`,
  );
  project.provide('redisUrl', redis.url);
  return () => redis.stop();
}
