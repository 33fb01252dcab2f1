/**
 * Property tests: whatever text a user stores and whatever property they write, the lookups return or
 * throw an EsiError (never a TypeError/RangeError), and finish.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { EsiError } from '../../core/index.ts';
import { GoJsonError, marshal, unmarshalAny, unmarshalObject, validJSON } from '../gojson/index.ts';
import { awsExtractMap, awsPropertyOf, fakePropertyOf, get, vaultExtractMap, vaultValueOf } from './index.ts';
import { render, rootObjectArb, styleArb, treeArb } from '../../test/helpers/gjson/arbitraries.ts';

const STRUCTURAL = ['{', '}', '[', ']', '"', ':', ',', '\\', ' ', 'a', '1', '-', '.', 'e', 't', 'n', 'f', 'u', '#', '*', '?', '|', '(', ')', '=', '!', '%', '@', 'é', '\u0000'];
const structuralText = fc.array(fc.constantFrom(...STRUCTURAL), { maxLength: 60 }).map((a) => a.join(''));
const anyText = fc.oneof(structuralText, fc.string({ unit: 'binary', maxLength: 60 }), fc.string({ unit: 'grapheme', maxLength: 30 }));
const pathText = fc.oneof(structuralText.map((s) => s.slice(0, 20)), fc.string({ unit: 'binary', maxLength: 20 }));

function onlyEsiErrors(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof EsiError)) throw e;
  }
}

describe('gjson on arbitrary input', () => {
  test('get never throws anything but an EsiError', () => {
    fc.assert(
      fc.property(anyText, pathText, (json, path) => {
        onlyEsiErrors(() => {
          const r = get(json, path);
          r.string();
          r.stringBytes();
          expect(r.exists).toBe(r.type !== 'Null' || r.raw !== '');
        });
      }),
      { numRuns: 3000 },
    );
  });

  test('get on raw bytes never throws anything but an EsiError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), pathText, (bytes, path) => {
        onlyEsiErrors(() => get(bytes, path).stringBytes());
      }),
      { numRuns: 2000 },
    );
  });

  test('provider lookups never throw anything but an EsiError', () => {
    fc.assert(
      fc.property(fc.oneof(anyText, fc.tuple(rootObjectArb, styleArb).map(([t, s]) => render(t, s))), pathText, (json, path) => {
        onlyEsiErrors(() => awsPropertyOf(json, path));
        onlyEsiErrors(() => fakePropertyOf(json, path));
        onlyEsiErrors(() => awsExtractMap(json));
        onlyEsiErrors(() => vaultExtractMap(Buffer.from(json)));
        onlyEsiErrors(() => vaultValueOf(unmarshalObject(json, { useNumber: true }), path));
      }),
      { numRuns: 1000 },
    );
  });

  test('pathological wildcards finish (gjson caps matching work at 10000 steps per byte)', () => {
    const key = 'a'.repeat(3000);
    const json = `{"${key}":1}`;
    expect(get(json, '*a*a*a*a*a*a*a*a*a*a*b').exists).toBe(false);
    expect(get(json, '*a*a*a*a*').exists).toBe(true);
    expect(get(`["${key}"]`, '#(%"*a*a*a*a*a*a*a*a*b")#').raw).toBe('[]');
  });

  test('deep nesting fails with an EsiError instead of exhausting the stack', () => {
    const n = 3000;
    const json = '{"a":'.repeat(n) + '1' + '}'.repeat(n);
    onlyEsiErrors(() => get(json, Array(n).fill('a').join('.')));
    expect(get(json, Array(n).fill('a').join('|')).string()).toBe('1');
  });

  test('exact bytes stay available when gjson produces invalid UTF-8', () => {
    // gjson reads the 4 bytes after \u whatever they are, here ending inside a 4-byte character.
    const r = get('{"a":"\\u1😀"}', 'a');
    expect(Buffer.from(r.stringBytes()).toString('hex')).toBe('0080');
    expect(r.string()).toBe('\u0000\ufffd');
  });
});

describe('encoding/json on arbitrary input', () => {
  test('unmarshal throws only GoJsonError; marshal output is valid and a fixed point', () => {
    fc.assert(
      fc.property(fc.oneof(anyText, fc.tuple(treeArb, styleArb).map(([t, s]) => render(t, s))), fc.boolean(), (text, useNumber) => {
        let v;
        try {
          v = unmarshalAny(text, { useNumber });
        } catch (e) {
          expect(e).toBeInstanceOf(GoJsonError);
          return;
        }
        const once = marshal(v);
        expect(validJSON(once)).toBe(true);
        expect(marshal(unmarshalAny(once, { useNumber }))).toBe(once);
      }),
      { numRuns: 3000 },
    );
  });
});
