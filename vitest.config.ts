import { defineConfig } from 'vitest/config';
import SummaryReporter from './test/support/summary-reporter.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // The summary reporter prints the plain `N passed, N failed` line CI reads, after the default output.
    reporters: ['default', new SummaryReporter()],
    pool: 'forks',
    // Most files wait on sockets, timers and child processes rather than compute: four at a time
    // keeps a 2-core CI machine busy (vitest's default there would be one file at a time).
    maxWorkers: 4,
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
