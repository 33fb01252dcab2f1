/**
 * The sprig v3 functions ESO v2 templates see (ESO vendors sprig without env/expandenv/getHostByName).
 * Each entry declares its Go parameter types so argument errors match text/template's.
 * Functions that need a clock or randomness take them from the caller (ExecuteOptions); without one
 * they fail with a clear error, because the engine itself is pure.
 */
import { createHash } from 'node:crypto';
import { decodeRune, encodeRune, fromRunes, fromText, runes, toText } from '../../core/go/utf8.ts';
import { b32decode, b32encode, b64decode, b64encode, marshalJSON, unmarshalJSON } from './encoding.ts';
import { CallError, type FuncDef, type ParamType } from './exec.ts';
import { sprint, sprintf } from './fmt.ts';
import { canBackquote, quote as goQuote, formatFloat, parseGoFloat, parseGoInt } from '../../core/go/strconv.ts';
import { goRegexp, expandTemplate, regexQuoteMeta } from './regexp.ts';
import { formatURL, parseURL, type GoURL } from './url.ts';
import {
  GoInt, GoMap, GoSlice, GoTime, type GoValue, int64, isTrue, kindOf, NO_VALUE, sortedKeys, typeName, type Value,
} from './value.ts';
import { durationString, parseDuration } from '../../core/go/time.ts';
import { formatTime, inZone, parseTime } from './time.ts';
import { semverCheck } from './semver.ts';
import { semverFunc } from './semver-value.ts';
import { buildCustomCert, type CertEnv, genCA, genPrivateKey, genSelfSignedCert, genSignedCert } from './sprig-certs.ts';
import { bcrypt, decryptAES, derivePassword, encryptAES, hexdec, htpasswd } from './sprig-crypto.ts';

const A = 'interface {}' as const;
const S = 'string' as const;
const I = 'int' as const;

function def(inTypes: ParamType[], call: (args: GoValue[]) => Value, variadic?: ParamType): FuncDef {
  return { in: inTypes, variadic, call: (args) => call(args.map((a) => (a === NO_VALUE ? null : (a as GoValue)))) };
}

// ------------------------------------------------------------------------------------------ helpers

/** sprig strval */
export function strval(v: GoValue): string {
  if (typeof v === 'string') return v;
  if (v instanceof GoSlice && v.elem === 'uint8') return String.fromCharCode(...v.items.map((b) => Number((b as GoInt).v)));
  return sprintf('%v', [v]);
}


/**
 * spf13/cast v1.10.0 trimDecimal (number.go): a decimal string keeps its integer part ("3.75" → "3",
 * ".5" → "0", "-.5" → "-0"); anything else is left for strconv.ParseInt to judge.
 */
function castTrimDecimal(s: string): string {
  if (!s.includes('.')) return s;
  const m = /^([-+]?[0-9]*)(\.[0-9]*)?$/.exec(s);
  if (!m) return s;
  const int = m[1]!;
  return int === '-' || int === '+' ? int + '0' : int === '' ? '0' : int;
}

/** spf13/cast v1.10.0 ToInt64 (errors → 0). */
export function toInt64(v: GoValue): bigint {
  if (v === null) return 0n;
  if (typeof v === 'bigint') return v;
  if (v instanceof GoInt) return v.v;
  if (typeof v === 'number') {
    // Go's float→int64 conversion on amd64 yields MinInt64 for NaN and out-of-range values.
    if (!Number.isFinite(v) || Math.abs(v) >= 2 ** 63) return -(2n ** 63n);
    return BigInt(Math.trunc(v));
  }
  if (typeof v === 'boolean') return v ? 1n : 0n;
  if (typeof v === 'string') {
    const r = parseGoInt(castTrimDecimal(v), false);
    return r ?? 0n;
  }
  return 0n;
}

/** spf13/cast ToFloat64 (errors → 0). */
export function toFloat64(v: GoValue): number {
  if (v === null) return 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof GoInt) return Number(v.v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    const f = parseGoFloat(v);
    if (f !== null) return f;
    if (/^[+-]?(inf|infinity)$/i.test(v)) return v.startsWith('-') ? -Infinity : Infinity;
    if (/^nan$/i.test(v)) return NaN;
    return 0;
  }
  return 0;
}

const toInt = (v: GoValue): bigint => BigInt.asIntN(64, toInt64(v));

function listItems(v: GoValue, _verb: string): GoValue[] | null {
  return v instanceof GoSlice ? v.items : null;
}

function kindName(v: GoValue): string {
  const k = kindOf(v);
  return k === 'interface' ? 'invalid' : k === 'func' ? 'func' : k;
}

function mustList(v: GoValue, verb: string): GoValue[] {
  const items = listItems(v, verb);
  if (items === null) throw new CallError(`Cannot ${verb} on type ${kindName(v)}`);
  return items;
}

function deepEqual(a: GoValue, b: GoValue): boolean {
  if (a === b) return true;
  if (typeName(a) !== typeName(b)) return false;
  if (a instanceof GoInt && b instanceof GoInt) return a.v === b.v;
  if (a instanceof GoSlice && b instanceof GoSlice) {
    if (a.isNil !== b.isNil) return false;
    return a.items.length === b.items.length && a.items.every((x, i) => deepEqual(x, b.items[i]));
  }
  if (a instanceof GoMap && b instanceof GoMap) {
    if (a.isNil !== b.isNil || a.m.size !== b.m.size) return false;
    for (const [k, v] of a.m) if (!b.m.has(k) || !deepEqual(v, b.m.get(k)!)) return false;
    return true;
  }
  if (typeof a === 'number' && typeof b === 'number') return a === b;
  return false;
}

const empty = (v: GoValue): boolean => !isTrue(v);

function deepCopy(v: GoValue): GoValue {
  if (v instanceof GoSlice) return new GoSlice(v.elem, v.items.map(deepCopy), v.isNil);
  if (v instanceof GoMap) return new GoMap(v.elem, new Map([...v.m].map(([k, x]) => [k, deepCopy(x)])), v.isNil);
  return v;
}

const ifaceList = (items: GoValue[], isNil = false) => new GoSlice('interface {}', items, isNil);
const strList = (items: string[]) => new GoSlice('string', items);
/** A []string result that may be Go's nil slice (prints as [], marshals to JSON null). */
const goStrings = (items: string[] | null) => new GoSlice('string', items ?? [], items === null);

function asDict(v: GoValue): GoMap {
  return v as GoMap;
}

const isSpaceRune = (r: number) =>
  r === 0x20 || (r >= 0x09 && r <= 0x0d) || r === 0x85 || r === 0xa0 || r === 0x1680 || (r >= 0x2000 && r <= 0x200a) ||
  r === 0x2028 || r === 0x2029 || r === 0x202f || r === 0x205f || r === 0x3000;

function trimSpace(s: string): string {
  const rs = runes(s);
  let a = 0;
  let b = rs.length;
  while (a < b && isSpaceRune(rs[a])) a++;
  while (b > a && isSpaceRune(rs[b - 1])) b--;
  if (a === 0 && b === rs.length) return s;
  // keep original bytes (including invalid ones) of the middle
  let start = 0;
  for (let k = 0; k < a; k++) start += decodeRune(s, start)[1];
  let end = s.length;
  for (let k = rs.length; k > b; k--) {
    let p = end - 1;
    while (p > start && (s.charCodeAt(p) & 0xc0) === 0x80 && end - p < 4) p--;
    end = p;
  }
  return s.slice(start, end);
}

