/**
 * sprig's regex functions against live Go (text/template + sprig through test/go/template-oracle):
 * RE2 syntax the shared translator (../goregexp.ts) handles, Go's compile-error texts, byte strings
 * with multi-byte and astral runes, and Go's empty-match rules in FindAll/ReplaceAll/Split.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { renderTemplate } from './engine.ts';
import { toText } from '../../core/go/utf8.ts';
import { oracleBinary, runOracle } from './testdata/oracle.ts';
import { PATHOLOGICAL } from '../testdata/pathological-regexps.ts';

const PATTERNS = [
  // compile errors (Go's wording)
  '(', ')', '[a', '*', 'a**', '(?=x)', '\\1', '[z-a]', 'a{1001}', '\\p{Foo}', '(?P<>a)', '\\', 'a|*', '(*)', '(?z)', 'x{2}{3}',
  '\\Z', '\\8', '\\é', '[a-\\d]', '[\\b]', '\\x{110000}', '\\xZ', '[\\Q]\\E]', '[[:foo:]]', '(?P=n)', '\\k<n>', 'a++',
  // syntax
  '', 'x*', 'a(x*)b', '(?P<first>\\w+) (?P<last>\\w+)', '(?<a>\\w)(?<a>\\d)', '(?i)abc', 'a(?i)bc', '(?i:k)', '(?i)a(?-i)b',
  '(?-i)a', '(?i-i)a', '(?s).', '(?s:.)', '.', '.*', '(?m)^\\w+$', '^\\w+$', '(?m)$', '\\s+', '\\S+', '[\\s]', '[^\\s]',
  '[[:alpha:]]+', '[[:^alpha:]]+', '[^[:space:]]+', '\\pL+', '\\p{Greek}', '\\PL', '[\\p{Greek}\\d]+', '\\Qa.b\\E', '\\Qa.b',
  '\\x41\\x{42}', '\\x{1F600}', '\\101', '\\0', '\\f\\a', '[]a]', '[^]a]', 'a{2,}', 'a{,2}', 'x{', 'a{2}?', '(?U)a+', '(?U)a+?',
  '\\b\\w', '\\Bb', '\\Aab', 'c\\z', '\\A\\z', '$', '^', '$$', '(?:)', '()', 'a|', '|', 'a/b', '[/]', '\\-', '[a\\-z]', '[a-]', 'é+',
  '[é-ü]+', '[😀-😂]', '(?i)é', '(?i)[a-c]+', '(?i)k', '(?i)[k]', '(?i)ſ', '(?i)\\x{212a}', '(?i)\\w+', '\\D', '[^\\d]', '\\W+',
  '(?:a|b)+', '(a)|(b)', '(?P<n>a)|b',
];
const SUBJECTS = ['', 'abc', 'axxb-ab-', 'John Smith', 'héllo wörld', 'x\ny\r\nz', 'a\u2028b', '😀a😀', 'K k \u212a s S \u017f', 'AB ab a.b*c'];
const TEMPLATES = [
  'regexMatch .p .s', 'regexFind .p .s', 'regexFindAll .p .s -1 | toJson', 'regexFindAll .p .s 1 | toJson',
  'regexReplaceAll .p .s .r', 'regexReplaceAllLiteral .p .s .r', 'regexSplit .p .s -1 | toJson', 'regexSplit .p .s 2 | toJson',
  'mustRegexFind .p .s', 'regexQuoteMeta .p',
];
const REPLACEMENTS = ['<$1>', '${last}, ${first}', '$a$0$$', '-', '${1}W', '${n}'];

const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));

interface Case {
  template: string;
  data: Record<string, Uint8Array>;
}

function corpus(): Case[] {
  const out: Case[] = [];
  let k = 0;
  for (const p of PATTERNS) {
    for (const t of TEMPLATES) {
      // every pattern meets every template; subjects rotate so each pair still meets often
      for (let i = 0; i < SUBJECTS.length; i++) {
        if ((i + k) % 3 !== 0) continue;
        const r = REPLACEMENTS[(i + k) % REPLACEMENTS.length]!;
        out.push({ template: `{{ ${t} }}`, data: { p: bytes(p), s: bytes(SUBJECTS[i]!), r: bytes(r) } });
      }
      k++;
    }
  }
  // invalid UTF-8 in the pattern and in the subject
  const raw = (...b: number[]) => new Uint8Array(b);
  for (const t of TEMPLATES) {
    out.push({ template: `{{ ${t} }}`, data: { p: raw(0x61, 0xff, 0x62, 0x63), s: bytes('a'), r: bytes('-') } });
    out.push({ template: `{{ ${t} }}`, data: { p: bytes('.'), s: raw(0x61, 0xff, 0xc3, 0xa9, 0xe2, 0x82), r: bytes('<$0>') } });
    out.push({ template: `{{ ${t} }}`, data: { p: bytes('\\xff|\\x{FFFD}'), s: raw(0x61, 0xff, 0xef, 0xbf, 0xbd), r: bytes('-') } });
  }
  return out;
}

function engine(c: Case): string {
  try {
    return 'output ' + toText(Buffer.from(renderTemplate(c.template, c.data)).toString('latin1'));
  } catch (e) {
    return 'error ' + toText((e as Error).message);
  }
}

let bin: string;
beforeAll(async () => {
  bin = await oracleBinary();
}, 15 * 60_000);

describe('sprig regex functions vs Go', () => {
  it('agree with Go (output and error text) on a corpus of patterns, subjects and functions', () => {
    const cases = corpus();
    const results = runOracle(bin, cases);
    const mismatches: string[] = [];
    let errors = 0;
    cases.forEach((c, i) => {
      const r = results[i]!;
      const want = 'output' in r ? 'output ' + toText(Buffer.from(r.output).toString('latin1')) : 'error ' + r.error;
      if (want.startsWith('error ')) errors++;
      const got = engine(c);
      if (got !== want) {
        const d = Object.fromEntries(Object.entries(c.data).map(([k, v]) => [k, Buffer.from(v).toString('latin1')]));
        mismatches.push(`${c.template} ${JSON.stringify(d)}\n  go:  ${want}\n  esi: ${got}`);
      }
    });
    expect(mismatches.slice(0, 20)).toEqual([]);
    // the corpus exercises both sides: compile errors and real matches
    expect(errors).toBeGreaterThan(200);
    expect(cases.length - errors).toBeGreaterThan(2000);
  });
});

// Patterns that backtrack for minutes on V8's RegExp, on 30k–100k-character subjects: Go's answers and
// esi's must agree, and every case must finish (vitest's per-test timeout is the bound; no timing here).
const PATHOLOGICAL_TEMPLATES = [
  'regexMatch .p .s', 'regexFind .p .s | sha256sum', 'regexFindAll .p .s -1 | len', 'regexFindAll .p .s 3 | toJson | sha256sum',
  'regexReplaceAll .p .s .r | sha256sum', 'regexSplit .p .s -1 | len', 'regexSplit .p .s 2 | toJson | sha256sum',
];

describe('sprig regex functions vs Go on pathological patterns', () => {
  const cases = PATHOLOGICAL.map(({ pattern, subjects }) => ({
    pattern,
    cases: subjects.flatMap((s) => PATHOLOGICAL_TEMPLATES.map((t): Case => ({ template: `{{ ${t} }}`, data: { p: bytes(pattern), s: bytes(s), r: bytes('<$1>') } }))),
  }));
  const want = new Map<Case, string>();
  beforeAll(() => {
    const all = cases.flatMap((c) => c.cases);
    runOracle(bin, all).forEach((r, i) => want.set(all[i]!, 'output' in r ? 'output ' + toText(Buffer.from(r.output).toString('latin1')) : 'error ' + r.error));
  }, 120_000);
  for (const { pattern, cases: mine } of cases) {
    it(`${pattern}: agrees with Go on ${mine.length} cases (subjects up to 100k characters) and finishes`, () => {
      const mismatches: string[] = [];
      for (const c of mine) {
        const got = engine(c);
        if (got !== want.get(c)) mismatches.push(`${c.template} on ${c.data['s']!.length} bytes\n  go:  ${want.get(c)}\n  esi: ${got}`);
      }
      expect(mismatches).toEqual([]);
      expect(mine.every((c) => want.get(c)?.startsWith('output '))).toBe(true);
    });
  }
  it('the corpus holds late failures (the backtracking case) and long matches', () => {
    const outs = [...want.values()];
    expect(outs.filter((o) => o === 'output true').length).toBeGreaterThan(5);
    expect(outs.filter((o) => o === 'output false').length).toBeGreaterThan(5);
  });
});
