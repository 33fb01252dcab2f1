/**
 * The YAML behaviour ESO gets from sigs.k8s.io/yaml (yaml.v2 underneath, YAML 1.1 resolution):
 * - `unmarshalStringMap`: KeysAndValues scope, Unmarshal into map[string]string (scalars coerced);
 * - `unmarshalToGo`: fromYaml, Unmarshal into map[string]interface{} (numbers become float64);
 * - `marshalYAML`: toYaml (json.Marshal, then yaml.v2's emitter with sorted keys).
 * Structure comes from the `yaml` package (failsafe schema: every scalar a string); scalar resolution
 * follows yaml.v2's resolve() so `yes`→true, `0755`→493, `1_000`→1000, `n`→false.
 */
import { isAlias, isMap, isScalar, isSeq, parseAllDocuments, Scalar, type Document, type Node as YNode } from 'yaml';
import { fromText, toText } from '../../core/go/utf8.ts';
import { jsonFloat, marshalJSON } from './encoding.ts';
import { formatFloat, formatFloat32, parseGoFloat, parseGoInt } from '../../core/go/strconv.ts';
import { GoMap, GoSlice, type GoValue } from './value.ts';
import { goYamlSyntaxError } from './yaml-syntax.ts';

export class YamlError extends Error {}

/** A value as yaml.v2 decodes it. */
type YV = null | boolean | bigint | number | string | YV[] | Map<YV, YV> | { uint: bigint };

const resolveMap = new Map<string, YV>();
for (const s of ['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON']) resolveMap.set(s, true);
for (const s of ['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF']) resolveMap.set(s, false);
for (const s of ['', '~', 'null', 'Null', 'NULL']) resolveMap.set(s, null);
for (const s of ['.nan', '.NaN', '.NAN']) resolveMap.set(s, NaN);
for (const s of ['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF']) resolveMap.set(s, Infinity);
for (const s of ['-.inf', '-.Inf', '-.INF']) resolveMap.set(s, -Infinity);

const yamlStyleFloat = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const timestampRe = /^\d{4}-\d\d?-\d\d?([Tt]|[ \t]+\d\d?:\d\d:\d\d(\.\d*)?)?/;

/** yaml.v2 resolve() for an untagged plain scalar. */
function resolvePlain(s: string): YV {
  const c = s[0];
  let hint: string;
  if (s === '') hint = 'N';
  else if (c === '+' || c === '-') hint = 'S';
  else if (c >= '0' && c <= '9') hint = 'D';
  else if ('yYnNtTfFoO~'.includes(c)) hint = 'M';
  else if (c === '.') hint = '.';
  else hint = '';
  if (hint === '') return s;
  if (resolveMap.has(s)) return resolveMap.get(s)!;
  if (hint === '.') {
    const f = parseGoFloat(s);
    if (f !== null) return f;
  } else if (hint === 'D' || hint === 'S') {
    if (timestampRe.test(s) && /^\d{4}-\d\d?-\d\d?$/.test(s)) return s; // sigs keeps dates as text
    const plain = s.replace(/_/g, '');
    const i = parseGoInt(plain, false);
    if (i !== null) return i;
    const u = parseGoInt(plain, true);
    if (u !== null) return { uint: u };
    if (yamlStyleFloat.test(plain)) {
      const f = parseGoFloat(plain);
      if (f !== null) return f;
    }
    if (plain.startsWith('0b') && /^[01]+$/.test(plain.slice(2))) return BigInt('0b' + plain.slice(2));
    if (plain.startsWith('-0b') && /^[01]+$/.test(plain.slice(3))) return -BigInt('0b' + plain.slice(3));
  }
  return s;
}

/** go-yaml's guard against alias bombs (decode.go unmarshal, allowedAliasRatio): nodes decoded, those inside aliases. */
interface AliasCount {
  nodes: number;
  inAlias: number;
  depth: number;
}

function countNode(c: AliasCount): void {
  c.nodes++;
  if (c.depth > 0) c.inAlias++;
  const low = 400_000;
  const high = 4_000_000;
  const allowed = c.nodes <= low ? 0.99 : c.nodes >= high ? 0.1 : 0.99 - 0.89 * ((c.nodes - low) / (high - low));
  if (c.inAlias > 100 && c.nodes > 1000 && c.inAlias / c.nodes > allowed) {
    throw new YamlError('error converting YAML to JSON: yaml: document contains excessive aliasing');
  }
}

