/**
 * Go's strconv, the pieces esi needs: Quote (and so fmt's `%q`), Unquote, number parsing and float
 * formatting, over byte strings (utf8.ts). The one port of these behaviours: the template engine, ESO's
 * error texts and the providers use it; the template differential tests (eso/template/*.diff.test.ts)
 * check it against Go.
 */
import { decodeRune, encodeRune, fromText, RUNE_ERROR, toText } from './utf8.ts';

export class SyntaxErr extends Error {}

const isPrintRe = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;
/** unicode.IsPrint: letters, marks, numbers, punctuation, symbols and ASCII space. */
export function isPrint(r: number): boolean {
  if (r === 0x20) return true;
  if (r < 0x20 || r === 0x7f) return false;
  if (r < 0x7f) return true;
  if (r === 0xfffd) return true;
  return isPrintRe.test(String.fromCodePoint(r));
}

/** strconv.Unquote over a byte string; throws SyntaxErr ("invalid syntax"). */
export function unquote(s: string): string {
  const n = s.length;
  if (n < 2) throw new SyntaxErr('invalid syntax');
  const q = s[0];
  if (q !== s[n - 1]) throw new SyntaxErr('invalid syntax');
  const body = s.slice(1, n - 1);
  if (q === '`') {
    if (body.includes('`')) throw new SyntaxErr('invalid syntax');
    return body.replace(/\r/g, '');
  }
  if (q !== '"' && q !== "'") throw new SyntaxErr('invalid syntax');
  if (body.includes('\n')) throw new SyntaxErr('invalid syntax');
  if (!body.includes('\\') && !body.includes(q)) {
    if (q === '"') return body;
    if (q === "'") {
      const [r, w] = decodeRune(body, 0);
      if (body.length > 0 && w === body.length && !(r === RUNE_ERROR && w === 1)) return body;
    }
  }
  let out = '';
  let rest = body;
  while (rest.length > 0) {
    const [value, tail] = unquoteChar(rest, q);
    out += value;
    rest = tail;
    if (q === "'" ) {
      if (rest.length !== 0) throw new SyntaxErr('invalid syntax');
    }
  }
  if (q === "'" && out.length === 0) throw new SyntaxErr('invalid syntax');
  return out;
}

/** strconv.UnquoteChar: [decoded bytes, tail]; also returns the rune via unquoteCharRune. */
export function unquoteChar(s: string, quote: string): [string, string, number] {
  const c = s.charCodeAt(0);
  if (s[0] === quote && (quote === "'" || quote === '"')) throw new SyntaxErr('invalid syntax');
  if (c >= 0x80) {
    const [r, w] = decodeRune(s, 0);
    return [s.slice(0, w), s.slice(w), r];
  }
  if (s[0] !== '\\') return [s[0], s.slice(1), c];
  if (s.length <= 1) throw new SyntaxErr('invalid syntax');
  const e = s[1];
  let rest = s.slice(2);
  switch (e) {
    case 'a': return ['\x07', rest, 7];
    case 'b': return ['\b', rest, 8];
    case 'f': return ['\f', rest, 12];
    case 'n': return ['\n', rest, 10];
    case 'r': return ['\r', rest, 13];
    case 't': return ['\t', rest, 9];
    case 'v': return ['\v', rest, 11];
    case 'x':
    case 'u':
    case 'U': {
      const len = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      if (rest.length < len) throw new SyntaxErr('invalid syntax');
      let v = 0;
      for (let j = 0; j < len; j++) {
        const d = parseInt(rest[j], 16);
        if (Number.isNaN(d)) throw new SyntaxErr('invalid syntax');
        v = v * 16 + d;
      }
      rest = rest.slice(len);
      if (e === 'x') return [String.fromCharCode(v), rest, v];
      if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) throw new SyntaxErr('invalid syntax');
      return [encodeRune(v), rest, v];
    }
    case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': {
      const digits = s.slice(1, 4);
      if (digits.length < 3 || !/^[0-7]{3}$/.test(digits)) throw new SyntaxErr('invalid syntax');
      const v = parseInt(digits, 8);
      if (v > 255) throw new SyntaxErr('invalid syntax');
      return [String.fromCharCode(v), s.slice(4), v];
    }
    case '\\': return ['\\', rest, 92];
    case "'":
    case '"':
      if (e !== quote) throw new SyntaxErr('invalid syntax');
      return [e, rest, e.charCodeAt(0)];
    default:
      throw new SyntaxErr('invalid syntax');
  }
}

