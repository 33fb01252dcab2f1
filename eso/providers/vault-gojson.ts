/**
 * Go `encoding/json` behaviour the AWS and Vault providers need to reproduce ESO's bytes (ESO-SEMANTICS
 * §7.1, §7.2, §9): decoding with or without `UseNumber`, `json.Unmarshal` into `map[string]json.RawMessage`,
 * `json.Marshal` (sorted keys, HTML escaping), Go's syntax/type error texts, and float formatting.
 *
 * Interim local adapter: `eso/gojson` (being written in parallel) is the project's shared implementation;
 * once it lands, these functions become thin re-exports of it. Pure: no I/O.
 */

/** A JSON number kept as the server's exact text (Go `json.Number`, i.e. decoding with UseNumber). */
export class GoNumber {
  constructor(readonly text: string) {}
}

/** A decoded JSON value. Objects are Maps (a later duplicate key overwrites, as in Go). */
export type GoValue = string | boolean | null | GoNumber | number | GoValue[] | GoObject;
export type GoObject = Map<string, GoValue>;

/** A Go `encoding/json` error; `message` is Go's exact text. */
export class GoJsonError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GoJsonError';
  }
}

const utf8 = new TextDecoder('utf-8');

/** A parsed value together with the byte range of its raw text (for json.RawMessage). */
export interface Node {
  value: GoValue;
  start: number;
  end: number;
  /** For objects: entries with the raw byte range of each value, in document order. */
  entries?: { key: string; start: number; end: number; node: Node }[];
  /** For arrays: the elements. */
  items?: Node[];
}

/** Go's `quoteChar` for a byte in a syntax error message. */
function quoteChar(c: number): string {
  if (c === 0x27) return `'\\''`;
  if (c === 0x22) return `'"'`;
  const named: Record<number, string> = { 7: '\\a', 8: '\\b', 12: '\\f', 10: '\\n', 13: '\\r', 9: '\\t', 11: '\\v', 0x5c: '\\\\' };
  if (named[c]) return `'${named[c]}'`;
  if (c < 0x20 || c === 0x7f) return `'\\x${c.toString(16).padStart(2, '0')}'`;
  if (c >= 0x80 && c < 0xa0) return `'\\u${c.toString(16).padStart(4, '0')}'`;
  if (c === 0xad) return `'\\u00ad'`;
  return `'${String.fromCharCode(c)}'`;
}

class Parser {
  pos = 0;
  constructor(readonly b: Uint8Array, readonly useNumber: boolean) {}

  fail(context: string): never {
    if (this.pos >= this.b.length) throw new GoJsonError('unexpected end of JSON input');
    throw new GoJsonError(`invalid character ${quoteChar(this.b[this.pos])} ${context}`);
  }

  ws(): void {
    const b = this.b;
    while (this.pos < b.length && (b[this.pos] === 0x20 || b[this.pos] === 0x09 || b[this.pos] === 0x0a || b[this.pos] === 0x0d)) this.pos++;
  }

  document(): Node {
    this.ws();
    const n = this.value();
    this.ws();
    if (this.pos < this.b.length) this.fail('after top-level value');
    return n;
  }

  value(): Node {
    const b = this.b;
    const start = this.pos;
    if (this.pos >= b.length) this.fail('looking for beginning of value');
    const c = b[this.pos];
    if (c === 0x7b) return this.object();
    if (c === 0x5b) {
      this.pos++;
      const arr: GoValue[] = [];
      const items: Node[] = [];
      this.ws();
      if (b[this.pos] === 0x5d) {
        this.pos++;
        return { value: arr, start, end: this.pos, items };
      }
      for (;;) {
        this.ws();
        const item = this.value();
        items.push(item);
        arr.push(item.value);
        this.ws();
        if (this.pos >= b.length) this.fail('');
        if (b[this.pos] === 0x2c) {
          this.pos++;
          continue;
        }
        if (b[this.pos] === 0x5d) {
          this.pos++;
          return { value: arr, start, end: this.pos, items };
        }
        this.fail('after array element');
      }
    }
    if (c === 0x22) return { value: this.string(), start, end: this.pos };
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
    if (c === 0x74) return this.literal('true', true);
    if (c === 0x66) return this.literal('false', false);
    if (c === 0x6e) return this.literal('null', null);
    this.fail('looking for beginning of value');
  }

  literal(word: string, value: GoValue): Node {
    const start = this.pos;
    for (let i = 0; i < word.length; i++) {
      if (this.pos >= this.b.length) this.fail('');
      if (this.b[this.pos] !== word.charCodeAt(i)) this.fail(`in literal ${word} (expecting '${word[i]}')`);
      this.pos++;
    }
    return { value, start, end: this.pos };
  }

