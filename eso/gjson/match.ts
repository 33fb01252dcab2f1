/**
 * tidwall/match v1.1.1 `MatchLimit(str, pattern, maxcomp)` as gjson uses it for `*`/`?` keys and the `%`
 * query operator: `*` any run of characters, `?` one character (a UTF-8 rune; an invalid byte is one
 * rune that equals U+FFFD), `\` escapes the next character; the work is capped at `maxcomp * len(str)`
 * recursive steps, after which the match fails. Strings here are byte strings (one char per byte).
 */

const RUNE_ERROR = 0xfffd;

/** utf8.DecodeRuneInString on a byte string: [rune, size]; size 0 at the end. */
export function decodeRune(s: string, i: number): [number, number] {
  if (i >= s.length) return [RUNE_ERROR, 0];
  const c0 = s.charCodeAt(i);
  if (c0 < 0x80) return [c0, 1];
  const cont = (k: number, lo = 0x80, hi = 0xbf): number => {
    if (i + k >= s.length) return -1;
    const c = s.charCodeAt(i + k);
    return c >= lo && c <= hi ? c : -1;
  };
  if (c0 >= 0xc2 && c0 <= 0xdf) {
    const c1 = cont(1);
    return c1 < 0 ? [RUNE_ERROR, 1] : [((c0 & 0x1f) << 6) | (c1 & 0x3f), 2];
  }
  if (c0 >= 0xe0 && c0 <= 0xef) {
    const c1 = cont(1, c0 === 0xe0 ? 0xa0 : 0x80, c0 === 0xed ? 0x9f : 0xbf);
    const c2 = c1 < 0 ? -1 : cont(2);
    return c2 < 0 ? [RUNE_ERROR, 1] : [((c0 & 0x0f) << 12) | ((c1 & 0x3f) << 6) | (c2 & 0x3f), 3];
  }
  if (c0 >= 0xf0 && c0 <= 0xf4) {
    const c1 = cont(1, c0 === 0xf0 ? 0x90 : 0x80, c0 === 0xf4 ? 0x8f : 0xbf);
    const c2 = c1 < 0 ? -1 : cont(2);
    const c3 = c2 < 0 ? -1 : cont(3);
    return c3 < 0
      ? [RUNE_ERROR, 1]
      : [((c0 & 0x07) << 18) | ((c1 & 0x3f) << 12) | ((c2 & 0x3f) << 6) | (c3 & 0x3f), 4];
  }
  return [RUNE_ERROR, 1];
}

/** utf8.DecodeLastRuneInString on s[0:end]. */
function decodeLastRune(s: string, end: number): [number, number] {
  if (end <= 0) return [RUNE_ERROR, 0];
  if (s.charCodeAt(end - 1) < 0x80) return [s.charCodeAt(end - 1), 1];
  // Find the start of the last rune: at most 4 bytes back, at a non-continuation byte.
  const lim = Math.max(0, end - 4);
  let start = end - 1;
  while (start > lim && (s.charCodeAt(start) & 0xc0) === 0x80) start--;
  const [r, size] = decodeRune(s.slice(0, end), start);
  if (start + size !== end) return [RUNE_ERROR, 1];
  return [r, size];
}

const NO_MATCH = 0;
const MATCH = 1;
const STOP = 2;

export function matchLimit(str: string, pattern: string, maxcomp = 10000): boolean {
  if (pattern === '*') return true;
  const counter = { n: 0 };
  return match(str, pattern, str.length, counter, maxcomp) === MATCH;
}

function match(str: string, pat: string, slen: number, counter: { n: number }, maxcomp: number): number {
  if (maxcomp > -1) {
    if (counter.n > slen * maxcomp) return STOP;
    counter.n++;
  }
  while (pat.length > 0) {
    let wild = false;
    let [pc, ps] = pat.charCodeAt(0) > 0x7f ? decodeRune(pat, 0) : [pat.charCodeAt(0), 1];
    let sc = 0;
    let ss = 0;
    if (str.length > 0) [sc, ss] = str.charCodeAt(0) > 0x7f ? decodeRune(str, 0) : [str.charCodeAt(0), 1];
    if (pc === 0x3f /* ? */) {
      if (ss === 0) return NO_MATCH;
    } else if (pc === 0x2a /* * */) {
      while (pat.length > 1 && pat.charCodeAt(1) === 0x2a) pat = pat.slice(1);
      if (pat.length === 1) return MATCH;
      const t = trimSuffix(str, pat);
      if (!t.ok) return NO_MATCH;
      str = t.str;
      pat = t.pat;
      if (pat.length === 1) return MATCH;
      const r = match(str, pat.slice(1), slen, counter, maxcomp);
      if (r !== NO_MATCH) return r;
      if (str.length === 0) return NO_MATCH;
      wild = true;
    } else {
      if (ss === 0) return NO_MATCH;
      if (pc === 0x5c /* \ */) {
        pat = pat.slice(ps);
        [pc, ps] = decodeRune(pat, 0);
        if (ps === 0) return NO_MATCH;
      }
      if (sc !== pc) return NO_MATCH;
    }
    str = str.slice(ss);
    if (!wild) pat = pat.slice(ps);
  }
  return str.length === 0 ? MATCH : NO_MATCH;
}

function trimSuffix(str: string, pat: string): { str: string; pat: string; ok: boolean } {
  let ok = true;
  while (str.length > 0 && pat.length > 1) {
    let [pc, ps] = decodeLastRune(pat, pat.length);
    let esc = false;
    for (let i = 0; ; i++) {
      if (pat.charCodeAt(pat.length - ps - i - 1) !== 0x5c) {
        if ((i & 1) === 1) {
          esc = true;
          ps++;
        }
        break;
      }
    }
    if (pc === 0x2a && !esc) {
      ok = true;
      break;
    }
    const [sc, ss] = decodeLastRune(str, str.length);
    if (!((pc === 0x3f && !esc) || pc === sc)) {
      ok = false;
      break;
    }
    str = str.slice(0, str.length - ss);
    pat = pat.slice(0, pat.length - ps);
  }
  return { str, pat, ok };
}