const lowerHex = '0123456789abcdef';

/** strconv.Quote / QuoteToASCII over a byte string. */
export function quote(s: string, ascii = false, q = '"'): string {
  let out = q;
  for (let i = 0; i < s.length; ) {
    const [r, w] = decodeRune(s, i);
    if (w === 1 && r === RUNE_ERROR) {
      out += '\\x' + lowerHex[s.charCodeAt(i) >> 4] + lowerHex[s.charCodeAt(i) & 15];
      i += 1;
      continue;
    }
    out += quoteRuneBody(r, q, ascii, s.slice(i, i + w));
    i += w;
  }
  return out + q;
}

/**
 * Go's `%q` of a string (strconv.Quote) for a JS string, as ESO's messages print keys and names: the
 * string is UTF-8 encoded as Go holds it (a lone surrogate becomes U+FFFD), printable runes are kept.
 */
export function goQuote(s: string): string {
  return toText(quote(fromText(s)));
}

function quoteRuneBody(r: number, q: string, ascii: boolean, raw: string): string {
  if (r === q.charCodeAt(0) || r === 92) return '\\' + String.fromCharCode(r);
  if (ascii ? r < 0x80 && isPrint(r) : isPrint(r)) return raw;
  switch (r) {
    case 7: return '\\a';
    case 8: return '\\b';
    case 12: return '\\f';
    case 10: return '\\n';
    case 13: return '\\r';
    case 9: return '\\t';
    case 11: return '\\v';
  }
  if (r < 0x20 || r === 0x7f) return '\\x' + lowerHex[r >> 4] + lowerHex[r & 15];
  const hex = r.toString(16);
  if (r < 0x10000) return '\\u' + hex.padStart(4, '0');
  return '\\U' + hex.padStart(8, '0');
}

/** strconv.QuoteRune (and ToASCII). */
export function quoteRune(r: number, ascii = false): string {
  if (r < 0 || r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff)) r = RUNE_ERROR;
  return "'" + quoteRuneBody(r, "'", ascii, encodeRune(r)) + "'";
}

export function canBackquote(s: string): boolean {
  for (let i = 0; i < s.length; ) {
    const [r, w] = decodeRune(s, i);
    i += w;
    if (w > 1) {
      if (r === 0xfeff) return false;
      continue;
    }
    if (r === RUNE_ERROR) return false;
    if ((r < ' '.charCodeAt(0) && r !== 9) || r === 0x60 || r === 0x7f) return false;
  }
  return true;
}

function underscoreOK(s: string): boolean {
  let saw = '^';
  let i = 0;
  if (s.length >= 1 && (s[0] === '-' || s[0] === '+')) s = s.slice(1);
  let hex = false;
  if (s.length >= 2 && s[0] === '0' && 'bBoOxX'.includes(s[1])) {
    i = 2;
    saw = '0';
    hex = s[1] === 'x' || s[1] === 'X';
  }
  for (; i < s.length; i++) {
    const c = s[i];
    if ((c >= '0' && c <= '9') || (hex && /[a-fA-F]/.test(c))) {
      saw = '0';
      continue;
    }
    if (c === '_') {
      if (saw !== '0') return false;
      saw = '_';
      continue;
    }
    if (saw === '_') return false;
    saw = '!';
  }
  return saw !== '_';
}

/** strconv.ParseInt(s, 0, 64) / ParseUint(s, 0, 64): bigint or null on any error. */
export function parseGoInt(s: string, unsigned: boolean): bigint | null {
  if (s.length === 0) return null;
  let neg = false;
  let body = s;
  if (!unsigned && (s[0] === '+' || s[0] === '-')) {
    neg = s[0] === '-';
    body = s.slice(1);
    if (body.length === 0) return null;
  }
  let base = 10;
  let digits = body;
  if (body[0] === '0') {
    if (body.length >= 3 && (body[1] === 'x' || body[1] === 'X')) { base = 16; digits = body.slice(2); }
    else if (body.length >= 3 && (body[1] === 'o' || body[1] === 'O')) { base = 8; digits = body.slice(2); }
    else if (body.length >= 3 && (body[1] === 'b' || body[1] === 'B')) { base = 2; digits = body.slice(2); }
    else { base = 8; digits = body.slice(1); if (digits.length === 0) digits = '0'; }
  }
  let underscores = false;
  let v = 0n;
  const B = BigInt(base);
  for (const c of digits) {
    if (c === '_') { underscores = true; continue; }
    const d = parseInt(c, 36);
    if (Number.isNaN(d) || d >= base) return null;
    v = v * B + BigInt(d);
  }
  if (underscores && !underscoreOK(body)) return null;
  if (unsigned) return v <= 0xffffffffffffffffn ? v : null;
  if (neg) v = -v;
  if (v > 0x7fffffffffffffffn || v < -0x8000000000000000n) return null;
  return v;
}