  number(): Node {
    const b = this.b;
    const start = this.pos;
    const digit = (): boolean => this.pos < b.length && b[this.pos] >= 0x30 && b[this.pos] <= 0x39;
    if (b[this.pos] === 0x2d) {
      this.pos++;
      if (!digit()) this.fail('in numeric literal');
    }
    if (b[this.pos] === 0x30) this.pos++;
    else while (digit()) this.pos++;
    if (this.pos < b.length && b[this.pos] === 0x2e) {
      this.pos++;
      if (!digit()) this.fail('after decimal point in numeric literal');
      while (digit()) this.pos++;
    }
    if (this.pos < b.length && (b[this.pos] === 0x65 || b[this.pos] === 0x45)) {
      this.pos++;
      if (this.pos < b.length && (b[this.pos] === 0x2b || b[this.pos] === 0x2d)) this.pos++;
      if (!digit()) this.fail('in exponent of numeric literal');
      while (digit()) this.pos++;
    }
    const text = Buffer.from(b.subarray(start, this.pos)).toString('latin1');
    return { value: this.useNumber ? new GoNumber(text) : Number(text), start, end: this.pos };
  }

  string(): string {
    const b = this.b;
    this.pos++; // opening quote
    const parts: Uint8Array[] = [];
    let run = this.pos;
    for (;;) {
      if (this.pos >= b.length) this.fail('');
      const c = b[this.pos];
      if (c === 0x22) {
        parts.push(b.subarray(run, this.pos));
        this.pos++;
        return utf8.decode(Buffer.concat(parts));
      }
      if (c < 0x20) this.fail('in string literal');
      if (c !== 0x5c) {
        this.pos++;
        continue;
      }
      parts.push(b.subarray(run, this.pos));
      this.pos++;
      if (this.pos >= b.length) this.fail('');
      const e = b[this.pos];
      const simple: Record<number, string> = { 0x22: '"', 0x5c: '\\', 0x2f: '/', 0x62: '\b', 0x66: '\f', 0x6e: '\n', 0x72: '\r', 0x74: '\t' };
      if (simple[e] !== undefined) {
        parts.push(Buffer.from(simple[e], 'utf8'));
        this.pos++;
      } else if (e === 0x75) {
        this.pos++;
        let cp = this.hex4();
        if (cp >= 0xd800 && cp < 0xdc00) {
          // A high surrogate needs a following \uDC00-\uDFFF escape; otherwise Go writes U+FFFD.
          const save = this.pos;
          if (b[this.pos] === 0x5c && b[this.pos + 1] === 0x75) {
            this.pos += 2;
            const lo = this.hex4();
            if (lo >= 0xdc00 && lo < 0xe000) cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            else {
              this.pos = save;
              cp = 0xfffd;
            }
          } else cp = 0xfffd;
        } else if (cp >= 0xdc00 && cp < 0xe000) cp = 0xfffd;
        parts.push(Buffer.from(String.fromCodePoint(cp), 'utf8'));
      } else this.fail('in string escape code');
      run = this.pos;
    }
  }

  hex4(): number {
    let v = 0;
    for (let i = 0; i < 4; i++) {
      if (this.pos >= this.b.length) this.fail('');
      const c = this.b[this.pos];
      const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;
      if (d < 0) this.fail('in \\u hexadecimal character escape');
      v = v * 16 + d;
      this.pos++;
    }
    return v;
  }

  object(): Node {
    const b = this.b;
    const start = this.pos;
    this.pos++;
    const map: GoObject = new Map();
    const entries: { key: string; start: number; end: number; node: Node }[] = [];
    this.ws();
    if (b[this.pos] === 0x7d) {
      this.pos++;
      return { value: map, start, end: this.pos, entries };
    }
    for (;;) {
      this.ws();
      if (this.pos >= b.length || b[this.pos] !== 0x22) this.fail('looking for beginning of object key string');
      const key = this.string();
      this.ws();
      if (this.pos >= b.length || b[this.pos] !== 0x3a) this.fail('after object key');
      this.pos++;
      this.ws();
      const v = this.value();
      map.set(key, v.value);
      entries.push({ key, start: v.start, end: v.end, node: v });
      this.ws();
      if (this.pos >= b.length) this.fail('');
      if (b[this.pos] === 0x2c) {
        this.pos++;
        continue;
      }
      if (b[this.pos] === 0x7d) {
        this.pos++;
        return { value: map, start, end: this.pos, entries };
      }
      this.fail('after object key:value pair');
    }
  }
}

const asBytes = (input: Uint8Array | string): Uint8Array => (typeof input === 'string' ? Buffer.from(input, 'utf8') : input);

/** The parse tree with raw byte spans (used by the interim gjson adapter). */
export function goParseTree(input: Uint8Array | string): Node {
  return new Parser(asBytes(input), true).document();
}

/** `json.Unmarshal` into `any` (UseNumber: numbers stay GoNumber; otherwise float64 as JS number). */
export function goDecode(input: Uint8Array | string, opts: { useNumber: boolean }): GoValue {
  const v = new Parser(asBytes(input), opts.useNumber).document().value;
  if (!opts.useNumber) checkFloats(v);
  return v;
}

