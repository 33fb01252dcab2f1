// vitest globalSetup of the `e2e` project: start the shared components once, provide their endpoints to
// every test file through `inject('esiHarness')`, stop them at the end.
import type { TestProject } from 'vitest/node';
import { startHarness } from './stack.ts';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const t0 = Date.now();
  const h = await startHarness();
  console.log(`[e2e] all components ready in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  project.provide('esiHarness', h.info);
  return async () => {
    const t1 = Date.now();
    try {
      await h.stop();
    } catch (e) {
      // vitest only logs errors thrown by a global teardown; make them fail the run.
      console.error(`[e2e] ${(e as Error).message}`);
      process.exitCode = 1;
      throw e;
    }
    console.log(`[e2e] components stopped in ${((Date.now() - t1) / 1000).toFixed(1)}s`);
  };
}