const DECIMAL_FLOAT = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;
const HEX_FLOAT = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?[0-9]+)$/;

/**
 * strconv.ParseFloat(s, 64): the value Go returns and whether it reported an error. A syntax error returns
 * 0; a range error ±Inf (a value too small rounds to 0 without error). Decimal, hexadecimal with a `p`
 * exponent, `inf`/`infinity` (any case, signed), `nan` (any case, unsigned), and digit-separating underscores by
 * Go's rule (underscoreOK).
 */
export function parseFloat64(text: string): { value: number; err?: 'syntax' | 'range' } {
  let s = text;
  if (s.includes('_')) {
    if (!underscoreOK(s)) return { value: 0, err: 'syntax' };
    s = s.replace(/_/g, '');
  }
  const lower = s.toLowerCase();
  const unsigned = lower[0] === '+' || lower[0] === '-' ? lower.slice(1) : lower;
  if (unsigned === 'inf' || unsigned === 'infinity') return { value: lower[0] === '-' ? -Infinity : Infinity };
  if (lower === 'nan') return { value: NaN }; // unsigned only
  let value: number;
  const m = HEX_FLOAT.exec(s);
  if (m) {
    const intDigits = m[2] ?? '';
    const fracDigits = m[3] ?? '';
    if (intDigits === '' && fracDigits === '') return { value: 0, err: 'syntax' };
    // One rounding of the mantissa to 53 bits, then exact scaling in steps that neither overflow nor underflow early.
    let v = Number(BigInt('0x' + (intDigits + fracDigits || '0')));
    let e = Number(m[4]) - 4 * fracDigits.length;
    while (e > 0) {
      const step = Math.min(e, 1000);
      v *= 2 ** step;
      e -= step;
    }
    while (e < 0) {
      const step = Math.max(e, -1000);
      v *= 2 ** step;
      e -= step;
    }
    value = m[1] === '-' ? -v : v;
  } else if (DECIMAL_FLOAT.test(s)) value = Number(s);
  else return { value: 0, err: 'syntax' };
  return Number.isFinite(value) ? { value } : { value, err: 'range' };
}

/** strconv.ParseFloat(s, 64) for Go literal syntax (the template engine's numbers): null on a syntax error, ±Inf out of range. */
export function parseGoFloat(s: string): number | null {
  const lower = s.toLowerCase().replace(/^[+-]/, '');
  if (lower === 'inf' || lower === 'infinity' || lower === 'nan') return null;
  const r = parseFloat64(s);
  return r.err === 'syntax' ? null : r.value;
}

/** strconv.FormatFloat(f, fmt, prec, 64) for fmt in e E f g G (prec -1 = shortest). */
export function formatFloat(f: number, fmt: string, prec: number): string {
  if (Number.isNaN(f)) return 'NaN';
  if (f === Infinity) return '+Inf';
  if (f === -Infinity) return '-Inf';
  const neg = f < 0 || Object.is(f, -0);
  const a = Math.abs(f);
  let digits: string;
  let dp: number; // decimal point position: value = 0.digits × 10^dp
  if ((fmt === 'g' || fmt === 'G') && prec === 0) prec = 1;
  const shortest = prec < 0;
  if (shortest) {
    ({ digits, dp } = shortestDigits(a));
  } else {
    let nd = prec;
    if (fmt === 'e' || fmt === 'E') nd = prec + 1;
    else if (fmt === 'g' || fmt === 'G') nd = prec === 0 ? 1 : prec;
    if (fmt === 'f' || fmt === 'F') {
      ({ digits, dp } = fixedDigits(a, prec));
    } else {
      ({ digits, dp } = precDigits(a, nd));
      if (fmt === 'g' || fmt === 'G') digits = digits.replace(/(?<=.)0+$/, '');
    }
  }
  let body: string;
  switch (fmt) {
    case 'e':
    case 'E':
      body = fmtE(digits, dp, shortest ? digits.length - 1 : prec, fmt);
      break;
    case 'f':
    case 'F':
      body = fmtF(digits, dp, shortest ? Math.max(digits.length - dp, 0) : prec);
      break;
    default: {
      let eprec = prec;
      if (eprec > digits.length && digits.length >= dp) eprec = digits.length;
      if (shortest) eprec = 6;
      const exp = dp - 1;
      if (digits === '0') {
        // zero: Go treats exponent as 0
      }
      if (exp < -4 || exp >= eprec) {
        let p = prec;
        if (p > digits.length) p = digits.length;
        body = fmtE(digits, dp, shortest ? digits.length - 1 : p - 1, fmt === 'G' ? 'E' : 'e');
      } else {
        let p = prec;
        if (p > dp) p = digits.length;
        body = fmtF(digits, dp, shortest ? Math.max(digits.length - dp, 0) : Math.max(p - dp, 0));
      }
    }
  }
  return (neg ? '-' : '') + body;
}

