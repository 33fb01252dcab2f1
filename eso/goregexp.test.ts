import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { EsiError } from '../core/index.ts';
import { compileGoRegexp, goMatchString, goReplaceAllString, RegexpBudgetExceeded, withRegexpBudget } from './goregexp.ts';
import { PATHOLOGICAL } from './testdata/pathological-regexps.ts';
import { oracleBinary, runOracle } from './template/testdata/oracle.ts';

/** Recorded from Go 1.26 regexp (`regexp.Compile`, `ReplaceAllString`, `MatchString`) for these inputs. */
const oracle = JSON.parse(readFileSync(new URL('./testdata/go-regexp-base64.json', import.meta.url), 'utf8')) as {
  regexp: { Re: string; In: string; Tpl: string; Out: string; Match: boolean; Err: string }[];
};

describe('Go regexp: ReplaceAllString and MatchString agree with Go', () => {
  for (const c of oracle.regexp) {
    it(`${JSON.stringify(c.Re)} on ${JSON.stringify(c.In)} with ${JSON.stringify(c.Tpl)}`, () => {
      const re = compileGoRegexp(c.Re);
      expect(goReplaceAllString(re, c.In, c.Tpl)).toBe(c.Out);
      expect(goMatchString(re, c.In)).toBe(c.Match);
    });
  }
});

// Messages recorded from Go 1.26 regexp.Compile.
const compileErrors: [string, string][] = [
  ['(', 'missing closing ): `(`'],
  [')', 'unexpected ): `)`'],
  ['[a', 'missing closing ]: `[a`'],
  ['*', 'missing argument to repetition operator: `*`'],
  ['a**', 'invalid nested repetition operator: `**`'],
  ['(?=x)', 'invalid or unsupported Perl syntax: `(?=`'],
  ['\\1', 'invalid escape sequence: `\\1`'],
  ['[z-a]', 'invalid character class range: `z-a`'],
  ['a{1001}', 'invalid repeat count: `{1001}`'],
  ['\\p{Foo}', 'invalid character class range: `\\p{Foo}`'],
  ['(?P<>a)', 'invalid named capture: `(?P<>`'],
  ['\\', 'trailing backslash at end of expression: ``'],
  ['a|*', 'missing argument to repetition operator: `*`'],
  ['(*)', 'missing argument to repetition operator: `*`'],
  ['(?z)', 'invalid or unsupported Perl syntax: `(?z`'],
  ['x{2}{3}', 'invalid nested repetition operator: `{2}{3}`'],
  ['\\Z', 'invalid escape sequence: `\\Z`'],
  ['(?P=a)', 'invalid or unsupported Perl syntax: `(?P`'],
  ['[[:foo:]]', 'invalid character class range: `[:foo:]`'],
  ['\\8', 'invalid escape sequence: `\\8`'],
  ['(?i', 'invalid or unsupported Perl syntax: `(?i`'],
  ['[a-\\d]', 'invalid escape sequence: `\\d`'],
  ['x+?+', 'invalid nested repetition operator: `+?+`'],
  ['(?-)', 'invalid or unsupported Perl syntax: `(?-)`'],
  ['(?i-)', 'invalid or unsupported Perl syntax: `(?i-)`'],
  ['(?P', 'invalid or unsupported Perl syntax: `(?P`'],
  ['(?P<n', 'invalid named capture: `(?P<n`'],
  ['(?<n', 'invalid named capture: `(?<n`'],
  ['(?<n>', 'missing closing ): `(?<n>`'],
  ['[\\Qa]\\E]', 'invalid escape sequence: `\\Q`'],
  ['(?#c)', 'invalid or unsupported Perl syntax: `(?#`'],
  ['(?<=a)', 'invalid named capture: `(?<=a)`'],
  ['\\x{110000}', 'invalid escape sequence: `\\x{110000`'],
  ['\\x4', 'invalid escape sequence: `\\x4`'],
  ['a{2,1}', 'invalid repeat count: `{2,1}`'],
  ['\\pX', 'invalid character class range: `\\pX`'],
  // recorded from Go 1.26 too: limits that keep a pattern's program and parse bounded
  ['a{123456789}', 'invalid repeat count: `{123456789}`'],
  ['a{1,123456789}', 'invalid repeat count: `{1,123456789}`'],
  ['((a{1000}){1000}){1000}', 'invalid repeat count: `{1000}`'],
  ['\\x{41\\x{41', 'invalid escape sequence: `\\x{41\\`'],
  ['\\x{}', 'invalid escape sequence: `\\x{}`'],
  ['\\x{12', 'invalid escape sequence: `\\x{12`'],
  ['[[:[[:]', 'invalid character class range: `[:[[:]`'],
  ['('.repeat(1001) + 'a' + ')'.repeat(1001), `expression nests too deeply: \`${'('.repeat(1001)}a${')'.repeat(1001)}\``],
];