function checkFloats(v: GoValue): void {
  if (typeof v === 'number' && !Number.isFinite(v)) {
    throw new GoJsonError('json: cannot unmarshal number into Go value of type float64');
  }
  if (Array.isArray(v)) v.forEach(checkFloats);
  else if (v instanceof Map) v.forEach(checkFloats);
}

function kindName(v: GoValue): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number' || v instanceof GoNumber) return 'number';
  if (Array.isArray(v)) return 'array';
  return 'object';
}

/** `json.Unmarshal(data, &map[string]any)`: null → empty map; non-object → Go's type error. */
export function goDecodeObject(input: Uint8Array | string, opts: { useNumber: boolean }): GoObject {
  const v = goDecode(input, opts);
  if (v === null) return new Map();
  if (!(v instanceof Map)) throw new GoJsonError(`json: cannot unmarshal ${kindName(v)} into Go value of type map[string]interface {}`);
  return v;
}

/** `json.Unmarshal(data, &map[string]json.RawMessage)`: each value's exact bytes. */
export function goDecodeRawMap(input: Uint8Array | string): Map<string, Uint8Array> {
  const bytes = asBytes(input);
  const node = new Parser(bytes, true).document();
  const out = new Map<string, Uint8Array>();
  if (node.value === null) return out;
  if (!(node.value instanceof Map)) {
    throw new GoJsonError(`json: cannot unmarshal ${kindName(node.value)} into Go value of type map[string]json.RawMessage`);
  }
  for (const e of node.entries ?? []) out.set(e.key, bytes.subarray(e.start, e.end));
  return out;
}

/** strconv.FormatFloat(f, 'f', -1, 64): shortest round-trip digits, never an exponent. */
export function formatFloatF(f: number): string {
  if (Object.is(f, -0)) return '-0';
  if (f === 0) return '0';
  const neg = f < 0;
  const [mant, expText] = Math.abs(f).toExponential().split('e');
  const digits = mant.replace('.', '');
  const exp = Number(expText);
  let out: string;
  if (exp >= 0) {
    out = digits.length <= exp + 1 ? digits + '0'.repeat(exp + 1 - digits.length) : `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  } else {
    out = `0.${'0'.repeat(-exp - 1)}${digits}`;
  }
  return neg ? `-${out}` : out;
}

/** How Go's encoding/json writes a float64. */
function marshalFloat(f: number): string {
  const abs = Math.abs(f);
  if (abs !== 0 && (abs < 1e-6 || abs >= 1e21)) return f.toExponential();
  return formatFloatF(f);
}

const HEX = '0123456789abcdef';

/** Go's JSON string encoding (encodeState.string): `\b \f \n \r \t`, \u00XX, HTML and U+2028/9 escapes. */
export function goQuote(s: string, escapeHTML: boolean): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c === 0x08) out += '\\b';
    else if (c === 0x0c) out += '\\f';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c < 0x20 || (escapeHTML && (c === 0x3c || c === 0x3e || c === 0x26))) out += `\\u00${HEX[c >> 4]}${HEX[c & 15]}`;
    else if (c === 0x2028 || c === 0x2029) out += `\\u202${HEX[c & 15]}`;
    else if (c >= 0xd800 && c < 0xe000) out += '\\ufffd'; // a lone surrogate is invalid UTF-8 to Go
    else out += ch;
  }
  return out + '"';
}

/** Go orders map keys by their UTF-8 bytes. */
export function goKeyOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** `json.Marshal` of a decoded value: compact, map keys sorted, HTML-escaped unless told otherwise. */
export function goMarshal(v: GoValue, opts: { escapeHTML?: boolean } = {}): string {
  const esc = opts.escapeHTML ?? true;
  if (v === null) return 'null';
  if (typeof v === 'string') return goQuote(v, esc);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return marshalFloat(v);
  if (v instanceof GoNumber) return v.text;
  if (Array.isArray(v)) return `[${v.map((x) => goMarshal(x, opts)).join(',')}]`;
  const keys = [...v.keys()].sort(goKeyOrder);
  return `{${keys.map((k) => `${goQuote(k, esc)}:${goMarshal(v.get(k)!, opts)}`).join(',')}}`;
}

/** ESO's GetByteValue for a decoded value (ESO-SEMANTICS §9). */
export function goByteValue(v: GoValue): string {
  if (typeof v === 'string') return v;
  if (v === null) return '';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return formatFloatF(v);
  if (v instanceof GoNumber) return v.text;
  return goMarshal(v);
}

/** Go's `%v` of a decoded value as ESO's metadata reader prints it (`fmt.Sprintf("%v", v)`). */
export function goSprintV(v: GoValue): string {
  if (typeof v === 'string') return v;
  if (v === null) return '<nil>';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v instanceof GoNumber) return v.text;
  if (typeof v === 'number') return String(v);
  if (Array.isArray(v)) return `[${v.map(goSprintV).join(' ')}]`;
  const keys = [...v.keys()].sort(goKeyOrder);
  return `map[${keys.map((k) => `${k}:${goSprintV(v.get(k)!)}`).join(' ')}]`;
}
