/** Go encoding/json and encoding/base64|base32 behaviour the template functions rely on. */
import { decodeRune, fromBytes, fromText, RUNE_ERROR, toBytes, toText } from '../../core/go/utf8.ts';
import { formatFloat } from '../../core/go/strconv.ts';
import { GoFunc, GoInt, GoMap, GoObject, GoSlice, GoTime, type GoValue, sortedKeys, typeName } from './value.ts';
import { formatTime } from './time.ts';
import { GoJsonError, unmarshalAny } from '../gojson/index.ts';

/**
 * Go's encoding/json error for text JSON.parse refused. V8's message quotes the input (all of a short
 * value), which would carry a secret into the error, the agent log and the SecretSyncFailed Event; Go's
 * names one character and its offset-free context (`invalid character 'x' looking for beginning of value`).
 */
export function goJsonSyntaxError(text: string): string {
  try {
    unmarshalAny(text);
  } catch (e) {
    if (e instanceof GoJsonError) return e.message;
  }
  return 'invalid JSON';
}

export class JSONError extends Error {}

const hex = '0123456789abcdef';

/** encoding/json string encoding (escapeHTML as json.Marshal does unless disabled). */
export function jsonString(s: string, escapeHTML: boolean): string {
  let out = '"';
  for (let i = 0; i < s.length; ) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      if (c >= 0x20 && c !== 0x22 && c !== 0x5c && (!escapeHTML || (c !== 0x3c && c !== 0x3e && c !== 0x26))) {
        out += s[i];
      } else {
        switch (c) {
          case 0x5c: out += '\\\\'; break;
          case 0x22: out += '\\"'; break;
          case 0x08: out += '\\b'; break;
          case 0x0c: out += '\\f'; break;
          case 0x0a: out += '\\n'; break;
          case 0x0d: out += '\\r'; break;
          case 0x09: out += '\\t'; break;
          default: out += '\\u00' + hex[c >> 4] + hex[c & 15];
        }
      }
      i++;
      continue;
    }
    const [r, w] = decodeRune(s, i);
    if (r === RUNE_ERROR && w === 1) {
      out += '\\ufffd';
      i++;
      continue;
    }
    if (r === 0x2028 || r === 0x2029) {
      out += '\\u202' + hex[r & 15];
      i += w;
      continue;
    }
    out += s.slice(i, i + w);
    i += w;
  }
  return out + '"';
}

export function jsonFloat(f: number): string {
  if (!Number.isFinite(f)) throw new JSONError(`json: unsupported value: ${formatFloat(f, 'g', -1)}`);
  const abs = Math.abs(f);
  let fmt = 'f';
  if (abs !== 0 && (abs < 1e-6 || abs >= 1e21)) fmt = 'e';
  let b = formatFloat(f, fmt, -1);
  if (fmt === 'e') {
    const n = b.length;
    if (n >= 4 && b[n - 4] === 'e' && b[n - 3] === '-' && b[n - 2] === '0') b = b.slice(0, n - 2) + b[n - 1];
  }
  return b;
}

/** json.Marshal / MarshalIndent(v, "", indent). Throws JSONError like Go's errors. */
export function marshalJSON(v: GoValue, escapeHTML = true, indent = ''): string {
  const enc = (x: GoValue, depth: number): string => {
    if (x === null) return 'null';
    switch (typeof x) {
      case 'string': return jsonString(x, escapeHTML);
      case 'bigint': return x.toString();
      case 'number': return jsonFloat(x);
      case 'boolean': return x ? 'true' : 'false';
    }
    if (x instanceof GoInt) {
      if (x.type === 'uint8') return x.v.toString();
      return x.v.toString();
    }
    const nl = indent ? '\n' + indent.repeat(depth + 1) : '';
    const end = indent ? '\n' + indent.repeat(depth) : '';
    const colon = indent ? ': ' : ':';
    if (x instanceof GoSlice) {
      if (x.isNil) return 'null';
      if (x.elem === 'uint8') {
        return '"' + Buffer.from(x.items.map((b) => Number((b as GoInt).v))).toString('base64') + '"';
      }
      if (x.items.length === 0) return '[]';
      return '[' + x.items.map((e) => nl + enc(e, depth + 1)).join(',') + end + ']';
    }
    if (x instanceof GoMap) {
      if (x.isNil) return 'null';
      const keys = sortedKeys(x);
      if (keys.length === 0) return '{}';
      return '{' + keys.map((k) => nl + jsonString(k, escapeHTML) + colon + enc(x.m.get(k)!, depth + 1)).join(',') + end + '}';
    }
    if (x instanceof GoTime) return '"' + formatTime(x, '2006-01-02T15:04:05.999999999Z07:00') + '"';
    if (x instanceof GoObject) {
      if (x.marshalJSON) return x.marshalJSON();
      const names = [...x.fields.keys()];
      if (names.length === 0) return '{}';
      return '{' + names.map((k) => nl + jsonString(k, escapeHTML) + colon + enc(x.fields.get(k)!, depth + 1)).join(',') + end + '}';
    }
    if (x instanceof GoFunc) throw new JSONError(`json: unsupported type: ${typeName(x)}`);
    throw new JSONError('json: unsupported value');
  };
  return enc(v, 0);
}

