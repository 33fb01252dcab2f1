/**
 * Go `encoding/json` decoding (`json.Unmarshal`), for the targets ESO decodes into:
 * `interface{}` (with or without `UseNumber`), `map[string]interface{}` and `map[string]json.RawMessage`.
 * Like Go it first checks the whole input's syntax (errors carry the scanner's exact wording), then
 * decodes, reporting the first type mismatch. Strings decode as Go decodes them: invalid UTF-8 bytes and
 * unpaired `\uD800`-style escapes become U+FFFD.
 */
import { goQuote } from '../../core/go/strconv.ts';
import { GoJsonError } from './errors.ts';
import { parseFloatGo } from './float.ts';
import { decodeUtf8Go } from '../../core/go/utf8.ts';
import { GoNumber, type GoValue } from './value.ts';

const MAX_DEPTH = 10000;

type Node =
  | { k: 'obj'; s: number; e: number; entries: [string, Node][] }
  | { k: 'arr'; s: number; e: number; items: Node[] }
  | { k: 'str'; s: number; e: number; value: string }
  | { k: 'num'; s: number; e: number; text: string }
  | { k: 'lit'; s: number; e: number; value: true | false | null };

/** Go's `quoteChar`: how the scanner names an offending byte. */
function quoteChar(c: number): string {
  if (c === 0x27) return `'\\''`;
  if (c === 0x22) return `'"'`;
  // string(c) is the rune U+00XX: C1 controls, NBSP and the soft hyphen are not printable.
  return `'${goQuote(String.fromCharCode(c)).slice(1, -1)}'`;
}

class Scanner {
  i = 0;
  constructor(readonly b: Uint8Array) {}

  fail(c: number | undefined, context: string): never {
    if (c === undefined) throw new GoJsonError('unexpected end of JSON input');
    throw new GoJsonError(`invalid character ${quoteChar(c)} ${context}`);
  }

  skipWs(): void {
    const b = this.b;
    while (this.i < b.length) {
      const c = b[this.i]!;
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return;
      this.i++;
    }
  }

  /** The next byte, or ' ' at the end of input (Go's scanner feeds a space at EOF). */
  peekOrSpace(): number {
    return this.i < this.b.length ? this.b[this.i]! : 0x20;
  }

  parseTop(): Node {
    const root = this.parseValue();
    this.skipWs();
    if (this.i < this.b.length) this.fail(this.b[this.i], 'after top-level value');
    return root;
  }

  /** Iterative: nesting up to Go's limit of 10000 without using the JS call stack. */
  parseValue(): Node {
    type Frame = { node: Node & { k: 'obj' | 'arr' }; key?: string };
    const stack: Frame[] = [];
    for (;;) {
      // Expect a value.
      this.skipWs();
      if (this.i >= this.b.length) this.fail(undefined, '');
      let value: Node;
      const c = this.b[this.i]!;
      const s = this.i;
      if (c === 0x7b || c === 0x5b) {
        if (stack.length + 1 > MAX_DEPTH) this.fail(c, 'exceeded max depth');
        this.i++;
        this.skipWs();
        const isObj = c === 0x7b;
        const node: Node & { k: 'obj' | 'arr' } = isObj
          ? { k: 'obj', s, e: 0, entries: [] }
          : { k: 'arr', s, e: 0, items: [] };
        const close = isObj ? 0x7d : 0x5d;
        if (this.i < this.b.length && this.b[this.i] === close) {
          this.i++;
          node.e = this.i;
          value = node;
        } else if (isObj) {
          stack.push({ node, key: this.parseKey() });
          continue;
        } else {
          stack.push({ node });
          continue;
        }
      } else {
        value = this.parseScalar();
      }
      // A value is complete: attach it to its parents, closing as many as the input closes.
      for (;;) {
        const top = stack[stack.length - 1];
        if (!top) return value;
        if (top.node.k === 'obj') top.node.entries.push([top.key!, value]);
        else top.node.items.push(value);
        this.skipWs();
        const d = this.b[this.i];
        const isObj = top.node.k === 'obj';
        if (d === 0x2c) {
          this.i++;
          if (isObj) {
            this.skipWs();
            top.key = this.parseKeyAfterComma();
          }
          break;
        }
        if (d === (isObj ? 0x7d : 0x5d)) {
          this.i++;
          top.node.e = this.i;
          stack.pop();
          value = top.node;
          continue;
        }
        this.fail(d, isObj ? 'after object key:value pair' : 'after array element');
      }
    }
  }

