/**
 * gjson v1.18.0's path modifiers (`@reverse`, `@keys`, `@pretty`, ...), on byte strings. ESO does not rely
 * on them, but a property that starts with `@name` (or a key called `@keys`) runs them inside ESO, so they
 * are reproduced rather than refused.
 */
import { validJSON } from '../gojson/index.ts';
import { decodeRune } from './match.ts';
import { DEFAULT_PRETTY, pretty } from './pretty.ts';
import { exists, forEach, getPiped, parseRaw, resultString, trim, type RawResult } from './get.ts';

const isArray = (r: RawResult): boolean => r.type === 'JSON' && r.raw[0] === '[';
const isObject = (r: RawResult): boolean => r.type === 'JSON' && r.raw[0] === '{';

/** gjson `Result.Bool()`. */
function bool(r: RawResult): boolean {
  switch (r.type) {
    case 'True':
      return true;
    case 'String': {
      const s = r.str.toLowerCase();
      return s === '1' || s === 't' || s === 'true';
    }
    case 'Number':
      return r.num !== 0;
    default:
      return false;
  }
}

/** gjson's parseInt: optional '-', then digits only, wrapping like int64. */
function parseIntGo(s: string): bigint | undefined {
  if (!/^-?[0-9]+$/.test(s)) return undefined;
  return BigInt.asIntN(64, BigInt(s));
}

/** gjson `Result.Int()`. */
function int(r: RawResult): number {
  switch (r.type) {
    case 'True':
      return 1;
    case 'String':
      return Number(parseIntGo(r.str) ?? 0n);
    case 'Number': {
      if (r.num >= -9007199254740991 && r.num <= 9007199254740991) return Math.trunc(r.num);
      const n = parseIntGo(r.raw);
      if (n !== undefined) return Number(n);
      // Go's float64 → int64 conversion of an out-of-range value on amd64.
      return Number.isNaN(r.num) || Math.abs(r.num) >= 2 ** 63 ? -(2 ** 63) : Math.trunc(r.num);
    }
    default:
      return 0;
  }
}

/** gjson cleanWS: keeps only the whitespace of s (s itself when it is all whitespace). */
function cleanWS(s: string): string {
  if (/^[ \t\n\r]*$/.test(s)) return s;
  return s.replace(/[^ \t\n\r]/g, '');
}

function prettyModifier(json: string, arg: string): string {
  const opts = { ...DEFAULT_PRETTY };
  if (arg.length > 0) {
    forEach(parseRaw(arg), (key, value) => {
      switch (resultString(key)) {
        case 'sortKeys': opts.sortKeys = bool(value); break;
        case 'indent': opts.indent = cleanWS(resultString(value)); break;
        case 'prefix': opts.prefix = cleanWS(resultString(value)); break;
        case 'width': opts.width = int(value); break;
      }
      return true;
    });
  }
  return pretty(json, opts, trimSpace);
}

/** Reads `{"name": bool}` options from a modifier argument. */
function boolArg(arg: string, name: string): boolean {
  let v = false;
  if (arg === '') return v;
  forEach(parseRaw(arg), (key, value) => {
    if (resultString(key) === name) v = bool(value);
    return true;
  });
  return v;
}

function unwrap(json: string): string {
  json = trim(json);
  if (json.length >= 2 && (json[0] === '[' || json[0] === '{')) json = json.slice(1, -1);
  return json;
}

/** Go's strings.TrimSpace on a byte string (ASCII and Unicode White_Space). */
function trimSpace(s: string): string {
  const text = Buffer.from(s, 'latin1').toString('utf8');
  // Decoding is lossless for the trimmed ends only when they are valid UTF-8; otherwise trim ASCII only.
  if (Buffer.from(text, 'utf8').toString('latin1') !== s) return s.replace(/^[\t\n\v\f\r ]+|[\t\n\v\f\r ]+$/g, '');
  const trimmed = text.replace(/^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g, '');
  return Buffer.from(trimmed, 'utf8').toString('latin1');
}

const HEX = '0123456789abcdef';

/** gjson `AppendJSONString` (HTML-escaping on, invalid UTF-8 → \ufffd) on byte strings. */
export function appendJSONString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20) {
      out += c === 0x08 ? '\\b' : c === 0x0c ? '\\f' : c === 0x0a ? '\\n' : c === 0x0d ? '\\r' : c === 0x09 ? '\\t' : `\\u00${HEX[c >> 4]}${HEX[c & 15]}`;
    } else if (c === 0x3e || c === 0x3c || c === 0x26) {
      out += `\\u00${HEX[c >> 4]}${HEX[c & 15]}`;
    } else if (c === 0x5c) {
      out += '\\\\';
    } else if (c === 0x22) {
      out += '\\"';
    } else if (c > 127) {
      const [r, n] = decodeRune(s, i);
      if (r === 0xfffd && n === 1) out += '\\ufffd';
      else if (r === 0x2028 || r === 0x2029) out += `\\u202${HEX[r & 15]}`;
      else out += s.slice(i, i + n);
      i += n - 1;
    } else {
      out += s[i];
    }
  }
  return out + '"';
}