/** json.Unmarshal into interface{}: objects → map[string]interface{}, numbers → float64. */
export function unmarshalJSON(s: string): GoValue {
  const text = toText(s);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new JSONError(goJsonSyntaxError(text));
  }
  // Go rejects invalid UTF-8 only by replacing it; JSON.parse on the decoded text matches that.
  const conv = (x: unknown): GoValue => {
    if (x === null) return null;
    if (typeof x === 'string') return fromText(x);
    if (typeof x === 'number') {
      if (!Number.isFinite(x)) throw new JSONError('json: cannot unmarshal number into Go value of type float64');
      return x;
    }
    if (typeof x === 'boolean') return x;
    if (Array.isArray(x)) return new GoSlice('interface {}', x.map(conv));
    const m = new Map<string, GoValue>();
    for (const [k, v] of Object.entries(x as Record<string, unknown>)) m.set(fromText(k), conv(v));
    return new GoMap('interface {}', m);
  };
  // JSON.parse accepts what Go accepts except: Go rejects nothing more for well-formed input, but
  // JSON.parse keeps the last duplicate key as Go does. Large numbers become float64 in both.
  return conv(parsed);
}

// ------------------------------------------------------------------------------------------- base64

const std64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const std32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function b64encode(s: string): string {
  return Buffer.from(toBytes(s)).toString('base64');
}

/** base64.StdEncoding.DecodeString with Go's exact CorruptInputError offsets. */
export function b64decode(s: string): string {
  return decodeGeneric(s, std64, 4, 6);
}

export function b32encode(s: string): string {
  const b = toBytes(s);
  let out = '';
  for (let i = 0; i < b.length; i += 5) {
    const chunk = b.subarray(i, i + 5);
    let bits = 0n;
    for (let j = 0; j < 5; j++) bits = (bits << 8n) | BigInt(chunk[j] ?? 0);
    const nchars = [0, 2, 4, 5, 7, 8][chunk.length];
    for (let j = 0; j < 8; j++) {
      out += j < nchars ? std32[Number((bits >> BigInt(35 - 5 * j)) & 31n)] : '=';
    }
  }
  return out;
}

export function b32decode(s: string): string {
  return decodeGeneric(s, std32, 8, 5);
}

export class CorruptInputError extends Error {
  constructor(offset: number, label = 'base64') {
    super(`illegal ${label} data at input byte ${offset}`);
  }
}

function decodeGeneric(src: string, alphabet: string, quantum: number, bitsPer: number): string {
  const label = quantum === 4 ? 'base64' : 'base32';
  const map = new Map<number, number>();
  for (let i = 0; i < alphabet.length; i++) map.set(alphabet.charCodeAt(i), i);
  const out: number[] = [];
  let si = 0;
  while (si < src.length) {
    const dbuf = new Array<number>(quantum).fill(0);
    let dlen = quantum;
    let err: number | null = null;
    let j = 0;
    for (; j < quantum; j++) {
      if (src.length === si) {
        if (j === 0) return fromBytes(Uint8Array.from(out));
        throw new CorruptInputError(si - j, label);
      }
      const inc = src.charCodeAt(si);
      si++;
      const o = map.get(inc);
      if (o !== undefined) {
        dbuf[j] = o;
        continue;
      }
      if (inc === 10 || inc === 13) {
        j--;
        continue;
      }
      if (inc !== 0x3d) throw new CorruptInputError(si - 1, label);
      // padding
      if (quantum === 4) {
        if (j === 0 || j === 1) throw new CorruptInputError(si - 1, label);
        if (j === 2) {
          while (si < src.length && (src.charCodeAt(si) === 10 || src.charCodeAt(si) === 13)) si++;
          if (si === src.length) throw new CorruptInputError(src.length, label);
          if (src.charCodeAt(si) !== 0x3d) throw new CorruptInputError(si - 1, label);
          si++;
        }
      } else {
        switch (j) {
          case 0: case 1: case 3: case 6:
            throw new CorruptInputError(si - 1, label);
        }
        // base32 expects 8-j padding chars in total
        for (let k = 0; k < quantum - 1 - j; k++) {
          while (si < src.length && (src.charCodeAt(si) === 10 || src.charCodeAt(si) === 13)) si++;
          if (si >= src.length) throw new CorruptInputError(src.length, label);
          if (src.charCodeAt(si) !== 0x3d) throw new CorruptInputError(si, label);
          si++;
        }
      }
      while (si < src.length && (src.charCodeAt(si) === 10 || src.charCodeAt(si) === 13)) si++;
      if (si < src.length) err = si;
      dlen = j;
      break;
    }
    let val = 0n;
    for (let k = 0; k < quantum; k++) val = (val << BigInt(bitsPer)) | BigInt(dbuf[k]);
    const totalBytes = (quantum * bitsPer) / 8;
    const nbytes = Math.floor((dlen * bitsPer) / 8);
    for (let k = 0; k < nbytes; k++) out.push(Number((val >> BigInt(8 * (totalBytes - 1 - k))) & 0xffn));
    if (err !== null) throw new CorruptInputError(err, label);
  }
  return fromBytes(Uint8Array.from(out));
}