/** strings.Trim(s, cutset) */
function trimCutset(s: string, cutset: string): string {
  const cut = new Set(runes(cutset));
  const rs = runesWithBytes(s);
  let a = 0;
  let b = rs.length;
  while (a < b && cut.has(rs[a][0])) a++;
  while (b > a && cut.has(rs[b - 1][0])) b--;
  return rs.slice(a, b).map((x) => x[1]).join('');
}

function runesWithBytes(s: string): [number, string][] {
  const out: [number, string][] = [];
  for (let i = 0; i < s.length; ) {
    const [r, w] = decodeRune(s, i);
    out.push([r, s.slice(i, i + w)]);
    i += w;
  }
  return out;
}

function goTitle(s: string): string {
  // strings.Title: upper-case letters that follow a separator (non letter/digit/underscore rune).
  let prev = 0x20;
  return runesWithBytes(s)
    .map(([r, raw]) => {
      const sep = isSeparator(prev);
      prev = r;
      if (r === 0xfffd && raw.length === 1) return '\xef\xbf\xbd';
      return sep ? fromText(toTitleRune(r)) : raw;
    })
    .join('');
}

function isSeparator(r: number): boolean {
  if (r <= 0x7f) {
    if ((r >= 48 && r <= 57) || (r >= 97 && r <= 122) || (r >= 65 && r <= 90) || r === 95) return false;
    return true;
  }
  const ch = String.fromCodePoint(r);
  if (/[\p{L}\p{Nd}]/u.test(ch)) return false;
  return /\s/u.test(ch);
}

function toTitleRune(r: number): string {
  const ch = String.fromCodePoint(r);
  const up = ch.toUpperCase();
  return [...up].length === 1 ? up : ch;
}

function goUpper(s: string): string {
  return runesWithBytes(s).map(([r, raw]) => (r === 0xfffd && raw.length === 1 ? '\xef\xbf\xbd' : fromText(singleCase(r, true)))).join('');
}
function goLower(s: string): string {
  return runesWithBytes(s).map(([r, raw]) => (r === 0xfffd && raw.length === 1 ? '\xef\xbf\xbd' : fromText(singleCase(r, false)))).join('');
}
function singleCase(r: number, up: boolean): string {
  const ch = String.fromCodePoint(r);
  const m = up ? ch.toUpperCase() : ch.toLowerCase();
  return [...m].length === 1 ? m : ch;
}

function untitle(s: string): string {
  // sprig untitle: lower-case the first letter of each word (words split on whitespace).
  let out = '';
  let inWord = false;
  for (const [r] of runesWithBytes(s)) {
    if (isSpaceRune(r)) {
      inWord = false;
      out += encodeRune(r);
    } else if (!inWord) {
      inWord = true;
      out += fromText(singleCase(r, false));
    } else out += encodeRune(r);
  }
  return out;
}

function swapcase(s: string): string {
  return runesWithBytes(s)
    .map(([r, raw]) => {
      const ch = String.fromCodePoint(r);
      if (ch !== ch.toLowerCase()) return fromText(singleCase(r, false));
      if (ch !== ch.toUpperCase()) return fromText(singleCase(r, true));
      void raw;
      return encodeRune(r);
    })
    .join('');
}

function initials(s: string): string {
  // goutils.Initials appends the first *byte* of each word, converted to a rune
  let out = '';
  let last = true;
  for (let i = 0; i < s.length; ) {
    const [r, w] = decodeRune(s, i);
    if (isSpaceRune(r)) last = true;
    else if (last) {
      out += encodeRune(s.charCodeAt(i));
      last = false;
    }
    i += w;
  }
  return out;
}

/** goutils.DeleteWhiteSpace: byte by byte, each kept byte re-encoded as a rune. */
function deleteWhiteSpace(s: string): string {
  let out = '';
  let count = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!isSpaceRune(c)) {
      out += encodeRune(c);
      count++;
    }
  }
  return count === s.length ? s : out;
}

function abbreviateFull(str: string, offset: number, maxWidth: number): string {
  if (str === '') return '';
  if (maxWidth < 4) return '';
  if (str.length <= maxWidth) return str;
  if (offset > str.length) offset = str.length;
  if (str.length - offset < maxWidth - 3) offset = str.length - (maxWidth - 3);
  if (offset <= 4) return str.slice(0, maxWidth - 3) + '...';
  if (maxWidth < 7) return '';
  if (offset + maxWidth - 3 < str.length) return '...' + abbreviateFull(str.slice(offset), 0, maxWidth - 3);
  return '...' + str.slice(str.length - (maxWidth - 3));
}

function wrapCustom(str: string, wrapLength: number, newLineStr: string, wrapLongWords: boolean): string {
  if (str === '') return '';
  if (newLineStr === '') newLineStr = '\n';
  if (wrapLength < 1) wrapLength = 1;
  const inputLineLength = str.length;
  let offset = 0;
  let out = '';
  while (inputLineLength - offset > wrapLength) {
    if (str[offset] === ' ') {
      offset++;
      continue;
    }
    const end = wrapLength + offset + 1;
    let spaceToWrapAt = str.slice(offset, end).lastIndexOf(' ') + offset;
    if (spaceToWrapAt >= offset) {
      out += str.slice(offset, spaceToWrapAt) + newLineStr;
      offset = spaceToWrapAt + 1;
    } else if (wrapLongWords) {
      out += str.slice(offset, wrapLength + offset) + newLineStr;
      offset += wrapLength;
    } else {
      const e = wrapLength + offset;
      const index = str.slice(e).indexOf(' ');
      if (index === -1) {
        out += str.slice(offset);
        offset = inputLineLength;
      } else {
        spaceToWrapAt = index + e;
        out += str.slice(offset, spaceToWrapAt) + newLineStr;
        offset = spaceToWrapAt + 1;
      }
    }
  }
  return out + str.slice(offset);
}

/** sprig strslice */
function strslice(v: GoValue): string[] {
  if (v instanceof GoSlice) {
    if (v.elem === 'string') return v.items as string[];
    return v.items.filter((x) => x !== null).map(strval);
  }
  if (v === null) return [];
  return [strval(v)];
}

function sliceBounds(msg: string): never {
  throw new CallError(`runtime error: ${msg}`);
}

function substr(start: bigint, end: bigint, s: string): string {
  const n = BigInt(s.length);
  if (start < 0n) {
    if (end < 0n || end > n) sliceBounds(`slice bounds out of range [:${end}] with length ${n}`);
    return s.slice(0, Number(end));
  }
  if (end < 0n || end > n) {
    if (start > n) sliceBounds(`slice bounds out of range [${start}:${n}]`);
    return s.slice(Number(start));
  }
  if (start > end) sliceBounds(`slice bounds out of range [${start}:${end}]`);
  return s.slice(Number(start), Number(end));
}

function untilStep(start: bigint, stop: bigint, step: bigint, limit: (n: number) => void): bigint[] {
  const v: bigint[] = [];
  if (stop < start) {
    if (step >= 0n) return v;
    for (let i = start; i > stop; i += step) {
      v.push(i);
      if (v.length % 1024 === 0) limit(1024);
    }
    return v;
  }
  if (step <= 0n) return v;
  for (let i = start; i < stop; i += step) {
    v.push(i);
    if (v.length % 1024 === 0) limit(1024);
  }
  return v;
}