function reverse(json: string): string {
  const res = parseRaw(json);
  if (isArray(res)) {
    const values: string[] = [];
    forEach(res, (_, v) => (values.push(v.raw), true));
    return '[' + values.reverse().join(',') + ']';
  }
  if (isObject(res)) {
    const pairs: string[] = [];
    forEach(res, (k, v) => (pairs.push(k.raw + ':' + v.raw), true));
    return '{' + pairs.reverse().join(',') + '}';
  }
  return json;
}

function keys(json: string): string {
  const v = parseRaw(json);
  if (!exists(v)) return '[]';
  const obj = isObject(v);
  const out: string[] = [];
  forEach(v, (k) => (out.push(obj ? k.raw : 'null'), true));
  return '[' + out.join(',') + ']';
}

function values(json: string): string {
  const v = parseRaw(json);
  if (!exists(v)) return '[]';
  if (isArray(v)) return json;
  const out: string[] = [];
  forEach(v, (_, value) => (out.push(value.raw), true));
  return '[' + out.join(',') + ']';
}

function flatten(json: string, arg: string): string {
  const res = parseRaw(json);
  if (!isArray(res)) return json;
  const deep = boolArg(arg, 'deep');
  const out: string[] = [];
  forEach(res, (_, value) => {
    let raw = isArray(value) ? (deep ? unwrap(flatten(value.raw, arg)) : unwrap(value.raw)) : value.raw;
    raw = trimSpace(raw);
    if (raw.length > 0) out.push(raw);
    return true;
  });
  return '[' + out.join(',') + ']';
}

function join(json: string, arg: string): string {
  const res = parseRaw(json);
  if (!isArray(res)) return json;
  const preserve = boolArg(arg, 'preserve');
  const out: string[] = [];
  if (preserve) {
    forEach(res, (_, value) => {
      if (isObject(value)) out.push(unwrap(value.raw));
      return true;
    });
    return '{' + out.join(',') + '}';
  }
  const order: RawResult[] = [];
  const kvals = new Map<string, RawResult>();
  forEach(res, (_, value) => {
    if (!isObject(value)) return true;
    forEach(value, (key, v) => {
      const k = resultString(key);
      if (!kvals.has(k)) order.push(key);
      kvals.set(k, v);
      return true;
    });
    return true;
  });
  for (const key of order) out.push(key.raw + ':' + kvals.get(resultString(key))!.raw);
  return '{' + out.join(',') + '}';
}

function group(json: string): string {
  const res = parseRaw(json);
  if (!isObject(res)) return '';
  const all: string[] = [];
  forEach(res, (key, value) => {
    if (!isArray(value)) return true;
    let idx = 0;
    forEach(value, (_, v) => {
      if (idx === all.length) all.push('');
      all[idx] += ',' + key.raw + ':' + v.raw;
      idx++;
      return true;
    });
    return true;
  });
  return '[' + all.map((item) => '{' + item.slice(1) + '}').join(',') + ']';
}

function dig(json: string, arg: string): string {
  const all: string[] = [];
  const descend = (parent: RawResult): void => {
    const res = getPiped(parent.raw, arg);
    if (exists(res)) all.push(res.raw);
    if (isArray(parent) || isObject(parent)) {
      forEach(parent, (_, val) => {
        descend(val);
        return true;
      });
    }
  };
  descend(parseRaw(json));
  return '[' + all.join(',') + ']';
}

/** tidwall/pretty `Ugly`: drops every byte <= ' ' outside strings. */
function ugly(json: string): string {
  let out = '';
  for (let i = 0; i < json.length; i++) {
    if (json.charCodeAt(i) <= 0x20) continue;
    out += json[i];
    if (json[i] === '"') {
      for (i = i + 1; i < json.length; i++) {
        out += json[i];
        if (json[i] === '"') {
          let j = i - 1;
          while (json[j] === '\\') j--;
          if ((i - j) % 2 !== 0) break;
        }
      }
    }
  }
  return out;
}

/** gjson's modifier table: a path component `@name` with one of these names is a modifier, else a key. */
export const MODIFIER_FUNCS: ReadonlyMap<string, (json: string, arg: string) => string> = new Map<
  string,
  (json: string, arg: string) => string
>([
  ['pretty', prettyModifier],
  ['ugly', (json) => ugly(json)],
  ['reverse', (json) => reverse(json)],
  ['this', (json) => json],
  ['flatten', flatten],
  ['join', join],
  ['valid', (json) => (validJSON(Buffer.from(json, 'latin1')) ? json : '')],
  ['keys', (json) => keys(json)],
  ['values', (json) => values(json)],
  ['tostr', (json) => appendJSONString(json)],
  ['fromstr', (json) => (validJSON(Buffer.from(json, 'latin1')) ? resultString(parseRaw(json)) : '')],
  ['group', (json) => group(json)],
  ['dig', dig],
]);
