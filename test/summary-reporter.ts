/**
 * Prints one plain closing line, `tests: N passed, N failed, N skipped`, after vitest's own summary, and
 * appends the counts to `.esi-run/test-counts.jsonl` so `.ci/run` can total several runs.
 * A failed module (an import error, a failing hook) counts as a failure even when it ran no test.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import type { Reporter, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = unhandledErrors.length;
    let skipped = 0;
    for (const m of testModules) {
      let failedHere = 0;
      for (const t of m.children.allTests()) {
        const s = t.result().state;
        if (s === 'passed') passed++;
        else if (s === 'failed') failedHere++;
        else skipped++;
      }
      if (failedHere === 0 && m.state() === 'failed') failedHere = 1;
      failed += failedHere;
    }
    process.stdout.write(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
    try {
      mkdirSync('.esi-run', { recursive: true });
      appendFileSync('.esi-run/test-counts.jsonl', `${JSON.stringify({ passed, failed, skipped })}\n`);
    } catch {
      /* counting is a convenience for CI; never fail a run over it */
    }
  }
}
