/**
 * tidwall/pretty v1.2.0 `PrettyOptions` as gjson's `@pretty` modifier uses it, on byte strings: one
 * element per line, arrays kept on one line when they fit `width`, optional `prefix`, `indent` and
 * `sortKeys` (by key, then value; strings by decoded text, numbers numerically).
 */
import { parseFloatGo, unmarshalAny } from '../gojson/index.ts';

export interface PrettyOptions {
  width: number;
  prefix: string;
  indent: string;
  sortKeys: boolean;
}

export const DEFAULT_PRETTY: PrettyOptions = { width: 80, prefix: '', indent: '  ', sortKeys: false };

interface Pair {
  kstart: number;
  kend: number;
  vstart: number;
  vend: number;
}

type Ret = [string, number, number, boolean];

export function pretty(json: string, opts: PrettyOptions, trimSpace: (s: string) => string): string {
  const p = new Printer(json, opts, trimSpace);
  let buf = opts.prefix;
  [buf] = p.any(buf, 0, true, opts.width, opts.prefix, opts.indent, opts.sortKeys, 0, 0, -1);
  if (buf.length > 0) buf += '\n';
  return buf;
}

function isNaNOrInf(json: string, i: number): boolean {
  const c = json[i];
  return c === 'i' || c === 'I' || c === '+' || c === 'N' || (c === 'n' && i + 1 < json.length && json[i + 1] !== 'u');
}

const enum JType {
  Null,
  False,
  Number,
  String,
  True,
  JSON,
}

function jtype(v: string): JType {
  if (v.length === 0) return JType.Null;
  switch (v[0]) {
    case '"': return JType.String;
    case 'f': return JType.False;
    case 't': return JType.True;
    case 'n': return JType.Null;
    case '[':
    case '{': return JType.JSON;
    default: return JType.Number;
  }
}

class Printer {
  constructor(
    readonly json: string,
    readonly opts: PrettyOptions,
    readonly trimSpace: (s: string) => string,
  ) {}

  any(buf: string, i: number, pretty: boolean, width: number, prefix: string, indent: string, sortkeys: boolean, tabs: number, nl: number, max: number): Ret {
    const json = this.json;
    for (; i < json.length; i++) {
      if (json.charCodeAt(i) <= 0x20) continue;
      const c = json[i]!;
      if (c === '"') return this.str(buf, i, nl);
      if ((c >= '0' && c <= '9') || c === '-' || isNaNOrInf(json, i)) return this.num(buf, i, nl);
      if (c === '{') return this.object(buf, i, '{', '}', pretty, width, prefix, indent, sortkeys, tabs, nl, max);
      if (c === '[') return this.object(buf, i, '[', ']', pretty, width, prefix, indent, sortkeys, tabs, nl, max);
      if (c === 't') return [buf + 'true', i + 4, nl, true];
      if (c === 'f') return [buf + 'false', i + 5, nl, true];
      if (c === 'n') return [buf + 'null', i + 4, nl, true];
    }
    return [buf, i, nl, true];
  }

  str(buf: string, i: number, nl: number): Ret {
    const json = this.json;
    const s = i;
    i++;
    for (; i < json.length; i++) {
      if (json[i] === '"') {
        let sc = 0;
        for (let j = i - 1; j > s; j--) {
          if (json[j] === '\\') sc++;
          else break;
        }
        if (sc % 2 === 1) continue;
        i++;
        break;
      }
    }
    return [buf + json.slice(s, i), i, nl, true];
  }

  num(buf: string, i: number, nl: number): Ret {
    const json = this.json;
    const s = i;
    i++;
    for (; i < json.length; i++) {
      const c = json[i]!;
      if (json.charCodeAt(i) <= 0x20 || c === ',' || c === ':' || c === ']' || c === '}') break;
    }
    return [buf + json.slice(s, i), i, nl, true];
  }

  tabs(buf: string, prefix: string, indent: string, tabs: number): string {
    return buf + prefix + indent.repeat(tabs);
  }