/** One document's conversion: the source (for block scalars at its end), open collections, alias counts. */
interface Convert {
  doc: Document;
  text: string;
  open: Set<YNode>;
  count: AliasCount;
}

function convertNode(n: YNode | null | undefined, cx: Convert): YV {
  const { doc, open, count } = cx;
  if (n === null || n === undefined) return null;
  countNode(count);
  // An alias is the value of the last anchor of that name before it, decoded again (go-yaml's decode.go
  // alias(): an unknown name and an anchor inside its own value are errors, in its words).
  if (isAlias(n)) {
    const target = n.resolve(doc) as YNode | undefined;
    if (!target) throw new YamlError(`error converting YAML to JSON: yaml: unknown anchor '${n.source}' referenced`);
    if (open.has(target)) throw new YamlError(`error converting YAML to JSON: yaml: anchor '${n.source}' value contains itself`);
    open.add(target);
    count.depth++;
    try {
      return convertNode(target, cx);
    } finally {
      count.depth--;
      open.delete(target);
    }
  }
  if (isScalar(n)) {
    const v = String((n as Scalar).value ?? '');
    const tag = (n as Scalar).tag;
    if (tag === 'tag:yaml.org,2002:str' || tag === '!!str') return v;
    if (n.type === Scalar.PLAIN) return resolvePlain(v);
    if ((n.type === Scalar.BLOCK_LITERAL || n.type === Scalar.BLOCK_FOLDED) && v.endsWith('\n') && endsUnbroken(n, cx.text)) return v.slice(0, -1);
    return v;
  }
  if (isSeq(n) || isMap(n)) open.add(n);
  try {
    if (isSeq(n)) return n.items.map((x) => convertNode(x as YNode, cx));
    if (isMap(n)) {
      const m = new Map<YV, YV>();
      for (const pair of n.items) {
        const k = convertNode(pair.key as YNode, cx);
        m.set(k, convertNode(pair.value as YNode, cx));
      }
      return m;
    }
  } finally {
    open.delete(n);
  }
  return null;
}

/**
 * A block scalar that runs to the end of a text with no final line break: go-yaml adds the line break
 * only where it read one (scannerc.go scan_block_scalar), the yaml package always.
 */
function endsUnbroken(n: Scalar, text: string): boolean {
  const end = n.range?.[1];
  return end !== undefined && end >= text.length && !/[\n\r\u0085\u2028\u2029]$/.test(text);
}

function parseFirst(text: string): YV {
  const source = toText(text);
  const docs = parseAllDocuments(source, {
    version: '1.1',
    schema: 'failsafe',
    uniqueKeys: false,
    strict: false,
    prettyErrors: false,
  } as never);
  const list = Array.isArray(docs) ? docs : [docs];
  if (list.length === 0) return null;
  const doc = list[0];
  if (doc.errors.length > 0) {
    // go-yaml's own words for the problem (yaml-syntax.ts); the yaml package's only where that model finds none.
    const problem = goYamlSyntaxError(source) ?? doc.errors[0].message.split('\n')[0];
    throw new YamlError(`error converting YAML to JSON: yaml: ${problem}`);
  }
  return convertNode(doc.contents as YNode, { doc: doc as Document, text: source, open: new Set(), count: { nodes: 1, inAlias: 0, depth: 0 } });
}

function keyString(k: YV, v: YV): string {
  if (typeof k === 'string') return k;
  if (typeof k === 'boolean') return k ? 'true' : 'false';
  if (typeof k === 'bigint') return k.toString();
  if (typeof k === 'number') return formatFloat32(k);
  if (k !== null && typeof k === 'object' && 'uint' in k) return (k as { uint: bigint }).uint.toString();
  void v;
  const kt = k === null ? '%!s(<nil>)' : 'map';
  throw new YamlError(`error converting YAML to JSON: unsupported map key of type: ${kt}, key: ${k === null ? '<nil>' : '...'}, value: ...`);
}

function jsonKind(v: YV): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (v instanceof Map) return 'object';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  return 'number';
}

/**
 * go-yaml parses the whole document before it decodes anything, so a syntax problem is what it reports
 * even where the `yaml` package parsed on and a later step failed (`: x`, `x: [a]: b`).
 */
