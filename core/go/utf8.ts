/**
 * Go strings are byte strings (Go's unicode/utf8). The template engine and the strconv port keep every Go
 * string as a JS "byte string": one UTF-16 code unit per byte (0–255), so binary secret values survive
 * unchanged and `len`, slicing and byte-wise functions behave as in Go. These helpers convert at the
 * edges and decode runes where Go does.
 */
const encoder = new TextEncoder();

/** Byte string from a JS (UTF-16) string, encoded as UTF-8 (lone surrogates become U+FFFD as in Go). */
export function fromText(s: string): string {
  let ascii = true;
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0x7f) {
      ascii = false;
      break;
    }
  }
  if (ascii) return s;
  return fromBytes(encoder.encode(s));
}

export function fromBytes(b: Uint8Array): string {
  let out = '';
  for (let i = 0; i < b.length; i += 8192) {
    out += String.fromCharCode(...b.subarray(i, Math.min(b.length, i + 8192)));
  }
  return out;
}

export function toBytes(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i) & 0xff;
  return b;
}

/** JS string from a byte string, decoding UTF-8 the way Go's `for range` does (bad bytes → U+FFFD). */
export function toText(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; ) {
    const [r, w] = decodeRune(s, i);
    out += String.fromCodePoint(r);
    i += w;
  }
  return out;
}

export const RUNE_ERROR = 0xfffd;

/** Decodes one UTF-8 rune at byte offset i: [rune, width]; invalid → [U+FFFD, 1] like utf8.DecodeRune. */
export function decodeRune(s: string, i: number): [number, number] {
  if (i >= s.length) return [RUNE_ERROR, 0];
  const c0 = s.charCodeAt(i);
  if (c0 < 0x80) return [c0, 1];
  // charCodeAt past the end is NaN, which fails every range check below, as a missing byte must.
  return runeOf(c0, s.charCodeAt(i + 1), s.charCodeAt(i + 2), s.charCodeAt(i + 3));
}

/**
 * utf8.DecodeRune's rules on a lead byte c0 (≥ 0x80) and the up to three bytes after it (NaN or undefined
 * where the input ends): [rune, width], [U+FFFD, 1] for an invalid or truncated sequence. The one decoder
 * behind decodeRune (byte strings) and decodeRuneBytes (Uint8Array).
 */
function runeOf(c0: number, c1: number | undefined, c2: number | undefined, c3: number | undefined): [number, number] {
  if (c0 >= 0xc2 && c0 <= 0xdf) {
    return cont(c1) ? [((c0 & 0x1f) << 6) | (c1 & 0x3f), 2] : [RUNE_ERROR, 1];
  }
  if (c0 >= 0xe0 && c0 <= 0xef) {
    if (!cont(c1, c0 === 0xe0 ? 0xa0 : 0x80, c0 === 0xed ? 0x9f : 0xbf) || !cont(c2)) return [RUNE_ERROR, 1];
    return [((c0 & 0x0f) << 12) | ((c1 & 0x3f) << 6) | (c2 & 0x3f), 3];
  }
  if (c0 >= 0xf0 && c0 <= 0xf4) {
    if (!cont(c1, c0 === 0xf0 ? 0x90 : 0x80, c0 === 0xf4 ? 0x8f : 0xbf) || !cont(c2) || !cont(c3)) return [RUNE_ERROR, 1];
    return [((c0 & 0x07) << 18) | ((c1 & 0x3f) << 12) | ((c2 & 0x3f) << 6) | (c3 & 0x3f), 4];
  }
  return [RUNE_ERROR, 1];
}

/** A byte within [lo, hi] (a continuation byte by default); false for a missing one. */
function cont(c: number | undefined, lo = 0x80, hi = 0xbf): c is number {
  return c !== undefined && c >= lo && c <= hi;
}

/** The runes of a byte string. */
export function runes(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; ) {
    const [r, w] = decodeRune(s, i);
    out.push(r);
    i += w;
  }
  return out;
}

/** UTF-8 byte string of one rune (invalid runes → U+FFFD, like utf8.EncodeRune). */
export function encodeRune(r: number): string {
  if (r < 0 || r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff)) r = RUNE_ERROR;
  if (r < 0x80) return String.fromCharCode(r);
  if (r < 0x800) return String.fromCharCode(0xc0 | (r >> 6), 0x80 | (r & 0x3f));
  if (r < 0x10000) return String.fromCharCode(0xe0 | (r >> 12), 0x80 | ((r >> 6) & 0x3f), 0x80 | (r & 0x3f));
  return String.fromCharCode(0xf0 | (r >> 18), 0x80 | ((r >> 12) & 0x3f), 0x80 | ((r >> 6) & 0x3f), 0x80 | (r & 0x3f));
}

export function fromRunes(rs: number[]): string {
  let out = '';
  for (const r of rs) out += encodeRune(r);
  return out;
}

export function runeCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; n++) i += decodeRune(s, i)[1];
  return n;
}

/** Applies a JS string function to the text of a byte string (for Unicode-aware case mapping). */
export function mapText(s: string, f: (t: string) => string): string {
  return fromText(f(toText(s)));
}

export function isValidUTF8(s: string): boolean {
  for (let i = 0; i < s.length; ) {
    const [r, w] = decodeRune(s, i);
    if (r === RUNE_ERROR && w === 1) return false;
    i += w;
  }
  return true;
}

// ---- the same rules on raw bytes (Uint8Array), for the JSON decoder (eso/gojson) -------------------------

/** `utf8.DecodeRune(b[i:])` on raw bytes (the JSON decoder's input): decodeRune's rules, [U+FFFD, 1] for invalid or truncated input. */
export function decodeRuneBytes(b: Uint8Array, i: number): [number, number] {
  if (i >= b.length) return [RUNE_ERROR, 0];
  const c0 = b[i]!;
  if (c0 < 0x80) return [c0, 1];
  return runeOf(c0, b[i + 1], b[i + 2], b[i + 3]);
}

/** Bytes to a JS string the way Go sees them when it iterates runes: each invalid byte becomes U+FFFD. */
export function decodeUtf8Go(b: Uint8Array, start = 0, end = b.length): string {
  let out = '';
  let run = start;
  let i = start;
  const view = b.subarray(0, end);
  while (i < end) {
    if (b[i]! < 0x80) {
      i++;
      continue;
    }
    const [r, size] = decodeRuneBytes(view, i);
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