  parseKey(): string {
    if (this.i >= this.b.length) this.fail(undefined, '');
    const c = this.b[this.i]!;
    if (c !== 0x22) this.fail(c, 'looking for beginning of object key string');
    return this.parseKeyRest();
  }

  parseKeyAfterComma(): string {
    return this.parseKey();
  }

  parseKeyRest(): string {
    const key = this.parseString().value;
    this.skipWs();
    if (this.i >= this.b.length) this.fail(undefined, '');
    if (this.b[this.i] !== 0x3a) this.fail(this.b[this.i], 'after object key');
    this.i++;
    return key;
  }

  parseScalar(): Node {
    const b = this.b;
    const s = this.i;
    const c = b[s]!;
    if (c === 0x22) return this.parseString();
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.parseNumber();
    const lit = c === 0x74 ? 'true' : c === 0x66 ? 'false' : c === 0x6e ? 'null' : undefined;
    if (!lit) this.fail(c, 'looking for beginning of value');
    this.i = s + 1;
    for (let k = 1; k < lit.length; k++) {
      const d = this.peekOrSpace();
      if (d !== lit.charCodeAt(k)) this.fail(d, `in literal ${lit} (expecting '${lit[k]}')`);
      this.i++;
    }
    this.i = s + lit.length;
    return { k: 'lit', s, e: this.i, value: lit === 'true' ? true : lit === 'false' ? false : null };
  }

  parseNumber(): Node {
    const b = this.b;
    const s = this.i;
    const digit = (d: number): boolean => d >= 0x30 && d <= 0x39;
    if (b[this.i] === 0x2d) {
      this.i++;
      const d = this.peekOrSpace();
      if (!digit(d)) this.fail(d, 'in numeric literal');
    }
    if (b[this.i] === 0x30) this.i++;
    else while (this.i < b.length && digit(b[this.i]!)) this.i++;
    if (b[this.i] === 0x2e) {
      this.i++;
      const d = this.peekOrSpace();
      if (!digit(d)) this.fail(d, 'after decimal point in numeric literal');
      while (this.i < b.length && digit(b[this.i]!)) this.i++;
    }
    if (b[this.i] === 0x65 || b[this.i] === 0x45) {
      this.i++;
      if (b[this.i] === 0x2b || b[this.i] === 0x2d) this.i++;
      const d = this.peekOrSpace();
      if (!digit(d)) this.fail(d, 'in exponent of numeric literal');
      while (this.i < b.length && digit(b[this.i]!)) this.i++;
    }
    return { k: 'num', s, e: this.i, text: Buffer.from(b.subarray(s, this.i)).toString('latin1') };
  }