// --------------------------------------------------------------------------------- decimal arithmetic

/** shopspring/decimal as sprig's *f functions use it: exact decimal arithmetic, Float64() at the end. */
interface Dec {
  v: bigint;
  exp: number;
}
function decOf(x: GoValue): Dec {
  const f = toFloat64(x);
  if (!Number.isFinite(f)) throw new CallError(`Cannot create a Decimal from ${formatFloat(f, 'g', -1)}`);
  const s = formatFloat(f, 'e', -1);
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s)!;
  const digits = m[2] + (m[3] ?? '');
  const exp = parseInt(m[4], 10) - (digits.length - 1);
  return { v: BigInt(m[1] + digits), exp };
}
function decAlign(a: Dec, b: Dec): [bigint, bigint, number] {
  const e = Math.min(a.exp, b.exp);
  return [a.v * 10n ** BigInt(a.exp - e), b.v * 10n ** BigInt(b.exp - e), e];
}
function decToFloat(d: Dec): number {
  return Number(`${d.v}e${d.exp}`);
}
const decAdd = (a: Dec, b: Dec): Dec => {
  const [x, y, e] = decAlign(a, b);
  return { v: x + y, exp: e };
};
const decSub = (a: Dec, b: Dec): Dec => {
  const [x, y, e] = decAlign(a, b);
  return { v: x - y, exp: e };
};
const decMul = (a: Dec, b: Dec): Dec => ({ v: a.v * b.v, exp: a.exp + b.exp });
function decDiv(a: Dec, b: Dec): Dec {
  if (b.v === 0n) throw new CallError('decimal division by 0');
  // DivRound(d2, 16): quotient rounded half away from zero to 16 decimal places
  const prec = 16;
  // a/b = (a.v / b.v) × 10^(a.exp - b.exp); scale so the result has exponent -prec
  const shift = a.exp - b.exp + prec;
  let num = a.v;
  let den = b.v;
  if (shift >= 0) num *= 10n ** BigInt(shift);
  else den *= 10n ** BigInt(-shift);
  const neg = num < 0n !== den < 0n;
  if (num < 0n) num = -num;
  if (den < 0n) den = -den;
  let q = num / den;
  const r = num % den;
  if (r * 2n >= den) q += 1n;
  return { v: neg ? -q : q, exp: -prec };
}

function execDecimalOp(a: GoValue, b: GoValue[], f: (x: Dec, y: Dec) => Dec): number {
  let prt = decOf(a);
  for (const x of b) prt = f(prt, decOf(x));
  return decToFloat(prt);
}

// ------------------------------------------------------------------------------------------- dicts

function dictOf(args: GoValue[]): GoMap {
  const m = new Map<string, GoValue>();
  for (let i = 0; i < args.length; i += 2) {
    const key = strval(args[i]);
    if (i + 1 >= args.length) {
      m.set(key, '');
      continue;
    }
    m.set(key, args[i + 1]);
  }
  return new GoMap('interface {}', m);
}

function mergeInto(dst: GoMap, src: GoMap, overwrite: boolean): void {
  for (const [k, sv] of src.m) {
    const dv = dst.m.get(k);
    if (dv instanceof GoMap && sv instanceof GoMap && dv.elem === 'interface {}' && sv.elem === 'interface {}') {
      mergeInto(dv, sv, overwrite);
      continue;
    }
    // mergo: a missing or empty destination value takes the source's; WithOverride also replaces
    // non-empty destination values, but never with an empty source value.
    if (!dst.m.has(k) || (dv !== undefined && empty(dv))) dst.m.set(k, sv);
    else if (overwrite && !empty(sv)) dst.m.set(k, sv);
  }
}

// ----------------------------------------------------------------------------------------- strings

function camelSplitWords(s: string): string[] {
  return toText(s).split(/[_\-\s.]+/).filter(Boolean);
}

function toPascalCase(s: string): string {
  // xstrings.ToPascalCase: words split on _, -, space, .; first letter of each word upper-cased.
  return fromText(
    camelSplitWords(s)
      .map((w) => w[0].toUpperCase() + w.slice(1))
      .join(''),
  );
}

function toDelimited(s: string, delim: string): string {
  // xstrings snake/kebab: split on case changes, non-alphanumerics become delimiters, lower-case.
  const t = toText(s);
  let out = '';
  let prevLower = false;
  let prevDigit = false;
  let pendingDelim = false;
  const chars = [...t];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    const isUpper = c !== c.toLowerCase() && c === c.toUpperCase();
    const isLower = c !== c.toUpperCase() && c === c.toLowerCase();
    const isDigit = /\p{Nd}/u.test(c);
    if (!isUpper && !isLower && !isDigit) {
      if (out.length > 0) pendingDelim = true;
      prevLower = false;
      prevDigit = false;
      continue;
    }
    if (pendingDelim) {
      out += delim;
      pendingDelim = false;
    } else if (isUpper && out.length > 0) {
      const next = chars[i + 1];
      const nextLower = next !== undefined && next !== next.toUpperCase() && next === next.toLowerCase();
      if (prevLower || prevDigit || nextLower) out += delim;
    }
    out += c.toLowerCase();
    prevLower = isLower;
    prevDigit = isDigit;
  }
  return fromText(out);
}

// ---------------------------------------------------------------------------------------- the map

export interface SprigEnv {
  now?: () => Date;
  randomBytes?: (n: number) => Uint8Array;
}

export function needRandom(env: SprigEnv, name: string): (n: number) => Uint8Array {
  if (!env.randomBytes) throw new CallError(`${name} needs a random source, which this caller did not provide`);
  return env.randomBytes;
}

function randomString(env: SprigEnv, name: string, count: bigint, alphabet: string): string {
  const rnd = needRandom(env, name);
  const n = Number(count);
  if (n <= 0) return '';
  if (n > 1 << 20) throw new CallError(`${name}: count too large`);
  const bytes = rnd(n * 2);
  let out = '';
  for (let i = 0; i < n; i++) out += alphabet[((bytes[2 * i] << 8) | bytes[2 * i + 1]) % alphabet.length];
  return out;
}

const ALPHA = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const NUM = '0123456789';
const ASCII = Array.from({ length: 94 }, (_, i) => String.fromCharCode(33 + i)).join('');