function shortestDigits(a: number): { digits: string; dp: number } {
  if (a === 0) return { digits: '0', dp: 1 };
  const e = a.toExponential(); // shortest round-trip digits
  const m = /^(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(e)!;
  const digits = (m[1] + (m[2] ?? '')).replace(/0+$/, '') || '0';
  return { digits, dp: parseInt(m[3], 10) + 1 };
}

function precDigits(a: number, nd: number): { digits: string; dp: number } {
  if (a === 0) return { digits: '0'.repeat(Math.max(nd, 1)), dp: 1 };
  if (nd <= 0) nd = 1;
  // Correct rounding of the exact binary value, half-to-even on exact ties (as Go's ryu/decimal code).
  const exact = exactDecimal(a);
  return roundDigits(exact.digits, exact.dp, nd);
}

function fixedDigits(a: number, prec: number): { digits: string; dp: number } {
  const exact = exactDecimal(a);
  const nd = exact.dp + prec;
  if (nd < 0) return { digits: '0', dp: 1 };
  return roundDigits(exact.digits, exact.dp, nd);
}

/** Exact decimal expansion of a double (digits without leading zeros, decimal point position). */
function exactDecimal(a: number): { digits: string; dp: number } {
  if (a === 0) return { digits: '0', dp: 1 };
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, a);
  const hi = buf.getUint32(0);
  const lo = buf.getUint32(4);
  const exp = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e2: number;
  if (exp === 0) e2 = -1074;
  else {
    mant |= 1n << 52n;
    e2 = exp - 1075;
  }
  let s: string;
  let frac = 0;
  if (e2 >= 0) s = (mant << BigInt(e2)).toString();
  else {
    frac = -e2;
    s = (mant * 5n ** BigInt(frac)).toString();
  }
  // value = s × 10^-frac
  const stripped = s.replace(/^0+/, '');
  const dp = stripped.length - frac;
  return { digits: stripped.replace(/0+$/, '') || '0', dp };
}

/** Round a digit string to nd digits, half-to-even on exact ties (Go's decimal rounding). */
function roundDigits(digits: string, dp: number, nd: number): { digits: string; dp: number } {
  if (nd >= digits.length) return { digits: digits + '0'.repeat(Math.max(0, nd - digits.length)), dp };
  if (nd < 0) return { digits: '', dp };
  let up = false;
  const next = digits.charCodeAt(nd) - 48;
  if (next > 5) up = true;
  else if (next === 5) {
    const rest = digits.slice(nd + 1);
    if (/[1-9]/.test(rest)) up = true;
    else up = nd > 0 && (digits.charCodeAt(nd - 1) - 48) % 2 === 1;
  }
  let kept = digits.slice(0, nd);
  if (up) {
    const arr = kept.split('').map((c) => c.charCodeAt(0) - 48);
    let i = arr.length - 1;
    while (i >= 0 && arr[i] === 9) {
      arr[i] = 0;
      i--;
    }
    if (i < 0) {
      arr.unshift(1);
      arr.pop();
      dp += 1;
      if (arr.length === 0) arr.push(1);
    } else arr[i]++;
    kept = arr.join('');
    if (nd === 0) {
      kept = '1';
      return { digits: kept, dp: dp };
    }
  }
  if (kept === '') return { digits: '0', dp: dp };
  return { digits: kept, dp };
}

