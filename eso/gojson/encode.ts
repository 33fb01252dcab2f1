/**
 * Go `encoding/json` encoding (`json.Marshal`, or an Encoder with `SetEscapeHTML(false)`): compact output,
 * map keys sorted by their UTF-8 bytes, `<`, `>`, `&` escaped as `\u003c`, `\u003e`, `\u0026` (unless
 * disabled), U+2028/U+2029 always escaped, `\b \f \n \r \t` short escapes, other control characters as
 * `\u00XX`, and anything that is not valid UTF-8 (here: lone surrogates) as `\ufffd`.
 */
import { GoJsonError } from './errors.ts';
import { formatFloatJSON } from './float.ts';
import { GoNumber, type GoValue } from './value.ts';

export interface MarshalOptions {
  /** Go's default is true (`json.Marshal`); sprig's `toRawJson` and ESO's merge `JSON` strategy use false. */
  escapeHTML?: boolean;
}

const HEX = '0123456789abcdef';
const VALID_NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;

/** Go's `appendString`: a JSON string literal for `s`. */
export function quoteJSONString(s: string, escapeHTML = true): string {
  let out = '"';
  let run = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let rep: string | undefined;
    if (c < 0x20) {
      rep =
        c === 0x08 ? '\\b' : c === 0x0c ? '\\f' : c === 0x0a ? '\\n' : c === 0x0d ? '\\r' : c === 0x09 ? '\\t'
          : `\\u00${HEX[c >> 4]}${HEX[c & 15]}`;
    } else if (c === 0x22) {
      rep = '\\"';
    } else if (c === 0x5c) {
      rep = '\\\\';
    } else if (escapeHTML && (c === 0x3c || c === 0x3e || c === 0x26)) {
      rep = `\\u00${HEX[c >> 4]}${HEX[c & 15]}`;
    } else if (c === 0x2028 || c === 0x2029) {
      rep = `\\u202${HEX[c & 15]}`;
    } else if (c >= 0xd800 && c < 0xe000) {
      const next = s.charCodeAt(i + 1);
      if (c < 0xdc00 && next >= 0xdc00 && next < 0xe000) {
        i++;
        continue;
      }
      rep = '\\ufffd';
    }
    if (rep !== undefined) {
      out += s.slice(run, i) + rep;
      run = i + 1;
    }
  }
  return out + s.slice(run) + '"';
}

/** UTF-8 byte order (= code point order), the order Go sorts map keys in. */
export function compareGoStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (astral code points) sort after every BMP code point in UTF-8.
    const xs = x >= 0xd800 && x < 0xe000;
    const ys = y >= 0xd800 && y < 0xe000;
    if (xs !== ys) return xs ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

/** `json.Marshal(v)` as text. Throws GoJsonError for NaN/±Inf floats and invalid json.Number text. */
export function marshal(v: GoValue, opts: MarshalOptions = {}): string {
  const escapeHTML = opts.escapeHTML ?? true;
  const parts: string[] = [];
  // Iterative (an explicit work stack) so that Go's maximum nesting of 10000 cannot exhaust the JS stack.
  const work: (GoValue | Emit)[] = [v];
  while (work.length > 0) {
    const x = work.pop()!;
    if (x instanceof Emit) parts.push(x.text);
    else if (x === null) parts.push('null');
    else if (x === true) parts.push('true');
    else if (x === false) parts.push('false');
    else if (typeof x === 'string') parts.push(quoteJSONString(x, escapeHTML));
    else if (typeof x === 'number') {
      if (!Number.isFinite(x)) throw new GoJsonError(`json: unsupported value: ${x === Infinity ? '+Inf' : x === -Infinity ? '-Inf' : 'NaN'}`);
      parts.push(formatFloatJSON(x));
    } else if (x instanceof GoNumber) {
      const t = x.text === '' ? '0' : x.text;
      if (!VALID_NUMBER.test(t)) throw new GoJsonError(`json: invalid number literal ${quoteJSONString(t, false)}`);
      parts.push(t);
    } else if (Array.isArray(x)) {
      parts.push('[');
      work.push(CLOSE_ARRAY);
      for (let i = x.length - 1; i >= 0; i--) {
        work.push(x[i]!);
        if (i > 0) work.push(COMMA);
      }
    } else {
      parts.push('{');
      work.push(CLOSE_OBJECT);
      const keys = [...x.keys()].sort(compareGoStrings);
      for (let i = keys.length - 1; i >= 0; i--) {
        const k = keys[i]!;
        work.push(x.get(k)!, new Emit(quoteJSONString(k, escapeHTML) + ':'));
        if (i > 0) work.push(COMMA);
      }
    }
  }
  return parts.join('');
}

/** Literal output text on the encoder's work stack (distinct from string values). */
class Emit {
  constructor(readonly text: string) {}
}
const COMMA = new Emit(',');
const CLOSE_ARRAY = new Emit(']');
const CLOSE_OBJECT = new Emit('}');

/** `json.Marshal(v)` as bytes. */
export function marshalBytes(v: GoValue, opts: MarshalOptions = {}): Uint8Array {
  return Buffer.from(marshal(v, opts), 'utf8');
}
