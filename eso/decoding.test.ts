import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { EsiError } from '../core/index.ts';
import { decode, decodeMap, goBase64Decode } from './decoding.ts';

/** Recorded from Go 1.26 encoding/base64 StdEncoding/URLEncoding.DecodeString. */
const oracle = JSON.parse(readFileSync(new URL('./testdata/go-regexp-base64.json', import.meta.url), 'utf8')) as {
  base64: { In: string; Enc: 'std' | 'url'; Out: string; Err: string }[];
};
const b = (s: string) => Buffer.from(s, 'utf8');
const hex = (u: Uint8Array) => Buffer.from(u).toString('hex');

describe('Go base64 decoding agrees with Go (bytes or the exact error offset)', () => {
  for (const c of oracle.base64) {
    it(`${c.Enc} ${JSON.stringify(c.In)}`, () => {
      if (c.Err) expect(() => goBase64Decode(b(c.In), c.Enc)).toThrow(c.Err);
      else expect(hex(goBase64Decode(b(c.In), c.Enc))).toBe(c.Out);
    });
  }
});

// ESO v2.9.0 runtime/decoding/decoding.go, one row per strategy behaviour.
const strategies: { strategy: string; input: string; out?: string; err?: string }[] = [
  { strategy: '', input: 'YWJj', out: 'YWJj' },
  { strategy: 'None', input: 'YWJj', out: 'YWJj' },
  { strategy: 'Base64', input: 'YWJj', out: 'abc' },
  { strategy: 'Base64', input: 'YWJ', err: 'illegal base64 data at input byte 0' },
  { strategy: 'Base64', input: 'YW\r\nJj', out: 'abc' },
  { strategy: 'Base64', input: '_-8=', err: 'illegal base64 data at input byte 0' },
  { strategy: 'Base64URL', input: '_-8=', out: '\xff\xef' },
  { strategy: 'Base64URL', input: '/+8=', err: 'illegal base64 data at input byte 0' },
  { strategy: 'Auto', input: '1234', out: '\xd7\x6d\xf8' },
  { strategy: 'Auto', input: 'aGVsbG8gd29ybGQ', out: 'aGVsbG8gd29ybGQ' },
  { strategy: 'Auto', input: 'aGVsbG8gd29ybGQ=', out: 'hello world' },
  { strategy: 'Auto', input: '_-8=', out: '\xff\xef' },
  { strategy: 'Auto', input: 'not base64!', out: 'not base64!' },
  { strategy: 'Auto', input: '', out: '' },
  { strategy: 'Hex', input: 'x', err: 'decoding strategy Hex is not supported' },
];

describe('decodingStrategy (§4.4)', () => {
  for (const c of strategies) {
    it(`${c.strategy || '""'} on ${JSON.stringify(c.input)}`, () => {
      if (c.err) expect(() => decode(c.strategy as never, b(c.input))).toThrow(c.err);
      else expect(Buffer.from(decode(c.strategy as never, b(c.input))).toString('latin1')).toBe(c.out);
    });
  }
  it('names the key in map decoding errors: failure decoding key %v: %w', () => {
    expect(() => decodeMap('Base64', { good: b('YQ=='), bad: b('YQ') })).toThrow('failure decoding key bad: illegal base64 data at input byte 0');
  });
  it('decodes values only, keys untouched', () => {
    const out = decodeMap('Base64', { 'YQ==': b('YQ==') });
    expect(Object.keys(out)).toEqual(['YQ==']);
    expect(Buffer.from(out['YQ==']!).toString()).toBe('a');
  });
});

describe('base64 properties', () => {
  it('round-trips anything Node encodes (std and url, padded)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        expect(hex(goBase64Decode(b(Buffer.from(bytes).toString('base64')), 'std'))).toBe(hex(bytes));
        expect(hex(goBase64Decode(b(Buffer.from(bytes).toString('base64url').padEnd(Math.ceil((bytes.length * 4) / 3 / 4) * 4, '=')), 'url'))).toBe(hex(bytes));
      }),
    );
  });
  it('random input never throws anything but an EsiError, for every strategy', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.constantFrom('', 'None', 'Base64', 'Base64URL', 'Auto'), (bytes, s) => {
        try {
          decode(s as never, bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(EsiError);
          expect((e as Error).message).toMatch(/^illegal base64 data at input byte \d+$/);
        }
      }),
      { numRuns: 3000 },
    );
  });
  it('Auto never throws', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => void decode('Auto', bytes)), { numRuns: 2000 });
  });
});
