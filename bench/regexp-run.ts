/**
 * Bundled and run by bench/regexp.mjs: esi's Go regexps (eso/goregexp.ts on re2js) on the pathological
 * corpus, V8's backtracking RegExp (what esi used before) on short versions of the same patterns, and
 * the costs the per-admission regexp budget is calibrated on.
 */
import { compileGoRegexp, goAllMatches, goMatchString, goReplaceAllString, GoSearch, loadRegexpEngine } from '../eso/goregexp.ts';
import { PATHOLOGICAL } from '../eso/testdata/pathological-regexps.ts';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
function timed(f: () => unknown, runs = 3): number {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    f();
    ms.push(performance.now() - t);
  }
  return median(ms);
}

export interface PatternRow {
  pattern: string;
  chars: number;
  matchMs: number;
  replaceAllMs: number;
  findAllMs: number;
}
export interface V8Row {
  pattern: string;
  /** Subject: `unit` repeated n times plus `tail`; ms by n, stopped once a run passes the limit. */
  msByN: [number, number][];
}

export async function runRegexpBench(o: { v8LimitMs: number }): Promise<{ esi: PatternRow[]; v8: V8Row[]; calibration: Record<string, number> }> {
  await loadRegexpEngine();
  const esi: PatternRow[] = [];
  for (const { pattern, subjects } of PATHOLOGICAL) {
    const re = compileGoRegexp(pattern);
    for (const s of subjects) {
      esi.push({
        pattern,
        chars: s.length,
        matchMs: timed(() => goMatchString(re, s)),
        replaceAllMs: timed(() => goReplaceAllString(re, s, '<$1>')),
        findAllMs: timed(() => goAllMatches(re, s, -1)),
      });
    }
  }
  // V8 before: the same patterns in JS syntax (identical for these), on subjects that fail late
  const v8Cases: [string, string, string][] = [
    ['^prod-([a-z]+-?)+$', 'a', '1'],
    ['(a+)+$', 'a', '!'],
    ['(a*)*b', 'a', ''],
    ['(x+x+)+y', 'x', ''],
    ['(a|aa)*b', 'a', ''],
    ['^(\\w+\\s?)+$', 'w', '!'],
  ];
  const v8: V8Row[] = [];
  for (const [pattern, unit, tail] of v8Cases) {
    const re = new RegExp(pattern, 'u');
    const row: V8Row = { pattern, msByN: [] };
    for (let n = 16; n <= 40; n += 2) {
      const s = (pattern.startsWith('^prod') ? 'prod-' : '') + unit.repeat(n) + tail;
      const ms = timed(() => re.test(s), 1);
      row.msByN.push([n, Math.round(ms * 10) / 10]);
      if (ms > o.v8LimitMs) break;
    }
    v8.push(row);
  }
  // budget calibration: compile cost per instruction (small and large patterns), NFA cost per step
  let insts = 0;
  const tSmall = performance.now();
  for (let i = 0; i < 2000; i++) insts += compileGoRegexp(`^bench-${i}-([a-z]+-?)+(dev|prod|stage)$`).program.programSize();
  const compileSmallUsPerInst = ((performance.now() - tSmall) * 1000) / insts;
  const alts = Array.from({ length: 300 }, (_, i) => `q${i}`).join('|');
  const tBig = performance.now();
  const big = compileGoRegexp(`(?:${alts}){300}`);
  const compileLargeUsPerInst = ((performance.now() - tBig) * 1000) / big.program.programSize();
  // match cost per step (instruction x character): the NFA with captures, and MatchString on a
  // pattern whose DFA explodes (2^20 states) on namespace-sized inputs, as admission runs it
  const nfa = compileGoRegexp('(?:a?){300}a{300}');
  const nfaMs = timed(() => new GoSearch(nfa, 'a'.repeat(600)).at(0));
  const nfaNsPerStep = (nfaMs * 1e6) / (nfa.program.programSize() * 601);
  const dfaHostile = compileGoRegexp('(?:a|b)*a(?:a|b){20}c');
  const inputs = Array.from({ length: 2000 }, (_, i) => (i.toString(2) + 'ab'.repeat(40)).slice(0, 63));
  const hostileMs = timed(() => inputs.forEach((s) => goMatchString(dfaHostile, s)));
  const matchNsPerStep = (hostileMs * 1e6) / (dfaHostile.program.programSize() * 64 * inputs.length);
  return { esi, v8, calibration: { compileSmallUsPerInst, compileLargeUsPerInst, nfaNsPerStep, matchNsPerStep } };
}
