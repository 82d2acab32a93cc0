// Ends every run with one plain, greppable line: `N passed, N failed[, N skipped]`.
// CI reads that line, so anything that went wrong counts as a failure, and a run that executed
// no test at all fails outright.
import { writeSync } from 'node:fs';
import type { SerializedError } from 'vitest';
import type { Reporter, TestModule, TestRunEndReason, Vitest } from 'vitest/node';

export interface RunCounts {
  passed: number;
  failed: number;
  skipped: number;
}

export function countRun(
  testModules: ReadonlyArray<TestModule>,
  unhandledErrors: ReadonlyArray<unknown>,
): RunCounts {
  const counts: RunCounts = { passed: 0, failed: unhandledErrors.length, skipped: 0 };
  for (const module of testModules) {
    for (const test of module.children.allTests()) {
      const state = test.result().state;
      if (state === 'passed') counts.passed++;
      else if (state === 'failed') counts.failed++;
      else if (state === 'skipped') counts.skipped++;
    }
    // Errors outside any test: a file that failed to load, or a failing beforeAll/afterAll.
    if (module.errors().length > 0) counts.failed++;
    for (const suite of module.children.allSuites()) if (suite.errors().length > 0) counts.failed++;
  }
  return counts;
}

export function summaryLine({ passed, failed, skipped }: RunCounts): string {
  return `${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`;
}

export default class SummaryReporter implements Reporter {
  private counts: RunCounts | undefined;
  private watch = false;

  onInit(vitest: Vitest): void {
    // Watch mode never exits; it gets a line per run instead.
    this.watch = vitest.config.watch;
    if (this.watch) return;
    // Printed at exit, not in onTestRunEnd: vitest prints global setup/teardown errors after the
    // run ends, and the summary must stay the last line.
    process.once('exit', () => {
      const counts = this.counts ?? { passed: 0, failed: 0, skipped: 0 };
      if (counts.passed + counts.failed === 0) {
        writeSync(1, 'no test ran\n');
        process.exitCode = 1;
      } else if (counts.failed === 0 && process.exitCode) {
        // vitest failed the run for something no test owns (e.g. global teardown): count it.
        counts.failed = 1;
      }
      // writeSync: an 'exit' listener cannot wait for an asynchronous write.
      writeSync(1, `${summaryLine(counts)}\n`);
    });
  }

  onTestRunEnd(
    testModules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<SerializedError>,
    _reason: TestRunEndReason,
  ): void {
    this.counts = countRun(testModules, unhandledErrors);
    if (this.watch) process.stdout.write(`${summaryLine(this.counts)}\n`);
  }
}
