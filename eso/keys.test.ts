import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EsiError } from '../core/index.ts';
import { convertKey, convertKeys, validateKeys } from './keys.ts';

const v = (s = 'x') => Buffer.from(s);

// §4.2: per rune, letters/numbers/-._ kept; Default (and "") → `_`; Unicode → `_U%04x_`.
const conversions: [string, string, string][] = [
  ['', 'a/b', 'a_b'],
  ['Default', 'a/b', 'a_b'],
  ['Default', 'dev/config', 'dev_config'],
  ['Default', 'a b', 'a_b'],
  ['Default', 'a$b', 'a_b'],
  ['Default', 'a-b.c_d', 'a-b.c_d'],
  ['Default', 'é', 'é'],
  ['Default', 'ключ', 'ключ'],
  ['Default', '٣', '٣'],
  ['Default', 'Ⅻ', 'Ⅻ'],
  ['Default', '😀', '_'],
  ['Default', 'a:b@c', 'a_b_c'],
  ['Unicode', '$', '_U0024_'],
  ['Unicode', '/', '_U002f_'],
  ['Unicode', '😀', '_U1f600_'],
  ['Unicode', 'a b', 'a_U0020_b'],
  ['Unicode', 'ok-key', 'ok-key'],
  ['Unicode', '\t', '_U0009_'],
];

describe('conversionStrategy (§4.2)', () => {
  for (const [s, input, out] of conversions) {
    it(`${s || '""'}: ${JSON.stringify(input)} → ${JSON.stringify(out)}`, () => {
      expect(convertKey(s, input)).toBe(out);
      expect(Object.keys(convertKeys(s, { [input]: v() }))).toEqual([out]);
    });
  }
  it('two keys converting to the same key fail: secret name collision during conversion', () => {
    expect(() => convertKeys('Default', { 'a/b': v(), 'a_b': v() })).toThrow('secret name collision during conversion: a_b');
    expect(() => convertKeys('Default', { 'a/b': v(), 'a b': v() })).toThrow('secret name collision during conversion: a_b');
  });
  it('Unicode keeps distinct keys distinct where Default collides', () => {
    expect(Object.keys(convertKeys('Unicode', { 'a/b': v(), 'a b': v() })).sort()).toEqual(['a_U0020_b', 'a_U002f_b']);
  });
  it('keeps values byte-for-byte', () => {
    const out = convertKeys('Default', { 'k/1': Buffer.from([0, 255, 10]) });
    expect([...out['k_1']!]).toEqual([0, 255, 10]);
  });
  it('a key named __proto__ is an ordinary key', () => {
    const out = convertKeys('Default', JSON.parse('{"__proto__": "x"}') as never);
    expect(Object.keys(out)).toEqual(['__proto__']);
  });
});

// §4.3
const validations: { keys: string[]; ok?: string[]; err?: string }[] = [
  { keys: ['a', 'b.c', 'd-e', 'f_g'], ok: ['a', 'b.c', 'd-e', 'f_g'] },
  { keys: ['', 'a'], ok: ['a'] },
  { keys: [''], ok: [] },
  { keys: ['é'], ok: ['é'] },
  { keys: ['a/b'], err: "key has invalid character /, only alphanumeric, '-', '.' and '_' are allowed: a/b" },
  { keys: ['a b'], err: "key has invalid character  , only alphanumeric, '-', '.' and '_' are allowed: a b" },
  { keys: ['a$'], err: "key has invalid character $, only alphanumeric, '-', '.' and '_' are allowed: a$" },
  { keys: ['x'.repeat(253)], ok: ['x'.repeat(253)] },
  { keys: ['x'.repeat(254)], err: `key has length 254 but max is 253: (following is truncated): ${'x'.repeat(253)}` },
  { keys: ['é'.repeat(127)], err: 'key has length 254 but max is 253: (following is truncated): ' },
];

describe('key validation (§4.3)', () => {
  for (const c of validations) {
    it(`${JSON.stringify(c.keys.map((k) => (k.length > 20 ? `${k.slice(0, 3)}…(${k.length})` : k)))}`, () => {
      const m = Object.fromEntries(c.keys.map((k) => [k, v()]));
      if (c.err) expect(() => validateKeys(m)).toThrow(c.err);
      else expect(Object.keys(validateKeys(m)).sort()).toEqual([...c.ok!].sort());
    });
  }
});

describe('key properties', () => {
  it('Default conversion output always passes validation (or is empty) and never throws but collisions', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 20, unit: 'binary' }), { maxLength: 6 }), (keys) => {
        const m = Object.fromEntries(keys.map((k) => [k, v()]));
        try {
          const out = convertKeys('Default', m);
          for (const k of Object.keys(out)) if (Buffer.byteLength(k) <= 253) expect(() => validateKeys({ [k]: v() })).not.toThrow();
        } catch (e) {
          expect(e).toBeInstanceOf(EsiError);
          expect((e as Error).message).toMatch(/^secret name collision during conversion: /);
        }
      }),
      { numRuns: 1500 },
    );
  });
  it('Unicode conversion is injective on code points (no collisions for distinct keys)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ maxLength: 10, unit: 'grapheme' }), { maxLength: 6 }), (keys) => {
        const safe = keys.filter((k) => ![...k].some((ch) => /_/.test(ch)));
        const out = convertKeys('Unicode', Object.fromEntries(safe.map((k) => [k, v()])));
        expect(Object.keys(out)).toHaveLength(safe.length);
      }),
      { numRuns: 1000 },
    );
  });
  it('validation of random keys only ever throws EsiErrors', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300, unit: 'binary' }), (k) => {
        try {
          validateKeys({ [k]: v() });
        } catch (e) {
          expect(e).toBeInstanceOf(EsiError);
        }
      }),
      { numRuns: 1500 },
    );
  });
});