function syntaxFirst<T>(text: string, decode: () => T): T {
  try {
    return decode();
  } catch (e) {
    const problem = e instanceof YamlError ? goYamlSyntaxError(toText(text)) : undefined;
    if (problem !== undefined) throw new YamlError(`error converting YAML to JSON: yaml: ${problem}`);
    throw e;
  }
}

/** sigs.k8s.io/yaml Unmarshal into map[string]string (ESO's KeysAndValues scope). */
export function unmarshalStringMap(text: string): Map<string, string> {
  return syntaxFirst(text, () => stringMap(text));
}

function stringMap(text: string): Map<string, string> {
  const root = parseFirst(text);
  const out = new Map<string, string>();
  if (root === null) return out;
  if (!(root instanceof Map)) {
    throw new YamlError(
      `error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ${jsonKind(root)} into Go value of type map[string]string`,
    );
  }
  const entries: [string, YV][] = [];
  for (const [k, v] of root) entries.push([keyString(k, v), v]);
  for (const [k, v] of entries) {
    if (Array.isArray(v) || v instanceof Map) {
      throw new YamlError(
        `error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ${jsonKind(v)} into Go value of type string`,
      );
    }
    out.set(fromText(k), scalarString(v));
  }
  return out;
}

function scalarString(v: YV): string {
  if (v === null) return '';
  if (typeof v === 'string') return fromText(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return formatFloat32(v);
  if (typeof v === 'object' && 'uint' in v) return (v as { uint: bigint }).uint.toString();
  return '';
}

/** sigs.k8s.io/yaml Unmarshal into map[string]interface{} (fromYaml). */
export function unmarshalToGo(text: string): GoMap {
  return syntaxFirst(text, () => toGoMap(text));
}

function toGoMap(text: string): GoMap {
  const root = parseFirst(text);
  const toGo = (v: YV): GoValue => {
    if (v === null) return null;
    if (typeof v === 'string') return fromText(v);
    if (typeof v === 'boolean') return v;
    if (typeof v === 'bigint') return Number(v);
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw new YamlError(`error converting YAML to JSON: json: unsupported value: ${formatFloat(v, 'g', -1)}`);
      return Number(jsonFloat(v));
    }
    if (Array.isArray(v)) return new GoSlice('interface {}', v.map(toGo));
    if (v instanceof Map) {
      const m = new Map<string, GoValue>();
      for (const [k, x] of v) m.set(fromText(keyString(k, x)), toGo(x));
      return new GoMap('interface {}', m);
    }
    return Number((v as { uint: bigint }).uint);
  };
  if (root === null) return new GoMap('interface {}', new Map());
  if (!(root instanceof Map)) {
    throw new YamlError(
      `error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ${jsonKind(root)} into Go value of type map[string]interface {}`,
    );
  }
  return toGo(root) as GoMap;
}

// -------------------------------------------------------------------------------------------- emit

/** yaml.v2 Marshal of a JSON document's value (after json.Marshal → YAML), trailing newline kept. */
function emit(v: unknown, indent: number, out: string[], inSeq: boolean): void {
  void inSeq;
  const pad = ' '.repeat(indent);
  if (Array.isArray(v)) {
    for (const item of v) {
      if (isCollection(item) && !isEmptyCollection(item)) {
        const lines: string[] = [];
        emit(item, 0, lines, true);
        out.push(pad + '- ' + lines[0]);
        for (const l of lines.slice(1)) out.push(pad + '  ' + l);
      } else out.push(pad + '- ' + scalar(item, indent + 2, indent + 2));
    }
    return;
  }
  const obj = v as Record<string, unknown>;
  for (const k of Object.keys(obj).sort()) {
    const val = obj[k];
    const key = scalar(k, indent);
    if (Array.isArray(val) && val.length > 0) {
      out.push(pad + key + ':');
      emit(val, indent, out, false);
    } else if (isCollection(val) && !isEmptyCollection(val)) {
      out.push(pad + key + ':');
      emit(val, indent + 2, out, false);
    } else out.push(pad + key + ': ' + scalar(val, indent + 2, [...toText(pad + key)].length + 2));
  }
}

