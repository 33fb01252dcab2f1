import { describe, expect, it } from 'vitest';
import { formatFloat, goQuote, parseFloat64, parseGoFloat } from './strconv.ts';

// What Go (go1.26.8) returned: `f, err := strconv.ParseFloat(s, 64)`, printed with FormatFloat(f, 'g', -1, 64).
const PARSE_FLOAT: [string, string, boolean][] = [
  ['1_000', '1000', false],
  ['0x_1p0', '1', false],
  ['0x1_0p0', '16', false],
  ['1e400', '+Inf', true],
  ['-1e400', '-Inf', true],
  ['inf', '+Inf', false],
  ['+Infinity', '+Inf', false],
  ['NaN', 'NaN', false],
  ['-nan', '0', true],
  ['0x1.fffffffffffff8p0', '2', false],
  ['0x1p-1080', '0', false],
  ['1e-400', '0', false],
  ['0x', '0', true],
  ['1.5e', '0', true],
  ['', '0', true],
  ['0x1.8p1', '3', false],
  ['0x1p', '0', true],
  ['_1', '0', true],
  ['1__0', '0', true],
  ['4e-324', '5e-324', false],
  ['0x.8p1', '1', false],
  ['1.', '1', false],
  ['0b101', '0', true],
];

describe('strconv.ParseFloat as Go', () => {
  it.each(PARSE_FLOAT)('%j → %s (error: %s)', (s, want, err) => {
    const r = parseFloat64(s);
    expect(formatFloat(r.value, 'g', -1)).toBe(want);
    expect(r.err !== undefined).toBe(err);
  });
  it('the template literal form refuses the words and keeps the range result', () => {
    expect(parseGoFloat('inf')).toBeNull();
    expect(parseGoFloat('1e400')).toBe(Infinity);
    expect(parseGoFloat('1_000.5')).toBe(1000.5);
  });
});

describe("%q of a JS string (strconv.Quote)", () => {
  it.each([
    ['plain', '"plain"'],
    ['a"b\\c', '"a\\"b\\\\c"'],
    ['tab\there\n', '"tab\\there\\n"'],
    ['\x00\x7f', '"\\x00\\x7f"'],
    ['\u0085\u00a0\u00ad', '"\\u0085\\u00a0\\u00ad"'],
    ['zero\u200bwidth', '"zero\\u200bwidth"'],
    ['é ✓ 😀', '"é ✓ 😀"'],
    ['\ud800', '"�"'],
  ])('%j → %s', (s, want) => expect(goQuote(s)).toBe(want));
});