  object(buf: string, i: number, open: string, close: string, pretty: boolean, width: number, prefix: string, indent: string, sortkeys: boolean, tabs: number, nl: number, max: number): Ret {
    const json = this.json;
    let ok: boolean;
    if (width > 0) {
      if (pretty && open === '[' && max === -1) {
        const m = width - (buf.length - nl);
        if (m > 3) {
          const s1 = buf.length;
          const s2 = i;
          let one: string;
          [one, i, , ok] = this.object(buf, i, '[', ']', false, width, prefix, '', sortkeys, 0, 0, m);
          if (ok && one.length - s1 <= m) return [one, i, nl, true];
          i = s2;
        }
      } else if (max !== -1 && open === '{') {
        return [buf, i, nl, false];
      }
    }
    buf += open;
    i++;
    const pairs: Pair[] = [];
    let n = 0;
    for (; i < json.length; i++) {
      if (json.charCodeAt(i) <= 0x20) continue;
      if (json[i] === close) {
        if (pretty) {
          if (open === '{' && sortkeys) buf = this.sortPairs(buf, pairs);
          if (n > 0) {
            nl = buf.length;
            buf = buf[nl - 1] === ' ' ? buf.slice(0, -1) + '\n' : buf + '\n';
          }
          if (buf[buf.length - 1] !== open) buf = this.tabs(buf, prefix, indent, tabs);
        }
        buf += close;
        return [buf, i + 1, nl, open !== '{'];
      }
      if (open === '[' || json[i] === '"') {
        if (n > 0) {
          buf += ',';
          if (width !== -1 && open === '[') buf += ' ';
        }
        const p: Pair = { kstart: 0, kend: 0, vstart: 0, vend: 0 };
        if (pretty) {
          nl = buf.length;
          buf = buf[nl - 1] === ' ' ? buf.slice(0, -1) + '\n' : buf + '\n';
          if (open === '{' && sortkeys) {
            p.kstart = i;
            p.vstart = buf.length;
          }
          buf = this.tabs(buf, prefix, indent, tabs + 1);
        }
        if (open === '{') {
          [buf, i, nl] = this.str(buf, i, nl);
          if (sortkeys) p.kend = i;
          buf += ':';
          if (pretty) buf += ' ';
        }
        [buf, i, nl, ok] = this.any(buf, i, pretty, width, prefix, indent, sortkeys, tabs + 1, nl, max);
        if (max !== -1 && !ok) return [buf, i, nl, false];
        if (pretty && open === '{' && sortkeys) {
          p.vend = buf.length;
          if (p.kstart > p.kend || p.vstart > p.vend) sortkeys = false;
          else pairs.push(p);
        }
        i--;
        n++;
      }
    }
    return [buf, i, nl, open !== '{'];
  }

  sortPairs(buf: string, pairs: Pair[]): string {
    if (pairs.length === 0) return buf;
    const vstart = pairs[0]!.vstart;
    const json = this.json;
    const key = (p: Pair): string => json.slice(p.kstart, p.kend);
    const val = (p: Pair): string => {
      const k = key(p);
      let v = this.trimSpace(buf.slice(p.vstart, p.vend));
      if (v.length >= k.length + 1) v = this.trimSpace(v.slice(k.length + 1));
      return v;
    };
    const isLess = (a: Pair, b: Pair, byKey: boolean): boolean => {
      const v1 = byKey ? key(a) : val(a);
      const v2 = byKey ? key(b) : val(b);
      const t1 = jtype(v1);
      const t2 = jtype(v2);
      if (t1 !== t2) return t1 < t2;
      if (t1 === JType.String) return parsestr(v1) < parsestr(v2);
      if (t1 === JType.Number) return parseFloatGo(v1) < parseFloatGo(v2);
      return v1 < v2;
    };
    const less = (a: Pair, b: Pair): boolean => {
      if (isLess(a, b, true)) return true;
      if (isLess(b, a, true)) return false;
      return isLess(a, b, false);
    };
    const sorted = insertionStable(pairs, less);
    return buf.slice(0, vstart) + sorted.map((p) => buf.slice(p.vstart, p.vend)).join(',\n');
  }
}

/** A stable sort by a `less` function (same result as Go's sort.Stable for a consistent order). */
function insertionStable<T>(items: T[], less: (a: T, b: T) => boolean): T[] {
  const out = [...items];
  for (let i = 1; i < out.length; i++) {
    for (let j = i; j > 0 && less(out[j]!, out[j - 1]!); j--) {
      const t = out[j]!;
      out[j] = out[j - 1]!;
      out[j - 1] = t;
    }
  }
  return out;
}

/** pretty's parsestr: the text of a string literal, decoding escapes with encoding/json ("" on failure). */
function parsestr(s: string): string {
  for (let i = 1; i < s.length; i++) {
    if (s[i] === '\\') {
      try {
        const v = unmarshalAny(Buffer.from(s, 'latin1'));
        return typeof v === 'string' ? Buffer.from(v, 'utf8').toString('latin1') : '';
      } catch {
        return '';
      }
    }
    if (s[i] === '"') return s.slice(1, i);
  }
  return '';
}