function isCollection(v: unknown): boolean {
  return v !== null && typeof v === 'object';
}
function isEmptyCollection(v: unknown): boolean {
  return Array.isArray(v) ? v.length === 0 : Object.keys(v as object).length === 0;
}

/** yaml.v2 folds plain scalars at a space once the line is past 80 columns (best_width). */
function foldPlain(s: string, startCol: number, indent: number): string {
  let out = '';
  let col = startCol;
  let spaces = false;
  const chars = [...s];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === ' ') {
      if (!spaces && col > 80 && chars[i + 1] !== ' ') {
        out += '\n' + ' '.repeat(indent);
        col = indent;
      } else {
        out += c;
        col++;
      }
      spaces = true;
    } else {
      out += c;
      col++;
      spaces = false;
    }
  }
  return out;
}

function scalar(v: unknown, indent: number, col = 0): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') {
    if (Number.isInteger(v) && Math.abs(v) < 2 ** 63) return String(BigInt(v));
    return formatFloat(v, 'g', -1);
  }
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return '[]';
  if (typeof v === 'object') return '{}';
  const s = v as string;
  if (s === '') return '""';
  if (/[\x00-\x09\x0b-\x1f\x7f\x80-\x84\x86-\x9f\ufeff]/.test(s)) return doubleQuoted(s);
  if (s.includes('\n')) {
    const chomp = s.endsWith('\n') ? (s.endsWith('\n\n') ? '+' : '') : '-';
    const body = (chomp === '' || chomp === '+' ? s.replace(/\n$/, '') : s).split('\n');
    const ind = ' '.repeat(indent);
    const lead = /^[ \t]/.test(s) ? String(Math.max(indent, 2)) : '';
    return '|' + lead + chomp + '\n' + body.map((l) => (l === '' ? '' : ind + l)).join('\n');
  }
  const resolved = resolvePlain(s);
  if (typeof resolved !== 'string' || /^\d+:\d+$/.test(s)) return JSON.stringify(s);
  if (needsQuote(s)) return "'" + s.replace(/'/g, "''") + "'";
  return foldPlain(s, col, indent);
}

function needsQuote(s: string): boolean {
  if (/^[\s]|[\s]$/.test(s)) return true;
  if (/^[-?:,[\]{}#&*!|>'"%@`]/.test(s)) {
    if (/^[-?:][^\s]/.test(s) && !/^[-?:]$/.test(s)) return false;
    return true;
  }
  if (/: |:$| #/.test(s)) return true;
  if (/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/.test(s)) return true;
  return false;
}

/** toYaml: sigs.k8s.io/yaml.Marshal, trailing newline trimmed, "" on error. */
export function marshalYAML(v: GoValue): string {
  let json: string;
  try {
    json = marshalJSON(v);
  } catch {
    return '';
  }
  const parsed = JSON.parse(toText(json)) as unknown;
  let text: string;
  if (isCollection(parsed)) {
    if (isEmptyCollection(parsed)) text = Array.isArray(parsed) ? '[]' : '{}';
    else {
      const lines: string[] = [];
      emit(parsed, 0, lines, false);
      text = lines.join('\n');
    }
  } else text = scalar(parsed, 2, 0);
  return fromText(text);
}

/** yaml.v2's double-quoted style, used for strings with characters it does not print plainly. */
function doubleQuoted(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    switch (ch) {
      case '\0': out += '\\0'; continue;
      case '\x07': out += '\\a'; continue;
      case '\b': out += '\\b'; continue;
      case '\t': out += '\\t'; continue;
      case '\n': out += '\\n'; continue;
      case '\v': out += '\\v'; continue;
      case '\f': out += '\\f'; continue;
      case '\r': out += '\\r'; continue;
      case '\x1b': out += '\\e'; continue;
      case '"': out += '\\"'; continue;
      case '\\': out += '\\\\'; continue;
      case '\x85': out += '\\N'; continue;
      case '\xa0': out += '\\_'; continue;
      case '\u2028': out += '\\L'; continue;
      case '\u2029': out += '\\P'; continue;
    }
    if (c < 0x20 || c === 0x7f || (c >= 0x80 && c < 0xa0)) out += '\\x' + c.toString(16).toUpperCase().padStart(2, '0');
    else if (c === 0xfeff) out += '\\uFEFF';
    else out += ch;
  }
  return out + '"';
}
