#!/usr/bin/env node
// Backend calls per refresh for 1, 20 and 50 distinct keys, counted at a proxy in front of a real moto
// (from the e2e cache: `npm run e2e:prepare`), esi vs ESO's one GetSecretValue per key. Medians over
// BENCH_REFRESHES (default 9) refreshes. Usage: node bench/backend-calls.mjs [--json]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importBenchDriver, startMoto } from './lib.mjs';

const root = new URL('..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'esi-bench-calls-'));
const asJson = process.argv.includes('--json');
const refreshes = Number(process.env.BENCH_REFRESHES ?? 9);

const { runBackendCallsBench } = await importBenchDriver(root, work, 'bench/backend-calls-run.ts');

const moto = await startMoto(work);
try {
  const results = await runBackendCallsBench(moto.url, { sizes: [1, 20, 50], refreshes });
  if (asJson) console.log(JSON.stringify({ bench: 'backend-calls', results }));
  else {
    console.log(`backend calls per refresh (median of ${refreshes}), counted at moto; each key read 3x per sync`);
    console.log('keys  refs  esi calls  ESO calls  esi (batch denied)  esi ms  ESO ms');
    for (const r of results) {
      console.log(
        `${String(r.keys).padStart(4)}  ${String(r.refsPerSync).padStart(4)}  ${String(r.esiCallsMedian).padStart(9)}  ${String(r.esoCallsMedian).padStart(9)}  ${String(r.esiDeniedBatchCallsMedian).padStart(18)}  ${String(r.esiMsMedian).padStart(6)}  ${String(r.esoMsMedian).padStart(6)}`,
      );
    }
  }
} finally {
  moto.proc.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 300));
  if (moto.proc.exitCode === null) moto.proc.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
}
