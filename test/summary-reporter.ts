/**
 * Prints one plain closing line, `tests: N passed, N failed, N skipped`, after vitest's own summary, and
 * appends the counts to `.esi-run/test-counts.jsonl` so `.ci/run` can total several runs.
 * A failed module (an import error, a failing hook) counts as a failure even when it ran no test.
 * Tests that passed only on a retry are listed as flaky above that line, so a retry never hides one.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import type { Reporter, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = unhandledErrors.length;
    let skipped = 0;
    const flaky: string[] = [];
    for (const m of testModules) {
      let failedHere = 0;
      for (const t of m.children.allTests()) {
        const s = t.result().state;
        if (s === 'passed') {
          passed++;
          if (t.diagnostic()?.flaky) flaky.push(`${m.moduleId.split('/').slice(-2).join('/')} > ${t.fullName}`);
        } else if (s === 'failed') failedHere++;
        else skipped++;
      }
      if (failedHere === 0 && m.state() === 'failed') failedHere = 1;
      failed += failedHere;
    }
    for (const f of flaky) process.stdout.write(`\nflaky (failed once, passed on retry): ${f}`);
    process.stdout.write(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
    try {
      mkdirSync('.esi-run', { recursive: true });
      appendFileSync('.esi-run/test-counts.jsonl', `${JSON.stringify({ passed, failed, skipped })}\n`);
    } catch {
      /* counting is a convenience for CI; never fail a run over it */
    }
  }
}
