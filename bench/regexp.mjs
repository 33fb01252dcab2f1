#!/usr/bin/env node
// Go regexps in esi (re2js, linear time) on the pathological corpus (eso/testdata/pathological-regexps.ts,
// 30k-100k characters), V8's backtracking RegExp (esi's engine before) on short versions of the same
// patterns, and the compile/NFA costs behind the per-admission regexp budget. Medians of 3 runs.
// Usage: node bench/regexp.mjs [--json]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'esi-bench-regexp-'));
const asJson = process.argv.includes('--json');
try {
  const outfile = join(work, 'regexp-run.mjs');
  await build({ entryPoints: [join(root, 'bench/regexp-run.ts')], outfile, bundle: true, format: 'esm', platform: 'node', target: 'node20', logLevel: 'warning' });
  const { runRegexpBench } = await import(pathToFileURL(outfile).href);
  const r = await runRegexpBench({ v8LimitMs: Number(process.env.BENCH_V8_LIMIT_MS ?? 2000) });
  if (asJson) console.log(JSON.stringify({ bench: 'regexp', ...r }));
  else {
    console.log('esi (re2js): ms per call, median of 3');
    console.log(`${'pattern'.padEnd(30)} ${'chars'.padStart(7)}  match  replaceAll  findAll`);
    for (const x of r.esi) {
      console.log(`${x.pattern.padEnd(30)} ${String(x.chars).padStart(7)} ${x.matchMs.toFixed(1).padStart(6)} ${x.replaceAllMs.toFixed(1).padStart(11)} ${x.findAllMs.toFixed(1).padStart(8)}`);
    }
    console.log('\nV8 backtracking RegExp (before): ms for a subject of n characters failing at the end');
    for (const x of r.v8) console.log(`${x.pattern.padEnd(30)} ${x.msByN.map(([n, ms]) => `n=${n}: ${ms}`).join(', ')}`);
    const c = r.calibration;
    console.log(`\nbudget calibration: compile ${c.compileSmallUsPerInst.toFixed(2)} µs/instruction (small patterns), ${c.compileLargeUsPerInst.toFixed(2)} µs (large); NFA with captures ${c.nfaNsPerStep.toFixed(1)} ns/step; MatchString (DFA-hostile pattern, 63 chars) ${c.matchNsPerStep.toFixed(1)} ns/step`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