describe('Go regexp: compile errors carry Go\'s text', () => {
  for (const [src, msg] of compileErrors) {
    it(`rejects ${JSON.stringify(src)}`, () => {
      expect(() => compileGoRegexp(src)).toThrow(`error parsing regexp: ${msg}`);
    });
  }
});

const accepted = ['a{01}', 'a{1,01}', '\\x{0000000041}', '(?P<a>x)(?P<a>y)', '(?<n>a)', 'a{,5}', '(?P<1a>x)', '(?)', '(?:)', '(?i:a)', '(?i)', '(?-i)a', '(?i-s:a)', '\\Qa.b', '[]a]', '[^]a]', '[a-]', '[\\p{Greek}a]', 'x{1000,}', '(?U)a+'];
describe('Go regexp: accepts what Go accepts', () => {
  for (const src of accepted) it(`compiles ${JSON.stringify(src)}`, () => expect(() => compileGoRegexp(src)).not.toThrow());
});

describe('Go regexp: properties', () => {
  it('compiling any string either succeeds or throws an EsiError, and replacing never hangs', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 }), (src, input) => {
        try {
          const re = compileGoRegexp(src);
          goReplaceAllString(re, input, '<$0>');
        } catch (e) {
          expect(e).toBeInstanceOf(EsiError);
        }
      }),
      { numRuns: 2000 },
    );
  });
  it('a literal pattern (QuoteMeta-like escaping) replaces exactly the literal occurrences', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 5 }), fc.string({ maxLength: 20 }), (lit, input) => {
        const quoted = [...lit].map((ch) => (/[\\.+*?()|[\]{}^$]/.test(ch) ? `\\${ch}` : ch)).join('');
        const re = compileGoRegexp(quoted);
        expect(goReplaceAllString(re, input, 'X')).toBe(input.split(lit).join('X'));
      }),
      { numRuns: 1000 },
    );
  });
});

// Checked against Go (regexp.MatchString / ReplaceAllString through sprig's regexMatch and
// regexReplaceAll in test/go/template-oracle): V8 reports empty matches between the halves of a
// surrogate pair under the `u` flag; Go has no such position.
describe('Go regexp: no empty match inside an astral character', () => {
  const cases: [string, string, string, string, boolean][] = [
    ['$', '😀a😀', '-', '😀a😀-', true],
    ['\\A\\z', '😀', '-', '😀', false],
    ['\\z', '😀a😀', '<$0>', '😀a😀<>', true],
    ['(?m)$', '😀a😀', '-', '😀a😀-', true],
    ['^', '😀a😀', '-', '-😀a😀', true],
    ['x*', '😀a', '-', '-😀-a-', true],
  ];
  for (const [re, input, tpl, out, match] of cases) {
    it(`${JSON.stringify(re)} on ${JSON.stringify(input)}`, () => {
      const c = compileGoRegexp(re);
      expect(goReplaceAllString(c, input, tpl)).toBe(out);
      expect(goMatchString(c, input)).toBe(match);
    });
  }
});