  parseString(): Node & { k: 'str' } {
    const b = this.b;
    const s = this.i;
    this.i++;
    let out = '';
    let run = this.i;
    const flush = (to: number): void => {
      if (to > run) out += decodeUtf8Go(b, run, to);
    };
    for (;;) {
      if (this.i >= b.length) this.fail(undefined, '');
      const c = b[this.i]!;
      if (c === 0x22) {
        flush(this.i);
        this.i++;
        return { k: 'str', s, e: this.i, value: out };
      }
      if (c < 0x20) this.fail(c, 'in string literal');
      if (c !== 0x5c) {
        this.i++;
        continue;
      }
      flush(this.i);
      this.i++;
      const esc = this.i < b.length ? b[this.i]! : undefined;
      // At the end of input Go's scanner is fed a space, which is not a valid escape.
      if (esc === undefined) this.fail(0x20, 'in string escape code');
      this.i++;
      switch (esc) {
        case 0x22: out += '"'; break;
        case 0x5c: out += '\\'; break;
        case 0x2f: out += '/'; break;
        case 0x62: out += '\b'; break;
        case 0x66: out += '\f'; break;
        case 0x6e: out += '\n'; break;
        case 0x72: out += '\r'; break;
        case 0x74: out += '\t'; break;
        case 0x75: {
          const r = this.hex4();
          if (r >= 0xd800 && r < 0xe000) {
            // Go pairs a surrogate with an immediately following \uXXXX only when the pair is valid;
            // otherwise the first becomes U+FFFD and the second escape is decoded on its own.
            if (r < 0xdc00 && b[this.i] === 0x5c && b[this.i + 1] === 0x75 && isHex4(b, this.i + 2)) {
              const r2 = parseInt(Buffer.from(b.subarray(this.i + 2, this.i + 6)).toString('latin1'), 16);
              if (r2 >= 0xdc00 && r2 < 0xe000) {
                out += String.fromCharCode(r, r2);
                this.i += 6;
                break;
              }
            }
            out += '\ufffd';
          } else {
            out += String.fromCharCode(r);
          }
          break;
        }
        default:
          this.fail(esc, 'in string escape code');
      }
      run = this.i;
    }
  }

  hex4(): number {
    let v = 0;
    for (let k = 0; k < 4; k++) {
      const d = this.i < this.b.length ? this.b[this.i]! : undefined;
      if (d === undefined) this.fail(0x20, 'in \\u hexadecimal character escape');
      const h = hexVal(d);
      if (h < 0) this.fail(d, 'in \\u hexadecimal character escape');
      v = v * 16 + h;
      this.i++;
    }
    return v;
  }
}

function hexVal(d: number): number {
  if (d >= 0x30 && d <= 0x39) return d - 0x30;
  if (d >= 0x61 && d <= 0x66) return d - 0x61 + 10;
  if (d >= 0x41 && d <= 0x46) return d - 0x41 + 10;
  return -1;
}

function isHex4(b: Uint8Array, i: number): boolean {
  for (let k = 0; k < 4; k++) if (i + k >= b.length || hexVal(b[i + k]!) < 0) return false;
  return true;
}

function toBytes(input: string | Uint8Array): Uint8Array {
  return typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
}

function scan(b: Uint8Array): Node {
  return new Scanner(b).parseTop();
}

const KIND_NAME = { obj: 'object', arr: 'array', str: 'string', num: 'number' } as const;

function kindName(n: Node): string {
  if (n.k === 'lit') return n.value === null ? 'null' : 'bool';
  return KIND_NAME[n.k];
}

/** Decoding state: Go keeps going after a type mismatch and reports the first one at the end. */
class Decoder {
  firstError: string | undefined;
  constructor(readonly useNumber: boolean) {}

  save(msg: string): void {
    this.firstError ??= msg;
  }