function fmtE(digits: string, dp: number, prec: number, fmt: string): string {
  let out = digits[0] ?? '0';
  if (prec > 0) {
    out += '.';
    const rest = digits.slice(1);
    out += rest.slice(0, prec).padEnd(prec, '0');
  }
  let exp = digits === '0' || /^0+$/.test(digits) ? 0 : dp - 1;
  out += fmt === 'E' ? 'E' : 'e';
  let sign = '+';
  if (exp < 0) {
    sign = '-';
    exp = -exp;
  }
  return out + sign + (exp < 10 ? '0' + exp : String(exp));
}

function fmtF(digits: string, dp: number, prec: number): string {
  let out = '';
  if (/^0+$/.test(digits)) dp = 1;
  if (dp > 0) {
    out = digits.slice(0, dp).padEnd(dp, '0');
  } else out = '0';
  if (prec > 0) {
    out += '.';
    for (let i = 0; i < prec; i++) {
      const j = dp + i;
      out += j < 0 || j >= digits.length ? '0' : digits[j];
    }
  }
  return out;
}

/** strconv.FormatFloat(f, 'g', -1, 32): shortest digits that round-trip through float32. */
export function formatFloat32(f: number): string {
  const x = Math.fround(f);
  if (!Number.isFinite(x) || x === 0) return formatFloat(x, 'g', -1);
  for (let p = 1; p <= 9; p++) {
    const s = x.toPrecision(p);
    if (Math.fround(Number(s)) === x) return formatFloat(Number(s), 'g', -1);
  }
  return formatFloat(x, 'g', -1);
}

function floatParts(f: number): { neg: boolean; mant: bigint; exp: number } {
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, f);
  const bits = buf.getBigUint64(0);
  const neg = bits >> 63n === 1n;
  let exp = Number((bits >> 52n) & 0x7ffn);
  let mant = bits & ((1n << 52n) - 1n);
  if (exp === 0) exp++;
  else mant |= 1n << 52n;
  return { neg, mant, exp: exp - 1023 };
}

/** strconv.FormatFloat(f, 'b', -1, 64): decimal mantissa, binary exponent. */
export function formatBinaryFloat(f: number): string {
  if (Number.isNaN(f)) return 'NaN';
  if (!Number.isFinite(f)) return f > 0 ? '+Inf' : '-Inf';
  const { neg, mant, exp } = floatParts(f);
  const e = exp - 52;
  return (neg ? '-' : '') + mant.toString() + 'p' + (e >= 0 ? '+' : '') + String(e);
}

/** strconv.FormatFloat(f, 'x'|'X', prec, 64): hexadecimal mantissa and binary exponent. */
export function formatHexFloat(f: number, upper: boolean, prec = -1): string {
  if (Number.isNaN(f)) return 'NaN';
  if (!Number.isFinite(f)) return f > 0 ? '+Inf' : '-Inf';
  const M64 = (1n << 64n) - 1n;
  let { neg, mant, exp } = floatParts(f);
  if (mant === 0n) exp = 0;
  mant = (mant << 8n) & M64;
  while (mant !== 0n && (mant & (1n << 60n)) === 0n) {
    mant = (mant << 1n) & M64;
    exp--;
  }
  if (prec >= 0 && prec < 15) {
    const shift = BigInt(prec * 4);
    const extra = (mant << shift) & ((1n << 60n) - 1n);
    mant >>= 60n - shift;
    if ((extra | (mant & 1n)) > 1n << 59n) mant++;
    mant = (mant << (60n - shift)) & M64;
    if ((mant & (1n << 61n)) !== 0n) {
      mant >>= 1n;
      exp++;
    }
  }
  const hex = upper ? '0123456789ABCDEF' : '0123456789abcdef';
  let out = (neg ? '-' : '') + '0' + (upper ? 'X' : 'x') + String(Number((mant >> 60n) & 1n));
  mant = (mant << 4n) & M64;
  if (prec < 0 && mant !== 0n) {
    out += '.';
    while (mant !== 0n) {
      out += hex[Number((mant >> 60n) & 15n)];
      mant = (mant << 4n) & M64;
    }
  } else if (prec > 0) {
    out += '.';
    for (let i = 0; i < prec; i++) {
      out += hex[Number((mant >> 60n) & 15n)];
      mant = (mant << 4n) & M64;
    }
  }
  out += upper ? 'P' : 'p';
  out += exp < 0 ? '-' : '+';
  out += String(Math.abs(exp)).padStart(2, '0');
  return out;
}
