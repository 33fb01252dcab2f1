/** Go's `unicode/utf8` decoding rules on raw bytes: an invalid byte decodes as U+FFFD of size 1. */

export const RUNE_ERROR = 0xfffd;

/** `utf8.DecodeRune(b[i:])`: [code point, size]; invalid or truncated input yields [U+FFFD, 1]. */
export function decodeRune(b: Uint8Array, i: number): [number, number] {
  const n = b.length - i;
  if (n <= 0) return [RUNE_ERROR, 0];
  const c0 = b[i]!;
  if (c0 < 0x80) return [c0, 1];
  const cont = (k: number, lo = 0x80, hi = 0xbf): number => {
    const c = b[i + k];
    return c !== undefined && c >= lo && c <= hi ? c : -1;
  };
  if (c0 >= 0xc2 && c0 <= 0xdf) {
    const c1 = cont(1);
    return c1 < 0 ? [RUNE_ERROR, 1] : [((c0 & 0x1f) << 6) | (c1 & 0x3f), 2];
  }
  if (c0 >= 0xe0 && c0 <= 0xef) {
    const c1 = cont(1, c0 === 0xe0 ? 0xa0 : 0x80, c0 === 0xed ? 0x9f : 0xbf);
    if (c1 < 0) return [RUNE_ERROR, 1];
    const c2 = cont(2);
    if (c2 < 0) return [RUNE_ERROR, 1];
    return [((c0 & 0x0f) << 12) | ((c1 & 0x3f) << 6) | (c2 & 0x3f), 3];
  }
  if (c0 >= 0xf0 && c0 <= 0xf4) {
    const c1 = cont(1, c0 === 0xf0 ? 0x90 : 0x80, c0 === 0xf4 ? 0x8f : 0xbf);
    if (c1 < 0) return [RUNE_ERROR, 1];
    const c2 = cont(2);
    if (c2 < 0) return [RUNE_ERROR, 1];
    const c3 = cont(3);
    if (c3 < 0) return [RUNE_ERROR, 1];
    return [((c0 & 0x07) << 18) | ((c1 & 0x3f) << 12) | ((c2 & 0x3f) << 6) | (c3 & 0x3f), 4];
  }
  return [RUNE_ERROR, 1];
}

/** Bytes to a JS string the way Go sees them when it iterates runes: each invalid byte becomes U+FFFD. */
export function decodeUtf8Go(b: Uint8Array, start = 0, end = b.length): string {
  let out = '';
  let run = start;
  let i = start;
  while (i < end) {
    if (b[i]! < 0x80) {
      i++;
      continue;
    }
    const [r, size] = decodeRune(b.subarray(0, end), i);
    if (r === RUNE_ERROR && size === 1) {
      out += Buffer.from(b.subarray(run, i)).toString('utf8') + '\ufffd';
      i += 1;
      run = i;
    } else {
      i += size;
    }
  }
  return out + Buffer.from(b.subarray(run, end)).toString('utf8');
}

/** The bytes of a JS string; lone surrogates (which no Go string can hold) become U+FFFD. */
export function utf8Bytes(s: string): Uint8Array {
  return Buffer.from(s, 'utf8');
}