export function sprigFuncs(env: SprigEnv): Record<string, FuncDef> {
  const m: Record<string, FuncDef> = {};
  const reg = (names: string | string[], d: FuncDef) => {
    for (const n of Array.isArray(names) ? names : [names]) m[n] = d;
  };

  // strings
  reg('upper', def([S], ([s]) => goUpper(s as string)));
  reg('lower', def([S], ([s]) => goLower(s as string)));
  reg('title', def([S], ([s]) => goTitle(s as string)));
  reg('untitle', def([S], ([s]) => untitle(s as string)));
  reg('swapcase', def([S], ([s]) => swapcase(s as string)));
  reg('camelcase', def([S], ([s]) => toPascalCase(s as string)));
  reg('snakecase', def([S], ([s]) => toDelimited(s as string, '_')));
  reg('kebabcase', def([S], ([s]) => toDelimited(s as string, '-')));
  reg('trim', def([S], ([s]) => trimSpace(s as string)));
  reg(['trimAll', 'trimall'], def([S, S], ([a, b]) => trimCutset(b as string, a as string)));
  reg('trimPrefix', def([S, S], ([a, b]) => ((b as string).startsWith(a as string) ? (b as string).slice((a as string).length) : b)));
  reg('trimSuffix', def([S, S], ([a, b]) => ((b as string).endsWith(a as string) && (a as string).length > 0 ? (b as string).slice(0, (b as string).length - (a as string).length) : b)));
  reg('nospace', def([S], ([s]) => deleteWhiteSpace(s as string)));
  reg('repeat', {
    in: [I, S],
    call: ([c, s], ctx) => {
      const n = c as bigint;
      if (n < 0n) throw new CallError('strings: negative Repeat count');
      if (Number(n) * (s as string).length > ctx.remaining()) {
        throw new CallError(`repeat: result larger than the ${ctx.remaining()} bytes left under esi's output limit`);
      }
      return (s as string).repeat(Number(n));
    },
  });
  reg('substr', def([I, I, S], ([a, b, s]) => substr(a as bigint, b as bigint, s as string)));
  reg('trunc', def([I, S], ([c0, s0]) => {
    const c = c0 as bigint;
    const s = s0 as string;
    const n = BigInt(s.length);
    if (c < 0n && n + c > 0n) return s.slice(Number(n + c));
    if (c >= 0n && n > c) return s.slice(0, Number(c));
    return s;
  }));
  reg('abbrev', def([I, S], ([w, s]) => ((w as bigint) < 4n ? s : abbreviateFull(s as string, 0, Number(w)))));
  reg('abbrevboth', def([I, I, S], ([l, r, s]) => {
    const left = Number(l);
    const right = Number(r);
    if (right < 4 || (left > 0 && right < 7)) return s;
    return abbreviateFull(s as string, left, right);
  }));
  reg('initials', def([S], ([s]) => initials(s as string)));
  reg('wrap', def([I, S], ([l, s]) => wrapCustom(s as string, Number(l), '', false)));
  reg('wrapWith', def([I, S, S], ([l, sep, s]) => wrapCustom(s as string, Number(l), sep as string, true)));
  reg('contains', def([S, S], ([a, b]) => (b as string).includes(a as string)));
  reg('hasPrefix', def([S, S], ([a, b]) => (b as string).startsWith(a as string)));
  reg('hasSuffix', def([S, S], ([a, b]) => (b as string).endsWith(a as string)));
  reg('quote', def([], (args) => args.filter((a) => a !== null).map((a) => goQuote(strval(a))).join(' '), A));
  reg('squote', def([], (args) => args.filter((a) => a !== null).map((a) => `'${strval(a)}'`).join(' '), A));
  reg('cat', def([], (args) => {
    const v = args.filter((a) => a !== null);
    return sprintf(v.map(() => '%v').join(' '), v);
  }, A));
  reg('indent', def([I, S], ([n, s]) => {
    if ((n as bigint) < 0n) throw new CallError('strings: negative Repeat count');
    const pad = ' '.repeat(Number(n));
    return pad + (s as string).split('\n').join('\n' + pad);
  }));
  reg('nindent', def([I, S], ([n, s]) => {
    if ((n as bigint) < 0n) throw new CallError('strings: negative Repeat count');
    const pad = ' '.repeat(Number(n));
    return '\n' + pad + (s as string).split('\n').join('\n' + pad);
  }));
  reg('replace', def([S, S, S], ([o, n, s]) => (s as string).split(o as string).join(n as string)));
  m.replace.call = (args) => {
    const [o, n, s] = args as string[];
    if (o === '') {
      // strings.Replace with empty old inserts new around every rune
      const parts = runesWithBytes(s).map((x) => x[1]);
      return n + parts.join(n) + (parts.length > 0 ? n : '');
    }
    return s.split(o).join(n);
  };
  reg('plural', def([S, S, I], ([one, many, c]) => ((c as bigint) === 1n ? one : many)));
  reg('sha1sum', def([S], ([s]) => createHash('sha1').update(Buffer.from(s as string, 'latin1')).digest('hex')));
  reg('sha256sum', def([S], ([s]) => createHash('sha256').update(Buffer.from(s as string, 'latin1')).digest('hex')));
  reg('sha512sum', def([S], ([s]) => createHash('sha512').update(Buffer.from(s as string, 'latin1')).digest('hex')));
  reg('adler32sum', def([S], ([s]) => {
    let a = 1;
    let b = 0;
    const str = s as string;
    for (let i = 0; i < str.length; i++) {
      a = (a + str.charCodeAt(i)) % 65521;
      b = (b + a) % 65521;
    }
    return String((b * 65536 + a) >>> 0);
  }));
  reg('toString', def([A], ([v]) => strval(v)));
  reg('atoi', def([S], ([s]) => {
    const t = s as string;
    if (!/^[+-]?\d+$/.test(t)) return 0n;
    const v = BigInt(t);
    return v > 0x7fffffffffffffffn || v < -0x8000000000000000n ? 0n : v;
  }));
  reg('split', def([S, S], ([sep, s]) => {
    const parts = goSplit(s as string, sep as string, -1);
    return new GoMap('string', new Map(parts.map((p, i) => [`_${i}`, p])));
  }));
  reg('splitList', def([S, S], ([sep, s]) => strList(goSplit(s as string, sep as string, -1))));
  reg('splitn', def([S, I, S], ([sep, n, s]) => {
    const parts = goSplit(s as string, sep as string, Number(n));
    return new GoMap('string', new Map(parts.map((p, i) => [`_${i}`, p])));
  }));
  reg('toStrings', def([A], ([v]) => strList(strslice(v))));
  reg('join', def([S, A], ([sep, v]) => strslice(v).join(sep as string)));
  reg('sortAlpha', def([A], ([v]) => {
    if (v instanceof GoSlice) return strList([...strslice(v)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    return strList([strval(v)]);
  }));
  reg('seq', {
    in: [],
    variadic: I,
    call: (args, ctx) => {
      const p = args as bigint[];
      const lim = (n: number) => ctx.step(n);
      const fmtList = (xs: bigint[]) => xs.join(' ');
      switch (p.length) {
        case 0: return '';
        case 1: {
          const start = 1n;
          const end = p[0];
          const inc = end < start ? -1n : 1n;
          return fmtList(untilStep(start, end + inc, inc, lim));
        }
        case 3: {
          const [start, step, end] = p;
          let inc = 1n;
          if (end < start) {
            inc = -1n;
            if (step > 0n) return '';
          }
          return fmtList(untilStep(start, end + inc, step, lim));
        }
        case 2: {
          const [start, end] = p;
          const step = end < start ? -1n : 1n;
          return fmtList(untilStep(start, end + step, step, lim));
        }
        default: return '';
      }
    },
  });

  // encoding
  reg('b64enc', def([S], ([s]) => b64encode(s as string)));
  reg('b64dec', def([S], ([s]) => {
    try {
      return b64decode(s as string);
    } catch (e) {
      return (e as Error).message;
    }
  }));
  reg('b32enc', def([S], ([s]) => b32encode(s as string)));
  reg('b32dec', def([S], ([s]) => {
    try {
      return b32decode(s as string);
    } catch (e) {
      return (e as Error).message;
    }
  }));

  // math
  reg('add1', def([A], ([a]) => int64(toInt64(a) + 1n)));
  reg('add', def([], (args) => int64(args.reduce<bigint>((s, x) => s + toInt64(x), 0n)), A));
  reg('sub', def([A, A], ([a, b]) => int64(toInt64(a) - toInt64(b))));
  reg('mul', def([A], ([a, ...rest]) => int64(rest.reduce<bigint>((s, x) => BigInt.asIntN(64, s * toInt64(x)), toInt64(a))), A));
  reg('div', def([A, A], ([a, b]) => {
    const d = toInt64(b);
    if (d === 0n) throw new CallError('runtime error: integer divide by zero');
    return int64(toInt64(a) / d);
  }));
  reg('mod', def([A, A], ([a, b]) => {
    const d = toInt64(b);
    if (d === 0n) throw new CallError('runtime error: integer divide by zero');
    return int64(toInt64(a) % d);
  }));
  reg(['max', 'biggest'], def([A], ([a, ...rest]) => {
    let r = toInt64(a);
    for (const x of rest) if (toInt64(x) > r) r = toInt64(x);
    return int64(r);
  }, A));
  reg('min', def([A], ([a, ...rest]) => {
    let r = toInt64(a);
    for (const x of rest) if (toInt64(x) < r) r = toInt64(x);
    return int64(r);
  }, A));
  reg('maxf', def([A], ([a, ...rest]) => rest.reduce<number>((r, x) => goMax(r, toFloat64(x)), toFloat64(a)), A));
  reg('minf', def([A], ([a, ...rest]) => rest.reduce<number>((r, x) => goMin(r, toFloat64(x)), toFloat64(a)), A));
  reg('add1f', def([A], ([a]) => execDecimalOp(a, [1n], decAdd)));
  reg('addf', def([], (args) => execDecimalOp(0, args, decAdd), A));
  reg('subf', def([A], ([a, ...rest]) => execDecimalOp(a, rest, decSub), A));
  reg('mulf', def([A], ([a, ...rest]) => execDecimalOp(a, rest, decMul), A));
  reg('divf', def([A], ([a, ...rest]) => execDecimalOp(a, rest, decDiv), A));
  reg('floor', def([A], ([a]) => Math.floor(toFloat64(a))));
  reg('ceil', def([A], ([a]) => Math.ceil(toFloat64(a))));
  reg('round', def([A, I], ([a, p, ...r]) => {
    const roundOn = r.length > 0 ? (r[0] as number) : 0.5;
    const val = toFloat64(a);
    const pow = Math.pow(10, Number(p));
    const digit = pow * val;
    const div = digit - Math.trunc(digit);
    const rounded = div >= roundOn ? Math.ceil(digit) : Math.floor(digit);
    return rounded / pow;
  }, 'float64'));
  reg('int', def([A], ([a]) => toInt(a)));
  reg('int64', def([A], ([a]) => new GoInt('int64', toInt64(a))));
  reg('float64', def([A], ([a]) => toFloat64(a)));
  reg('toDecimal', def([A], ([a]) => {
    const r = parseOctal(sprint([a]));
    return new GoInt('int64', r);
  }));
  reg('until', {
    in: [I],
    call: ([c], ctx) => new GoSlice('int', untilStep(0n, c as bigint, (c as bigint) < 0n ? -1n : 1n, (n) => ctx.step(n))),
  });
  reg('untilStep', {
    in: [I, I, I],
    call: ([a, b, c], ctx) => new GoSlice('int', untilStep(a as bigint, b as bigint, c as bigint, (n) => ctx.step(n))),
  });

  // defaults and types
  reg('default', def([A], ([d, ...given]) => (given.length === 0 || empty(given[0]) ? d : given[0]), A));
  reg('empty', def([A], ([v]) => empty(v)));
  reg('coalesce', def([], (args) => args.find((x) => !empty(x)) ?? null, A));
  reg('all', def([], (args) => args.every((x) => !empty(x)), A));
  reg('any', def([], (args) => args.some((x) => !empty(x)), A));
  reg('compact', def([A], ([l]) => ifaceList(mustList(l, 'compact').filter((x) => !empty(x)))));
  reg('mustCompact', m.compact);
  reg('ternary', def([A, A, 'bool'], ([t, f, c]) => (c ? t : f)));
  reg('fromJson', def([S], ([s]) => {
    try {
      return unmarshalJSON(s as string);
    } catch {
      return null;
    }
  }));
  reg('mustFromJson', def([S], ([s]) => {
    try {
      return unmarshalJSON(s as string);
    } catch (e) {
      throw new CallError((e as Error).message);
    }
  }));
  const jsonFn = (escape: boolean, indent: string, must: boolean) =>
    def([A], ([v]) => {
      try {
        return marshalJSON(v, escape, indent);
      } catch (e) {
        if (must) throw new CallError((e as Error).message);
        return '';
      }
    });
  reg('toJson', jsonFn(true, '', false));
  reg('mustToJson', jsonFn(true, '', true));
  reg('toPrettyJson', jsonFn(true, '  ', false));
  reg('mustToPrettyJson', jsonFn(true, '  ', true));
  reg('toRawJson', jsonFn(false, '', false));
  reg('mustToRawJson', jsonFn(false, '', true));
  reg(['deepCopy', 'mustDeepCopy'], def([A], ([v]) => deepCopy(v)));
  reg('typeOf', def([A], ([v]) => (v === null ? '<nil>' : typeName(v))));
  reg('kindOf', def([A], ([v]) => kindName(v)));
  reg('typeIs', def([S, A], ([t, v]) => t === (v === null ? '<nil>' : typeName(v))));
  reg('typeIsLike', def([S, A], ([t, v]) => {
    const n = v === null ? '<nil>' : typeName(v);
    return t === n || '*' + t === n;
  }));
  reg('kindIs', def([S, A], ([t, v]) => t === kindName(v)));
  reg('deepEqual', def([A, A], ([a, b]) => deepEqual(a, b)));

  // lists
  reg('list', def([], (args) => ifaceList(args), A));
  reg('tuple', m.list);
  const pushFn = (must: boolean) =>
    def([A, A], ([l, v]) => {
      const items = listItems(l, 'push');
      if (items === null) throw new CallError(`Cannot push on type ${kindName(l)}`);
      void must;
      return ifaceList([...items, v]);
    });
  reg(['push', 'append', 'mustPush', 'mustAppend'], pushFn(false));
  reg(['prepend', 'mustPrepend'], def([A, A], ([l, v]) => {
    const items = listItems(l, 'prepend');
    if (items === null) throw new CallError(`Cannot prepend on type ${kindName(l)}`);
    return ifaceList([v, ...items]);
  }));
  reg(['first', 'mustFirst'], def([A], ([l]) => {
    const items = mustListFind(l, 'first');
    return items.length === 0 ? null : items[0];
  }));
  reg(['last', 'mustLast'], def([A], ([l]) => {
    const items = mustListFind(l, 'last');
    return items.length === 0 ? null : items[items.length - 1];
  }));
  reg(['rest', 'mustRest'], def([A], ([l]) => {
    const items = mustListFind(l, 'rest');
    return items.length === 0 ? ifaceList([], true) : ifaceList(items.slice(1));
  }));
  reg(['initial', 'mustInitial'], def([A], ([l]) => {
    const items = mustListFind(l, 'initial');
    return items.length === 0 ? ifaceList([], true) : ifaceList(items.slice(0, -1));
  }));
  reg(['reverse', 'mustReverse'], def([A], ([l]) => {
    const items = mustListFind(l, 'reverse');
    return ifaceList([...items].reverse());
  }));
  reg(['uniq', 'mustUniq'], def([A], ([l]) => {
    const items = mustListFind(l, 'uniq');
    const out: GoValue[] = [];
    for (const x of items) if (!out.some((y) => deepEqual(x, y))) out.push(x);
    return ifaceList(out);
  }));
  reg(['without', 'mustWithout'], def([A], ([l, ...omit]) => {
    const items = mustListFind(l, 'without');
    return ifaceList(items.filter((x) => !omit.some((y) => deepEqual(x, y))));
  }, A));
  reg(['has', 'mustHas'], def([A, A], ([needle, hay]) => {
    if (hay === null) return false;
    const items = listItems(hay, 'has');
    if (items === null) throw new CallError(`Cannot find has on type ${kindName(hay)}`);
    return items.some((x) => deepEqual(x, needle));
  }));
  reg(['slice', 'mustSlice'], def([A], ([l, ...idx]) => {
    if (!(l instanceof GoSlice)) throw new CallError(`list should be type of slice or array but ${kindName(l)}`);
    const n = l.items.length;
    if (n === 0) return null;
    const start = idx.length > 0 ? Number(toInt(idx[0])) : 0;
    const end = idx.length < 2 ? n : Number(toInt(idx[1]));
    if (start < 0 || end < start || end > n) {
      throw new CallError(`reflect: slice index out of range`);
    }
    return new GoSlice(l.elem, l.items.slice(start, end));
  }, A));
  reg('concat', def([], (lists) => {
    const out: GoValue[] = [];
    for (const l of lists) {
      if (!(l instanceof GoSlice)) throw new CallError(`Cannot concat type ${kindName(l)} as list`);
      out.push(...l.items);
    }
    return ifaceList(out, out.length === 0 && lists.length === 0);
  }, A));
  reg(['chunk', 'mustChunk'], def([I, A], ([size, l]) => {
    const items = listItems(l, 'chunk');
    if (items === null) throw new CallError(`Cannot chunk type ${kindName(l)}`);
    // sprig's arithmetic, float division included, so odd sizes behave as in Go
    const size0 = Number(size);
    const n = items.length;
    const goInt = (f: number) => (!Number.isFinite(f) || Math.abs(f) >= 2 ** 63 ? -(2 ** 63) : Math.trunc(f));
    const cs = goInt(Math.floor((n - 1) / size0) + 1);
    if (cs < 0) throw new CallError('runtime error: makeslice: len out of range');
    const out: GoValue[] = [];
    for (let i = 0; i < cs; i++) {
      let clen = size0;
      if (i === cs - 1) {
        clen = goInt(Math.floor(n % size0));
        if (clen === 0) clen = size0;
      }
      if (clen < 0) throw new CallError('runtime error: makeslice: len out of range');
      const row: GoValue[] = [];
      for (let j = 0; j < clen; j++) {
        const ix = i * size0 + j;
        if (ix < 0 || ix >= n) throw new CallError('reflect: slice index out of range');
        row.push(items[ix]!);
      }
      out.push(ifaceList(row));
    }
    return new GoSlice('[]interface {}', out);
  }));

  // dicts
  reg('dict', def([], (args) => dictOf(args), A));
  reg('get', def(['map[string]interface {}', S], ([d, k]) => (asDict(d).m.has(k as string) ? asDict(d).m.get(k as string)! : '')));
  reg('set', def(['map[string]interface {}', S, A], ([d, k, v]) => {
    asDict(d).m.set(k as string, v);
    return d;
  }));
  reg('unset', def(['map[string]interface {}', S], ([d, k]) => {
    asDict(d).m.delete(k as string);
    return d;
  }));
  reg('hasKey', def(['map[string]interface {}', S], ([d, k]) => asDict(d).m.has(k as string)));
  reg('pluck', def([S], ([k, ...ds]) => ifaceList(ds.filter((d) => asDict(d).m.has(k as string)).map((d) => asDict(d).m.get(k as string)!)), 'map[string]interface {}'));
  reg('keys', def([], (ds) => strList(ds.flatMap((d) => [...asDict(d).m.keys()])), 'map[string]interface {}'));
  reg('pick', def(['map[string]interface {}'], ([d, ...ks]) => {
    const out = new Map<string, GoValue>();
    for (const k of ks as string[]) if (asDict(d).m.has(k)) out.set(k, asDict(d).m.get(k)!);
    return new GoMap('interface {}', out);
  }, S));
  reg('omit', def(['map[string]interface {}'], ([d, ...ks]) => {
    const out = new Map<string, GoValue>();
    for (const [k, v] of asDict(d).m) if (!(ks as string[]).includes(k)) out.set(k, v);
    return new GoMap('interface {}', out);
  }, S));
  reg('values', def(['map[string]interface {}'], ([d]) => ifaceList(sortedKeys(asDict(d)).map((k) => asDict(d).m.get(k)!))));
  reg(['merge', 'mustMerge'], def(['map[string]interface {}'], ([dst, ...srcs]) => {
    for (const s of srcs) mergeInto(asDict(dst), asDict(s), false);
    return dst;
  }, 'map[string]interface {}'));
  reg(['mergeOverwrite', 'mustMergeOverwrite'], def(['map[string]interface {}'], ([dst, ...srcs]) => {
    for (const s of srcs) mergeInto(asDict(dst), asDict(s), true);
    return dst;
  }, 'map[string]interface {}'));
  reg('dig', def([], (ps) => {
    if (ps.length < 3) throw new CallError('dig needs at least three arguments');
    const d = ps[ps.length - 1];
    if (!(d instanceof GoMap) || d.elem !== 'interface {}') {
      throw new CallError(`interface conversion: interface {} is ${d === null ? 'nil' : typeName(d)}, not map[string]interface {}`);
    }
    const dflt = ps[ps.length - 2];
    const ks = ps.slice(0, -2).map((k) => {
      if (typeof k !== 'string') throw new CallError(`interface conversion: interface {} is ${k === null ? 'nil' : typeName(k)}, not string`);
      return k;
    });
    let cur: GoMap = d;
    for (let i = 0; i < ks.length; i++) {
      if (!cur.m.has(ks[i])) return dflt;
      const step = cur.m.get(ks[i])!;
      if (i === ks.length - 1) return step;
      if (!(step instanceof GoMap) || step.elem !== 'interface {}') {
        throw new CallError(`interface conversion: interface {} is ${step === null ? 'nil' : typeName(step)}, not map[string]interface {}`);
      }
      cur = step;
    }
    return dflt;
  }, A));

  // regular expressions (Go RE2 syntax translated to JS; see regexp.ts)
  // regexMatch swallows compile errors; every other non-must function uses regexp.MustCompile, whose
  // panic text text/template reports; the must* variants return the compile error itself.
  const re = (pattern: string, must: boolean, swallow = false) => {
    try {
      return goRegexp(pattern);
    } catch (e) {
      if (swallow) return null;
      if (must) throw new CallError((e as Error).message);
      throw new CallError(`regexp: Compile(${canBackquote(pattern) ? '`' + pattern + '`' : goQuote(pattern)}): ${(e as Error).message}`);
    }
  };
  for (const must of [false, true]) {
    const p = (n: string) => (must ? 'must' + n[0].toUpperCase() + n.slice(1) : n);
    reg(p('regexMatch'), def([S, S], ([r, s]) => re(r as string, must, !must)?.test(s as string) ?? false));
    reg(p('regexFind'), def([S, S], ([r, s]) => re(r as string, must)?.find(s as string) ?? ''));
    reg(p('regexFindAll'), def([S, S, I], ([r, s, n]) => goStrings(re(r as string, must)?.findAll(s as string, Number(n)) ?? null)));
    reg(p('regexReplaceAll'), def([S, S, S], ([r, s, repl]) => re(r as string, must)?.replaceAll(s as string, (mm) => expandTemplate(repl as string, mm)) ?? s));
    reg(p('regexReplaceAllLiteral'), def([S, S, S], ([r, s, repl]) => re(r as string, must)?.replaceAll(s as string, () => repl as string) ?? s));
    reg(p('regexSplit'), def([S, S, I], ([r, s, n]) => goStrings(re(r as string, must)?.split(s as string, Number(n)) ?? null)));
  }
  reg('regexQuoteMeta', def([S], ([s]) => regexQuoteMeta(s as string)));

  // paths (path and path/filepath on Linux behave the same)
  reg(['base', 'osBase'], def([S], ([s]) => pathBase(s as string)));
  reg(['dir', 'osDir'], def([S], ([s]) => pathDir(s as string)));
  reg(['clean', 'osClean'], def([S], ([s]) => pathClean(s as string)));
  reg(['ext', 'osExt'], def([S], ([s]) => pathExt(s as string)));
  reg(['isAbs', 'osIsAbs'], def([S], ([s]) => (s as string).startsWith('/')));

  // misc
  reg('hello', def([], () => 'Hello!'));
  reg('fail', def([S], ([s]) => {
    throw new CallError(s as string);
  }));
  reg('urlJoin', def(['map[string]interface {}'], ([d]) => urlJoin(d as GoMap)));
  reg('urlParse', def([S], ([s]) => urlParse(s as string)));

  // randomness and time come from the caller
  reg('randAlphaNum', def([I], ([c]) => randomString(env, 'randAlphaNum', c as bigint, ALPHA + NUM)));
  reg('randAlpha', def([I], ([c]) => randomString(env, 'randAlpha', c as bigint, ALPHA)));
  reg('randNumeric', def([I], ([c]) => randomString(env, 'randNumeric', c as bigint, NUM)));
  reg('randAscii', def([I], ([c]) => randomString(env, 'randAscii', c as bigint, ASCII)));
  reg('randInt', def([I, I], ([a, b]) => {
    const lo = a as bigint;
    const hi = b as bigint;
    if (hi <= lo) throw new CallError('invalid argument to Intn');
    const bytes = needRandom(env, 'randInt')(6);
    let r = 0n;
    for (const x of bytes) r = (r << 8n) | BigInt(x);
    return lo + (r % (hi - lo));
  }));
  reg('randBytes', def([I], ([c]) => {
    const n = Number(c);
    if (n < 0) throw new CallError('randBytes: negative count');
    return b64encode(String.fromCharCode(...needRandom(env, 'randBytes')(n)));
  }));
  reg('uuidv4', def([], () => {
    const b = needRandom(env, 'uuidv4')(16);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Buffer.from(b).toString('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }));
  reg('shuffle', def([S], ([s]) => {
    const rs = runes(s as string);
    const rnd = needRandom(env, 'shuffle')(rs.length * 2);
    for (let i = rs.length - 1; i > 0; i--) {
      const j = ((rnd[2 * i] << 8) | rnd[2 * i + 1]) % (i + 1);
      [rs[i], rs[j]] = [rs[j], rs[i]];
    }
    return fromRunes(rs);
  }));

  // dates: the controller's Local zone is UTC (ESO's distroless image); `now` needs the caller's clock
  const clock = (name: string): GoTime => {
    if (!env.now) throw new CallError(`${name} needs a clock, which this caller did not provide`);
    return new GoTime(BigInt(env.now().getTime()) * 1_000_000n, 0, 'UTC');
  };
  const asTime = (d: GoValue, name: string): GoTime => {
    if (d instanceof GoTime) return d;
    if (typeof d === 'bigint') return new GoTime(d * 1_000_000_000n, 0, 'UTC');
    if (d instanceof GoInt && (d.type === 'int64' || d.type === 'int32')) return new GoTime(d.v * 1_000_000_000n, 0, 'UTC');
    return clock(name);
  };
  const formatDate = (layout: string, d: GoValue, tz: string, name: string): string => {
    const t = asTime(d, name);
    let z: GoTime;
    try {
      z = inZone(t.unixNano, tz);
    } catch {
      z = inZone(t.unixNano, 'UTC');
    }
    return fromText(formatTime(z, toText(layout)));
  };
  reg('now', def([], () => clock('now')));
  reg('date', def([S, A], ([f, d]) => formatDate(f as string, d, 'Local', 'date')));
  reg(['dateInZone', 'date_in_zone'], def([S, A, S], ([f, d, z]) => formatDate(f as string, d, toText(z as string), 'dateInZone')));
  reg('htmlDate', def([A], ([d]) => formatDate('2006-01-02', d, 'Local', 'htmlDate')));
  reg('htmlDateInZone', def([A, S], ([d, z]) => formatDate('2006-01-02', d, toText(z as string), 'htmlDateInZone')));
  reg('unixEpoch', def(['time.Time'], ([d]) => ((d as GoTime).unixNano / 1_000_000_000n - ((d as GoTime).unixNano % 1_000_000_000n < 0n ? 1n : 0n)).toString()));
  reg('duration', def([A], ([sec]) => {
    let n = 0n;
    if (typeof sec === 'string') n = /^[+-]?\d+$/.test(sec) ? BigInt.asIntN(64, BigInt(sec)) : 0n;
    else if (sec instanceof GoInt && sec.type === 'int64') n = sec.v;
    return fromText(durationString(BigInt.asIntN(64, n * 1_000_000_000n)));
  }));
  reg('ago', def([A], ([d]) => {
    const t = asTime(d, 'ago');
    const diff = clock('ago').unixNano - t.unixNano;
    const rounded = ((diff + (diff >= 0n ? 500_000_000n : -500_000_000n)) / 1_000_000_000n) * 1_000_000_000n;
    return fromText(durationString(rounded));
  }));
  reg('semverCompare', def([S, S], ([c, v]) => {
    try {
      return semverCheck(toText(c as string), toText(v as string));
    } catch (e) {
      throw new CallError((e as Error).message);
    }
  }));
  reg('toDate', def([S, S], ([f, v]) => {
    try {
      return parseTime(toText(f as string), toText(v as string));
    } catch {
      return new GoTime(-62135596800n * 1_000_000_000n, 0, 'UTC');
    }
  }));
  reg('mustToDate', def([S, S], ([f, v]) => {
    try {
      return parseTime(toText(f as string), toText(v as string));
    } catch (e) {
      throw new CallError((e as Error).message);
    }
  }));
  reg(['dateModify', 'date_modify'], def([S, 'time.Time'], ([f, d]) => {
    try {
      const t = d as GoTime;
      return new GoTime(t.unixNano + parseDuration(toText(f as string)), t.offset, t.zone);
    } catch {
      return d;
    }
  }));
  reg(['mustDateModify', 'must_date_modify'], def([S, 'time.Time'], ([f, d]) => {
    try {
      const t = d as GoTime;
      return new GoTime(t.unixNano + parseDuration(toText(f as string)), t.offset, t.zone);
    } catch (e) {
      throw new CallError((e as Error).message);
    }
  }));
  reg('durationRound', def([A], ([v]) => {
    let d = 0n;
    if (typeof v === 'string') {
      try {
        d = parseDuration(toText(v));
      } catch {
        d = 0n;
      }
    } else if (v instanceof GoInt && v.type === 'int64') d = v.v;
    else if (v instanceof GoTime) d = clock('durationRound').unixNano - v.unixNano;
    const u = d < 0n ? -d : d;
    const H = 3_600_000_000_000n;
    const steps: [bigint, string][] = [[H * 24n * 365n, 'y'], [H * 24n * 30n, 'mo'], [H * 24n, 'd'], [H, 'h'], [60_000_000_000n, 'm'], [1_000_000_000n, 's']];
    for (const [size, unit] of steps) if (u > size) return (u / size).toString() + unit;
    return '0s';
  }));
  // crypto.go, strings.go (hexdec is ESO's addition to its vendored sprig)
  reg('hexdec', def([S], ([v]) => hexdec(v as string)));
  reg('bcrypt', def([S], ([p]) => bcrypt(p as string, () => needRandom(env, 'bcrypt'))));
  reg('htpasswd', def([S, S, 'sprig.HashAlgorithm'], ([u, p, a]) => htpasswd(u as string, p as string, a as string, () => needRandom(env, 'htpasswd'))));
  reg('derivePassword', def(['uint32', S, S, S, S], ([c, t, p, u, site]) =>
    derivePassword(Number((c as GoInt).v), t as string, p as string, u as string, site as string)));
  reg('encryptAES', def([S, S], ([p, t]) => encryptAES(p as string, t as string, () => needRandom(env, 'encryptAES'))));
  reg('decryptAES', def([S, S], ([p, c]) => decryptAES(p as string, c as string)));
  // crypto.go: keys and certificates (key generation draws on node:crypto, so it needs a caller that allows randomness)
  const certEnv = (name: string): CertEnv => ({
    now: () => {
      if (!env.now) throw new CallError(`${name} needs a clock, which this caller did not provide`);
      return env.now();
    },
    random: () => needRandom(env, name),
  });
  const L = '[]interface {}' as const;
  const C = 'sprig.certificate' as const;
  reg('genPrivateKey', def([S], ([t]) => genPrivateKey(t as string, () => needRandom(env, 'genPrivateKey'))));
  reg('buildCustomCert', def([S, S], ([c, k]) => buildCustomCert(c as string, k as string)));
  reg('genCA', def([S, I], ([cn, d]) => genCA(cn as string, d as bigint, null, certEnv('genCA'))));
  reg('genCAWithKey', def([S, I, S], ([cn, d, k]) => genCA(cn as string, d as bigint, k as string, certEnv('genCAWithKey'))));
  reg('genSelfSignedCert', def([S, L, L, I], ([cn, ips, dns, d]) => genSelfSignedCert(cn as string, ips!, dns!, d as bigint, null, certEnv('genSelfSignedCert'))));
  reg('genSelfSignedCertWithKey', def([S, L, L, I, S], ([cn, ips, dns, d, k]) =>
    genSelfSignedCert(cn as string, ips!, dns!, d as bigint, k as string, certEnv('genSelfSignedCertWithKey'))));
  reg('genSignedCert', def([S, L, L, I, C], ([cn, ips, dns, d, ca]) => genSignedCert(cn as string, ips!, dns!, d as bigint, ca!, null, certEnv('genSignedCert'))));
  reg('genSignedCertWithKey', def([S, L, L, I, C, S], ([cn, ips, dns, d, ca, k]) =>
    genSignedCert(cn as string, ips!, dns!, d as bigint, ca!, k as string, certEnv('genSignedCertWithKey'))));
  // semver.go
  reg('semver', def([S], ([v]) => semverFunc(v as string)));
  return m;
}

function goMax(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return NaN;
  return Math.max(a, b);
}
function goMin(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return NaN;
  return Math.min(a, b);
}

function parseOctal(s: string): bigint {
  if (!/^[+-]?[0-7]+$/.test(s)) return 0n;
  const v = BigInt((s.startsWith('-') ? '-' : '') + '0o' + s.replace(/^[+-]/, ''));
  return v > 0x7fffffffffffffffn || v < -0x8000000000000000n ? 0n : v;
}

function mustListFind(l: GoValue, verb: string): GoValue[] {
  const items = listItems(l, verb);
  if (items === null) throw new CallError(`Cannot find ${verb} on type ${kindName(l)}`);
  return items;
}

/** strings.SplitN (n < 0: all) */
function goSplit(s: string, sep: string, n: number): string[] {
  if (n === 0) return [];
  if (sep === '') {
    const parts = runesWithBytes(s).map((x) => x[1]);
    if (n > 0 && parts.length > n) return [...parts.slice(0, n - 1), parts.slice(n - 1).join('')];
    return parts;
  }
  const all = s.split(sep);
  if (n > 0 && all.length > n) return [...all.slice(0, n - 1), all.slice(n - 1).join(sep)];
  return all;
}

function pathClean(p: string): string {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  const parts: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (parts.length > 0 && parts[parts.length - 1] !== '..') parts.pop();
      else if (!rooted) parts.push('..');
      continue;
    }
    parts.push(seg);
  }
  const out = (rooted ? '/' : '') + parts.join('/');
  return out === '' ? '.' : out;
}
function pathBase(p: string): string {
  if (p === '') return '.';
  while (p.length > 0 && p.endsWith('/')) p = p.slice(0, -1);
  const i = p.lastIndexOf('/');
  if (i >= 0) p = p.slice(i + 1);
  return p === '' ? '/' : p;
}
function pathDir(p: string): string {
  const i = p.lastIndexOf('/');
  return pathClean(p.slice(0, i + 1));
}
function pathExt(p: string): string {
  for (let i = p.length - 1; i >= 0 && p[i] !== '/'; i--) if (p[i] === '.') return p.slice(i);
  return '';
}

function urlParse(s: string): GoValue {
  let u: GoURL;
  try {
    u = parseURL(s);
  } catch (e) {
    throw new CallError(`unable to parse url: ${(e as Error).message}`);
  }
  const hostname = u.host.startsWith('[') ? u.host.slice(1, u.host.indexOf(']')) : u.host.replace(/:\d*$/, '');
  return new GoMap(
    'interface {}',
    new Map<string, GoValue>([
      ['scheme', u.scheme],
      ['host', u.host],
      ['hostname', hostname],
      ['path', u.path],
      ['query', u.rawQuery],
      ['opaque', u.opaque],
      ['fragment', u.fragment],
      ['userinfo', u.user ?? ''],
    ]),
  );
}

function urlJoin(d: GoMap): string {
  const str = (k: string): string => {
    const v = d.m.get(k);
    if (v === undefined || v === null || (typeof v === 'string' && v === '')) return '';
    if (typeof v !== 'string') throw new CallError(`unable to parse ${k} key, must be of type string, but ${typeName(v)} found`);
    return v;
  };
  const userinfo = str('userinfo');
  return formatURL({
    scheme: str('scheme'), host: str('host'), path: str('path'), rawQuery: str('query'), opaque: str('opaque'),
    fragment: str('fragment'), user: userinfo === '' ? null : userinfo,
  });
}