// Against live Go: sprig's regexMatch and regexReplaceAll are regexp.MatchString and ReplaceAllString
// (test/go/template-oracle). Every case must finish; vitest's per-test timeout is the bound.
describe('Go regexp: pathological patterns on 30k–100k characters agree with Go and finish', () => {
  const utf8 = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));
  const TEMPLATE = '$1<${1}>';
  const want = new Map<string, { match: string; replaced: string }>();
  beforeAll(async () => {
    const bin = await oracleBinary();
    const reqs = PATHOLOGICAL.flatMap(({ pattern, subjects }) =>
      subjects.flatMap((s) => ['regexMatch .p .s', 'regexReplaceAll .p .s .r'].map((t) => ({ template: `{{ ${t} }}`, data: { p: utf8(pattern), s: utf8(s), r: utf8(TEMPLATE) } }))),
    );
    const out = runOracle(bin, reqs).map((r) => ('output' in r ? Buffer.from(r.output).toString('utf8') : `error ${r.error}`));
    let i = 0;
    for (const { pattern, subjects } of PATHOLOGICAL) for (const s of subjects) want.set(pattern + '\0' + s, { match: out[i++]!, replaced: out[i++]! });
  }, 15 * 60_000);
  for (const { pattern, subjects } of PATHOLOGICAL) {
    it(`${pattern} on ${subjects.map((s) => s.length).join(', ')} characters`, () => {
      const re = compileGoRegexp(pattern);
      for (const s of subjects) {
        const go = want.get(pattern + '\0' + s)!;
        expect(String(goMatchString(re, s))).toBe(go.match);
        expect(goReplaceAllString(re, s, TEMPLATE) === go.replaced, `${pattern} on ${s.length} characters`).toBe(true);
      }
    });
  }
});

describe('Go regexp: a budget bounds the work of one request', () => {
  it('prices a match by program size × input length and stops before running past the bound', () => {
    const re = compileGoRegexp('^prod-([a-z]+-?)+$');
    const long = `prod-${'a'.repeat(100_000)}1`;
    expect(withRegexpBudget(10_000_000, () => goMatchString(re, 'prod-' + 'a'.repeat(31) + '1'))).toBe(false);
    expect(() => withRegexpBudget(10_000, () => goMatchString(re, long))).toThrow(RegexpBudgetExceeded);
    expect(() => withRegexpBudget(10_000, () => goMatchString(re, long))).toThrow(/exceed esi's bound on regexp work per request \(10,000 units/);
    // outside a budget scope nothing is counted
    expect(goMatchString(re, long)).toBe(false);
  });
  it('prices a compile by Go\'s size estimate, cached or not, so a denial never depends on the cache', () => {
    const big = `(?:${Array.from({ length: 300 }, (_, i) => `q${i}`).join('|')}){1000}`; // ~1.2 KB, ~1M instructions
    expect(() => withRegexpBudget(10_000_000, () => compileGoRegexp(big))).toThrow(RegexpBudgetExceeded);
    compileGoRegexp('(a|b)+c');
    expect(() => withRegexpBudget(10, () => compileGoRegexp('(a|b)+c'))).toThrow(RegexpBudgetExceeded);
  });
  it('nested scopes restore the outer budget', () => {
    const re = compileGoRegexp('a+');
    withRegexpBudget(100_000, () => {
      expect(() => withRegexpBudget(5, () => goMatchString(re, 'aaaaaaaa'))).toThrow(RegexpBudgetExceeded);
      expect(goMatchString(re, 'aaaaaaaa')).toBe(true);
    });
  });
});

// Recorded from Go 1.26: a repeat count with a leading zero is no repeat; `{` is a literal then.
describe('Go regexp: `{` that is not a repeat count is a literal', () => {
  it.each([
    ['a{01}', 'a{01}', true],
    ['a{01}', 'a', false],
    ['a{1,01}', 'a{01}', false],
    ['a{1,01}', 'a{1,01}', true],
  ])('%s on %s', (re, input, match) => expect(goMatchString(compileGoRegexp(re), input)).toBe(match));
});
