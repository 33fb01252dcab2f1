import { expect, test } from 'vitest';
import { decodeRune, decodeRuneBytes, RUNE_ERROR } from './utf8.ts';

test('decodeRune (byte strings) and decodeRuneBytes (Uint8Array) decode every 1–3 byte prefix alike', () => {
  const samples = [0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff];
  for (let c0 = 0; c0 < 256; c0++) {
    for (const c1 of samples) {
      for (const c2 of [...samples, undefined]) {
        const bytes = c2 === undefined ? [c0, c1] : [c0, c1, c2, 0x80];
        expect(decodeRune(String.fromCharCode(...bytes), 0)).toEqual(decodeRuneBytes(Uint8Array.from(bytes), 0));
      }
    }
  }
});

test('decodeRune follows utf8.DecodeRune: valid runes, surrogates, overlongs and truncation', () => {
  const at = (...b: number[]) => decodeRuneBytes(Uint8Array.from(b), 0);
  expect(at(0xc3, 0xa9)).toEqual([0xe9, 2]);
  expect(at(0xe2, 0x82, 0xac)).toEqual([0x20ac, 3]);
  expect(at(0xf0, 0x9f, 0x98, 0x80)).toEqual([0x1f600, 4]);
  expect(at(0xed, 0xa0, 0x80)).toEqual([RUNE_ERROR, 1]); // a surrogate
  expect(at(0xc0, 0x80)).toEqual([RUNE_ERROR, 1]); // overlong
  expect(at(0xe2, 0x82)).toEqual([RUNE_ERROR, 1]); // truncated
  expect(decodeRune('\xe2\x82', 0)).toEqual([RUNE_ERROR, 1]);
  expect(decodeRune('', 0)).toEqual([RUNE_ERROR, 0]);
});
