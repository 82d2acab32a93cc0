import { defineConfig } from 'vitest/config';
import SummaryReporter from './test/support/summary-reporter.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // The summary reporter prints the plain `N passed, N failed` line CI reads, after the default output.
    reporters: ['default', new SummaryReporter()],
    pool: 'forks',
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