  /**
   * A value decoded into `interface{}` (Go names no field for errors inside interface values). Iterative,
   * depth-first in document order, so the first saved error is Go's first.
   */
  any(root: Node): GoValue {
    type Frame = { n: Node & { k: 'arr' }; out: GoValue[]; i: number } | { n: Node & { k: 'obj' }; out: Map<string, GoValue>; i: number };
    const stack: Frame[] = [];
    const make = (n: Node): GoValue => {
      switch (n.k) {
        case 'lit':
        case 'str':
          return n.value;
        case 'num': {
          if (this.useNumber) return new GoNumber(n.text);
          const f = parseFloatGo(n.text);
          if (!Number.isFinite(f)) {
            this.save(`json: cannot unmarshal number ${n.text} into Go value of type float64`);
            return null;
          }
          return f;
        }
        case 'arr': {
          const out: GoValue[] = [];
          stack.push({ n, out, i: 0 });
          return out;
        }
        case 'obj': {
          const out = new Map<string, GoValue>();
          stack.push({ n, out, i: 0 });
          return out;
        }
      }
    };
    const result = make(root);
    while (stack.length > 0) {
      const f = stack[stack.length - 1]!;
      if (f.n.k === 'arr') {
        if (f.i < f.n.items.length) (f.out as GoValue[]).push(make(f.n.items[f.i++]!));
        else stack.pop();
      } else {
        if (f.i < f.n.entries.length) {
          const [k, v] = f.n.entries[f.i++]!;
          (f.out as Map<string, GoValue>).set(k, make(v));
        } else {
          stack.pop();
        }
      }
    }
    return result;
  }
}

export interface UnmarshalOptions {
  /** `Decoder.UseNumber()`: numbers become `GoNumber` holding their exact text instead of float64. */
  useNumber?: boolean;
}

/** `json.Unmarshal(data, &v)` with `v interface{}`. Throws GoJsonError with Go's message. */
export function unmarshalAny(input: string | Uint8Array, opts: UnmarshalOptions = {}): GoValue {
  const root = scan(toBytes(input));
  const d = new Decoder(opts.useNumber ?? false);
  const v = d.any(root);
  if (d.firstError !== undefined) throw new GoJsonError(d.firstError);
  return v;
}

/**
 * `json.Unmarshal(data, &m)` with `m map[string]interface{}`. A JSON `null` leaves the map nil: the result
 * is an empty map and no error, exactly as in Go.
 */
export function unmarshalObject(input: string | Uint8Array, opts: UnmarshalOptions = {}): Map<string, GoValue> {
  const root = scan(toBytes(input));
  if (root.k === 'lit' && root.value === null) return new Map();
  if (root.k !== 'obj') {
    throw new GoJsonError(`json: cannot unmarshal ${kindName(root)} into Go value of type map[string]interface {}`);
  }
  const d = new Decoder(opts.useNumber ?? false);
  const m = new Map<string, GoValue>();
  for (const [k, v] of root.entries) m.set(k, d.any(v));
  if (d.firstError !== undefined) throw new GoJsonError(d.firstError);
  return m;
}

/**
 * `json.Unmarshal(data, &m)` with `m map[string]json.RawMessage`: each value's exact bytes (no surrounding
 * whitespace), last duplicate key winning. `null` gives an empty map.
 */
export function unmarshalRawObject(input: string | Uint8Array): Map<string, Uint8Array> {
  const b = toBytes(input);
  const root = scan(b);
  if (root.k === 'lit' && root.value === null) return new Map();
  if (root.k !== 'obj') {
    throw new GoJsonError(`json: cannot unmarshal ${kindName(root)} into Go value of type map[string]json.RawMessage`);
  }
  const m = new Map<string, Uint8Array>();
  for (const [k, v] of root.entries) m.set(k, b.slice(v.s, v.e));
  return m;
}

/**
 * `json.Unmarshal(raw, &s)` with `s string`, as ESO's AWS/fake extract does for each RawMessage value:
 * a JSON string gives its text, `null` gives "" (Go leaves s untouched), anything else is not a string.
 */
export function unmarshalStringOrNull(raw: Uint8Array): string | undefined {
  let n: Node;
  try {
    n = scan(raw);
  } catch {
    return undefined;
  }
  if (n.k === 'str') return n.value;
  if (n.k === 'lit' && n.value === null) return '';
  return undefined;
}

/** `json.Valid(data)`. */
export function validJSON(input: string | Uint8Array): boolean {
  try {
    scan(toBytes(input));
    return true;
  } catch (e) {
    if (e instanceof GoJsonError) return false;
    throw e;
  }
}
