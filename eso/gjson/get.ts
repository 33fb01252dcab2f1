/**
 * gjson v1.18.0 `Get(json, path)` re-implemented on byte strings (one JS char per byte, so every index,
 * comparison and slice behaves exactly like Go's on a UTF-8 `string`). It follows gjson's scanning
 * algorithm step by step, including its leniency on malformed JSON, because ESO feeds it whatever text a
 * user stored (AWS SecretString, fake values). Covered: dotted paths, `\` escapes, `*`/`?` wildcards,
 * array indexes, `#`, `#.path`, `#(...)`/`#(...)#` queries (==, =, !=, <, <=, >, >=, %, !%, `~` booleans,
 * nested queries), `|` pipes, `..` JSON-lines prefix, `!` literals, `[a,b]`/`{a,b}` multipaths and all
 * thirteen modifiers (`@pretty` included) — that is, all of gjson's path syntax.
 * Known divergences: `@valid`/`@fromstr`/multipath names use encoding/json's validator, which refuses
 * nesting deeper than 10000 levels where gjson's has no limit; matches nested thousands of levels deep
 * raise GjsonTooDeepError (JavaScript's stack is smaller than Go's).
 */
import { EsiError } from '../../core/index.ts';
import { encodeRune } from '../../core/go/utf8.ts';
import { formatFloatF as formatF, parseFloatGo } from '../gojson/index.ts';
import { matchLimit } from './match.ts';
import { appendJSONString, MODIFIER_FUNCS } from './modifiers.ts';
import { validJSON } from '../gojson/index.ts';

export type GjsonType = 'Null' | 'False' | 'Number' | 'String' | 'True' | 'JSON';

/** A gjson Result on byte strings. `raw` and `str` are byte strings. */
export interface RawResult {
  type: GjsonType;
  raw: string;
  str: string;
  num: number;
}

const empty = (): RawResult => ({ type: 'Null', raw: '', str: '', num: 0 });

export function exists(r: RawResult): boolean {
  return r.type !== 'Null' || r.raw.length !== 0;
}

/** gjson `Result.String()` as a byte string. */
export function resultString(r: RawResult): string {
  switch (r.type) {
    case 'False':
      return 'false';
    case 'True':
      return 'true';
    case 'String':
      return r.str;
    case 'JSON':
      return r.raw;
    case 'Number': {
      if (r.raw.length === 0) return formatF(r.num);
      let i = r.raw.charCodeAt(0) === 0x2d ? 1 : 0;
      for (; i < r.raw.length; i++) {
        const c = r.raw.charCodeAt(i);
        if (c < 0x30 || c > 0x39) return formatF(r.num);
      }
      return r.raw;
    }
    default:
      return '';
  }
}


const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;

// ---------------------------------------------------------------------------------------------------
// Scanning helpers (gjson: parseString, parseNumber, parseLiteral, parseSquash, squash, tonum, tolit, tostr)

/**
 * gjson's test for a `"` at i inside a string: it is escaped when preceded by a backslash that is not
 * itself escaped. Backslashes are counted back to, not including, index `floor`, which differs per
 * call site in gjson (kept, since inputs near the start of the document depend on it).
 */
function quoteIsEscaped(json: string, i: number, floor: number): boolean {
  if (json.charCodeAt(i - 1) !== 0x5c) return false;
  let n = 0;
  for (let j = i - 2; j > floor; j--) {
    if (json.charCodeAt(j) !== 0x5c) break;
    n++;
  }
  return n % 2 === 0;
}

/** i is just after the opening quote. Returns [next index, raw with quotes, had escapes, terminated]. */
function parseString(json: string, i: number): [number, string, boolean, boolean] {
  const s = i;
  for (; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c > 0x5c) continue;
    if (c === 0x22) return [i + 1, json.slice(s - 1, i + 1), false, true];
    if (c === 0x5c) {
      i++;
      for (; i < json.length; i++) {
        const d = json.charCodeAt(i);
        if (d > 0x5c) continue;
        if (d === 0x22) {
          if (quoteIsEscaped(json, i, 0)) continue;
          return [i + 1, json.slice(s - 1, i + 1), true, true];
        }
      }
      break;
    }
  }
  return [i, json.slice(s - 1), false, false];
}

function parseNumber(json: string, i: number): [number, string] {
  const s = i;
  i++;
  for (; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c <= 0x20 || c === 0x2c || c === 0x5d || c === 0x7d) return [i, json.slice(s, i)];
  }
  return [i, json.slice(s)];
}

function parseLiteral(json: string, i: number): [number, string] {
  const s = i;
  i++;
  for (; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c < 0x61 || c > 0x7a) return [i, json.slice(s, i)];
  }
  return [i, json.slice(s)];
}

/** 2 = quote, 3 = opener, 1 = closer. */
function vchar(c: number): number {
  switch (c) {
    case 0x22: return 2;
    case 0x7b: case 0x28: case 0x5b: return 3;
    case 0x7d: case 0x29: case 0x5d: return 1;
    default: return 0;
  }
}

/** json[i] is '[', '{' or '('. Skips the balanced value, ignoring brackets inside strings. */
function parseSquash(json: string, i: number): [number, string] {
  const s = i;
  i++;
  let depth = 1;
  while (i < json.length) {
    const c = vchar(json.charCodeAt(i));
    if (c === 0) {
      i++;
      continue;
    }
    if (c === 2) {
      i++;
      const s2 = i;
      // Find the closing quote: one preceded by an even number of backslashes (counted within the string).
      for (; i < json.length; i++) {
        if (json.charCodeAt(i) !== 0x22) continue;
        let n = 0;
        for (let j = i - 1; j > s2 - 1 && json.charCodeAt(j) === 0x5c; j--) n++;
        if (n % 2 === 0) break;
      }
    } else {
      depth += c - 2;
      if (depth === 0) {
        i++;
        return [i, json.slice(s, i)];
      }
    }
    i++;
  }
  return [i, json.slice(s)];
}

/** gjson `squash`: the leading balanced value of json (lead '[', '{', '(' or '"'). */
function squash(json: string): string {
  let i = 0;
  let depth = 0;
  if (json.charCodeAt(0) !== 0x22) {
    i = 1;
    depth = 1;
  }
  for (; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c < 0x22 || c > 0x7d) continue;
    if (c === 0x22) {
      i++;
      const s2 = i;
      for (; i < json.length; i++) {
        const d = json.charCodeAt(i);
        if (d > 0x5c) continue;
        if (d === 0x22) {
          if (quoteIsEscaped(json, i, s2 - 1)) continue;
          break;
        }
      }
      if (depth === 0) {
        if (i >= json.length) return json;
        return json.slice(0, i + 1);
      }
    } else if (c === 0x7b || c === 0x5b || c === 0x28) {
      depth++;
    } else if (c === 0x7d || c === 0x5d || c === 0x29) {
      depth--;
      if (depth === 0) return json.slice(0, i + 1);
    }
  }
  return json;
}

function tonum(json: string): [string, number] {
  for (let i = 1; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c <= 0x2d) {
      if (c <= 0x20 || c === 0x2c) {
        const raw = json.slice(0, i);
        return [raw, parseFloatGo(raw)];
      }
    } else if (c === 0x5d || c === 0x7d) {
      const raw = json.slice(0, i);
      return [raw, parseFloatGo(raw)];
    }
  }
  return [json, parseFloatGo(json)];
}

function tolit(json: string): string {
  for (let i = 1; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c < 0x61 || c > 0x7a) return json.slice(0, i);
  }
  return json;
}

function tostr(json: string): [string, string] {
  for (let i = 1; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c > 0x5c) continue;
    if (c === 0x22) return [json.slice(0, i + 1), json.slice(1, i)];
    if (c === 0x5c) {
      i++;
      for (; i < json.length; i++) {
        const d = json.charCodeAt(i);
        if (d > 0x5c) continue;
        if (d === 0x22) {
          if (quoteIsEscaped(json, i, 0)) continue;
          return [json.slice(0, i + 1), unescape(json.slice(1, i))];
        }
      }
      const raw = i + 1 < json.length ? json.slice(0, i + 1) : json.slice(0, i);
      return [raw, unescape(json.slice(1, i))];
    }
  }
  return [json, json.slice(1)];
}

/** strconv.ParseUint(s[:4], 16, 64) ignoring errors (0 on any non-hex byte). */
function runeit(s: string): number {
  const h = s.slice(0, 4);
  return /^[0-9a-fA-F]{1,4}$/.test(h) ? parseInt(h, 16) : 0;
}

/** gjson `unescape`: stops silently at a control byte or a bad escape. */
export function unescape(json: string): string {
  let out = '';
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c < 0x20) return out;
    if (c !== 0x5c) {
      out += json[i];
      continue;
    }
    i++;
    if (i >= json.length) return out;
    switch (json[i]) {
      case '\\': out += '\\'; break;
      case '/': out += '/'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case '"': out += '"'; break;
      case 'u': {
        if (i + 5 > json.length) return out;
        let r = runeit(json.slice(i + 1));
        i += 5;
        if (r >= 0xd800 && r < 0xe000) {
          if (json.length - i >= 6 && json[i] === '\\' && json[i + 1] === 'u') {
            const r2 = runeit(json.slice(i + 2));
            // utf16.DecodeRune: a valid high+low pair combines, anything else is U+FFFD.
            r = r < 0xdc00 && r2 >= 0xdc00 && r2 < 0xe000 ? ((r - 0xd800) << 10) + (r2 - 0xdc00) + 0x10000 : 0xfffd;
            i += 6;
          }
        }
        out += encodeRune(r);
        i--;
        break;
      }
      default:
        return out;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Paths

interface ObjectPath {
  part: string;
  path: string;
  pipe: string;
  piped: boolean;
  wild: boolean;
  more: boolean;
}

function isDotPiperChar(s: string): boolean {
  const c = s[0];
  if (c === '@') {
    let i = 1;
    for (; i < s.length; i++) if (s[i] === '.' || s[i] === '|' || s[i] === ':') break;
    return MODIFIER_FUNCS.has(s.slice(1, i));
  }
  return c === '[' || c === '{';
}

function parseObjectPath(path: string): ObjectPath {
  const r: ObjectPath = { part: '', path: '', pipe: '', piped: false, wild: false, more: false };
  const afterDot = (i: number): void => {
    if (i < path.length - 1 && isDotPiperChar(path.slice(i + 1))) {
      r.pipe = path.slice(i + 1);
      r.piped = true;
    } else {
      r.path = path.slice(i + 1);
      r.more = true;
    }
  };
  for (let i = 0; i < path.length; i++) {
    const c = path[i];
    if (c === '|') {
      r.part = path.slice(0, i);
      r.pipe = path.slice(i + 1);
      r.piped = true;
      return r;
    }
    if (c === '.') {
      r.part = path.slice(0, i);
      afterDot(i);
      return r;
    }
    if (c === '*' || c === '?') {
      r.wild = true;
      continue;
    }
    if (c === '\\') {
      let epart = path.slice(0, i);
      i++;
      if (i < path.length) {
        epart += path[i];
        i++;
        for (; i < path.length; i++) {
          const d = path[i];
          if (d === '\\') {
            i++;
            if (i < path.length) epart += path[i];
            continue;
          } else if (d === '.') {
            r.part = epart;
            afterDot(i);
            return r;
          } else if (d === '|') {
            r.part = epart;
            r.pipe = path.slice(i + 1);
            r.piped = true;
            return r;
          } else if (d === '*' || d === '?') {
            r.wild = true;
          }
          epart += d;
        }
      }
      r.part = epart;
      return r;
    }
  }
  r.part = path;
  return r;
}

interface ArrayPath {
  part: string;
  path: string;
  pipe: string;
  piped: boolean;
  more: boolean;
  alogok: boolean;
  arrch: boolean;
  alogkey: string;
  query: { on: boolean; all: boolean; path: string; op: string; value: string };
}

export function trim(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && s.charCodeAt(a) <= 0x20) a++;
  while (b > a && s.charCodeAt(b - 1) <= 0x20) b--;
  return s.slice(a, b);
}

function parseArrayPath(path: string): ArrayPath {
  const r: ArrayPath = {
    part: '', path: '', pipe: '', piped: false, more: false, alogok: false, arrch: false, alogkey: '',
    query: { on: false, all: false, path: '', op: '', value: '' },
  };
  for (let i = 0; i < path.length; i++) {
    const c = path[i];
    if (c === '|') {
      r.part = path.slice(0, i);
      r.pipe = path.slice(i + 1);
      r.piped = true;
      return r;
    }
    if (c === '.') {
      r.part = path.slice(0, i);
      if (!r.arrch && i < path.length - 1 && isDotPiperChar(path.slice(i + 1))) {
        r.pipe = path.slice(i + 1);
        r.piped = true;
      } else {
        r.path = path.slice(i + 1);
        r.more = true;
      }
      return r;
    }
    if (c === '#') {
      r.arrch = true;
      if (i === 0 && path.length > 1) {
        if (path[1] === '.') {
          r.alogok = true;
          r.alogkey = path.slice(2);
          r.path = path.slice(0, 1);
        } else if (path[1] === '[' || path[1] === '(') {
          r.query.on = true;
          const q = parseQuery(path.slice(i));
          if (!q.ok) break;
          let value = q.value;
          if (value.length >= 2 && value[0] === '"' && value[value.length - 1] === '"') {
            value = value.slice(1, -1);
            if (q.vesc) value = unescape(value);
          }
          r.query.path = q.path;
          r.query.op = q.op;
          r.query.value = value;
          i = q.i - 1;
          if (i + 1 < path.length && path[i + 1] === '#') r.query.all = true;
        }
      }
      continue;
    }
  }
  r.part = path;
  r.path = '';
  return r;
}

function parseQuery(query: string): { path: string; op: string; value: string; i: number; vesc: boolean; ok: boolean } {
  const bad = { path: '', op: '', value: '', i: 0, vesc: false, ok: false };
  if (query.length < 2 || query[0] !== '#' || (query[1] !== '(' && query[1] !== '[')) return bad;
  let i = 2;
  let j = 0;
  let depth = 1;
  let vesc = false;
  for (; i < query.length; i++) {
    const c = query[i];
    if (depth === 1 && j === 0 && (c === '!' || c === '=' || c === '<' || c === '>' || c === '%')) {
      j = i;
      continue;
    }
    if (c === '\\') {
      i++;
    } else if (c === '[' || c === '(') {
      depth++;
    } else if (c === ']' || c === ')') {
      depth--;
      if (depth === 0) break;
    } else if (c === '"') {
      i++;
      for (; i < query.length; i++) {
        if (query[i] === '\\') {
          vesc = true;
          i++;
        } else if (query[i] === '"') {
          break;
        }
      }
    }
  }
  if (depth > 0) return { ...bad, i };
  let path: string;
  let op = '';
  let value = '';
  if (j > 0) {
    path = trim(query.slice(2, j));
    value = trim(query.slice(j, i));
    let opsz = 0;
    const v0 = value[0];
    const v1 = value[1];
    if (value.length === 1) opsz = 1;
    else if (v0 === '!' && v1 === '=') opsz = 2;
    else if (v0 === '!' && v1 === '%') opsz = 2;
    else if (v0 === '<' && v1 === '=') opsz = 2;
    else if (v0 === '>' && v1 === '=') opsz = 2;
    else if (v0 === '=' && v1 === '=') {
      value = value.slice(1);
      opsz = 1;
    } else if (v0 === '<' || v0 === '>' || v0 === '=' || v0 === '%') opsz = 1;
    op = value.slice(0, opsz);
    value = trim(value.slice(opsz));
  } else {
    path = trim(query.slice(2, i));
  }
  return { path, op, value, i: i + 1, vesc, ok: true };
}

/** gjson `splitPossiblePipe`. */
function splitPossiblePipe(path: string): [string, string, boolean] {
  if (!path.includes('|')) return ['', '', false];
  if (path.length > 0 && path[0] === '{') {
    const squashed = squash(path.slice(1));
    if (squashed.length < path.length - 1) {
      const sq = path.slice(0, squashed.length + 1);
      const remain = path.slice(sq.length);
      if (remain[0] === '|') return [sq, remain.slice(1), true];
    }
    return ['', '', false];
  }
  for (let i = 0; i < path.length; i++) {
    const c = path[i];
    if (c === '\\') {
      i++;
    } else if (c === '.') {
      if (i === path.length - 1) return ['', '', false];
      if (path[i + 1] === '#') {
        i += 2;
        if (i === path.length) return ['', '', false];
        if (path[i] === '[' || path[i] === '(') {
          const start = path[i];
          const end = start === '[' ? ']' : ')';
          i++;
          let depth = 1;
          for (; i < path.length; i++) {
            if (path[i] === '\\') {
              i++;
            } else if (path[i] === start) {
              depth++;
            } else if (path[i] === end) {
              depth--;
              if (depth === 0) break;
            } else if (path[i] === '"') {
              i++;
              for (; i < path.length; i++) {
                if (path[i] === '\\') i++;
                else if (path[i] === '"') break;
              }
            }
          }
        }
      }
    } else if (c === '|') {
      return [path.slice(0, i), path.slice(i + 1), true];
    }
  }
  return ['', '', false];
}

// ---------------------------------------------------------------------------------------------------
// Walking

interface Ctx {
  json: string;
  value: RawResult;
  pipe: string;
  piped: boolean;
}

/**
 * gjson assigns only some fields of the context's value on a hit (a `null` hit sets just Raw), so a value
 * left behind by a failed deeper query keeps its other fields. Mirrored for exactness.
 */
function setValue(c: Ctx, type: GjsonType | undefined, raw: string, str?: string, num?: number): void {
  const v = { ...c.value, raw };
  if (type !== undefined) v.type = type;
  if (str !== undefined) v.str = str;
  if (num !== undefined) v.num = num;
  c.value = v;
}

function parseObject(c: Ctx, i: number, path: string): [number, boolean] {
  const json = c.json;
  let pmatch = false;
  let kesc = false;
  let ok = false;
  let hit = false;
  let key = '';
  const rp = parseObjectPath(path);
  if (!rp.more && rp.piped) {
    c.pipe = rp.pipe;
    c.piped = true;
  }
  while (i < json.length) {
    keyScan: for (; i < json.length; i++) {
      const ch = json.charCodeAt(i);
      if (ch === 0x22) {
        i++;
        const s = i;
        for (; i < json.length; i++) {
          const d = json.charCodeAt(i);
          if (d > 0x5c) continue;
          if (d === 0x22) {
            key = json.slice(s, i);
            i = i + 1;
            kesc = false;
            ok = true;
            break keyScan;
          }
          if (d === 0x5c) {
            i++;
            for (; i < json.length; i++) {
              const e = json.charCodeAt(i);
              if (e > 0x5c) continue;
              if (e === 0x22) {
                if (quoteIsEscaped(json, i, 0)) continue;
                key = json.slice(s, i);
                i = i + 1;
                kesc = true;
                ok = true;
                break keyScan;
              }
            }
            break;
          }
        }
        key = json.slice(s);
        kesc = false;
        ok = false;
        break keyScan;
      }
      if (ch === 0x7d) return [i + 1, false];
    }
    if (!ok) return [i, false];
    if (rp.wild) pmatch = matchLimit(kesc ? unescape(key) : key, rp.part);
    else pmatch = rp.part === (kesc ? unescape(key) : key);
    hit = pmatch && !rp.more;
    for (; i < json.length; i++) {
      let num = false;
      const ch = json[i];
      let val: string;
      if (ch === '"') {
        i++;
        let vesc: boolean;
        [i, val, vesc, ok] = parseString(json, i);
        if (!ok) return [i, false];
        if (hit) {
          setValue(c, 'String', val, vesc ? unescape(val.slice(1, -1)) : val.slice(1, -1));
          return [i, true];
        }
      } else if (ch === '{' || ch === '[') {
        if (pmatch && !hit) {
          [i, hit] = ch === '{' ? parseObject(c, i + 1, rp.path) : parseArray(c, i + 1, rp.path);
          if (hit) return [i, true];
        } else {
          [i, val] = parseSquash(json, i);
          if (hit) {
            setValue(c, 'JSON', val);
            return [i, true];
          }
        }
      } else if (ch === 'n' && i + 1 < json.length && json[i + 1] !== 'u') {
        num = true;
      } else if (ch === 'n' || ch === 't' || ch === 'f') {
        [i, val] = parseLiteral(json, i);
        if (hit) {
          setValue(c, ch === 't' ? 'True' : ch === 'f' ? 'False' : undefined, val);
          return [i, true];
        }
      } else if (ch === '+' || ch === '-' || isDigit(json.charCodeAt(i)) || ch === 'i' || ch === 'I' || ch === 'N') {
        num = true;
      } else {
        continue;
      }
      if (num) {
        [i, val] = parseNumber(json, i);
        if (hit) {
          setValue(c, 'Number', val, undefined, parseFloatGo(val));
          return [i, true];
        }
      }
      break;
    }
  }
  return [i, false];
}

function falseish(t: RawResult): boolean {
  switch (t.type) {
    case 'Null':
    case 'False':
      return true;
    case 'String': {
      const b = parseBool(t.str.toLowerCase());
      return b === undefined ? false : !b;
    }
    case 'Number':
      return t.num === 0;
    default:
      return false;
  }
}

function trueish(t: RawResult): boolean {
  switch (t.type) {
    case 'True':
      return true;
    case 'String':
      return parseBool(t.str.toLowerCase()) ?? false;
    case 'Number':
      return t.num !== 0;
    default:
      return false;
  }
}

/** strconv.ParseBool after strings.ToLower (only ASCII can matter for these words). */
function parseBool(s: string): boolean | undefined {
  if (s === '1' || s === 't' || s === 'true') return true;
  if (s === '0' || s === 'f' || s === 'false') return false;
  return undefined;
}

/** ASCII-only lower-casing; for the word lists compared here Go's Unicode ToLower gives the same answer. */
function lowerAscii(s: string): string {
  return s.replace(/[A-Z]/g, (m) => String.fromCharCode(m.charCodeAt(0) + 32));
}

function queryMatches(rp: ArrayPath, value: RawResult): boolean {
  let rpv = rp.query.value;
  if (rpv.length > 0 && rpv[0] === '~') {
    rpv = rpv.slice(1);
    let ish: boolean | undefined;
    switch (rpv) {
      case '*': ish = exists(value); break;
      case 'null': ish = value.type === 'Null'; break;
      case 'true': ish = trueish(value); break;
      case 'false': ish = falseish(value); break;
    }
    if (ish !== undefined) {
      rpv = 'true';
      value = { type: ish ? 'True' : 'False', raw: '', str: '', num: 0 };
    } else {
      rpv = '';
      value = empty();
    }
  }
  if (!exists(value)) return false;
  const op = rp.query.op;
  if (op === '') return true;
  switch (value.type) {
    case 'String':
      switch (op) {
        case '=': return value.str === rpv;
        case '!=': return value.str !== rpv;
        case '<': return value.str < rpv;
        case '<=': return value.str <= rpv;
        case '>': return value.str > rpv;
        case '>=': return value.str >= rpv;
        case '%': return matchLimit(value.str, rpv);
        case '!%': return !matchLimit(value.str, rpv);
      }
      return false;
    case 'Number': {
      const n = parseFloatGo(rpv);
      switch (op) {
        case '=': return value.num === n;
        case '!=': return value.num !== n;
        case '<': return value.num < n;
        case '<=': return value.num <= n;
        case '>': return value.num > n;
        case '>=': return value.num >= n;
      }
      return false;
    }
    case 'True':
      switch (op) {
        case '=': return rpv === 'true';
        case '!=': return rpv !== 'true';
        case '>': return rpv === 'false';
        case '>=': return true;
      }
      return false;
    case 'False':
      switch (op) {
        case '=': return rpv === 'false';
        case '!=': return rpv !== 'false';
        case '<': return rpv === 'true';
        case '<=': return true;
      }
      return false;
  }
  return false;
}

/** gjson parseUint, including its silent uint64 wrap-around, then int(n). */
function partIndex(part: string): number {
  if (part.length === 0 || !/^[0-9]+$/.test(part)) return -1;
  if (part.length < 16) return Number(part);
  const wrapped = BigInt.asIntN(64, BigInt(part));
  return wrapped >= 0n && wrapped <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(wrapped) : -1;
}

function parseArray(c: Ctx, i: number, path: string): [number, boolean] {
  const json = c.json;
  let pmatch = false;
  let hit = false;
  let h = 0;
  const alog: number[] = [];
  let multires = '';
  const rp = parseArrayPath(path);
  const partidx = rp.arrch ? 0 : partIndex(rp.part);
  if (!rp.more && rp.piped) {
    c.pipe = rp.pipe;
    c.piped = true;
  }

  const procQuery = (qval: RawResult): boolean => {
    if (rp.query.all && multires.length === 0) multires = '[';
    let res: RawResult;
    if (qval.type === 'JSON') {
      res = getPiped(qval.raw, rp.query.path);
    } else {
      if (rp.query.path !== '') return false;
      res = qval;
    }
    if (queryMatches(rp, res)) {
      if (rp.more) {
        const [left, right, ok] = splitPossiblePipe(rp.path);
        if (ok) {
          rp.path = left;
          c.pipe = right;
          c.piped = true;
        }
        res = getPiped(qval.raw, rp.path);
      } else {
        res = qval;
      }
      if (rp.query.all) {
        const raw = res.raw.length === 0 ? resultString(res) : res.raw;
        if (raw !== '') {
          if (multires.length > 1) multires += ',';
          multires += raw;
        }
      } else {
        c.value = res;
        return true;
      }
    }
    return false;
  };

  while (i < json.length + 1) {
    if (!rp.arrch) {
      pmatch = partidx === h;
      hit = pmatch && !rp.more;
    }
    h++;
    if (rp.alogok) alog.push(i);
    for (; ; i++) {
      if (i > json.length) break;
      const ch = i === json.length ? ']' : json[i]!;
      let num = false;
      let val: string;
      if (ch === '"') {
        i++;
        let vesc: boolean;
        let ok: boolean;
        [i, val, vesc, ok] = parseString(json, i);
        if (!ok) return [i, false];
        const str = (): string => (vesc ? unescape(val.slice(1, -1)) : val.slice(1, -1));
        if (rp.query.on) {
          if (procQuery({ type: 'String', raw: val, str: str(), num: 0 })) return [i, true];
        } else if (hit) {
          if (!rp.alogok) {
            setValue(c, 'String', val, str());
            return [i, true];
          }
        }
      } else if (ch === '{' || ch === '[') {
        if (pmatch && !hit) {
          [i, hit] = ch === '{' ? parseObject(c, i + 1, rp.path) : parseArray(c, i + 1, rp.path);
          if (hit && !rp.alogok) return [i, true];
        } else {
          [i, val] = parseSquash(json, i);
          if (rp.query.on) {
            if (procQuery({ type: 'JSON', raw: val, str: '', num: 0 })) return [i, true];
          } else if (hit && !rp.alogok) {
            setValue(c, 'JSON', val);
            return [i, true];
          }
        }
      } else if (ch === 'n' && i + 1 < json.length && json[i + 1] !== 'u') {
        num = true;
      } else if (ch === 'n' || ch === 't' || ch === 'f') {
        [i, val] = parseLiteral(json, i);
        const type: GjsonType = ch === 't' ? 'True' : ch === 'f' ? 'False' : 'Null';
        if (rp.query.on) {
          if (procQuery({ type, raw: val, str: '', num: 0 })) return [i, true];
        } else if (hit && !rp.alogok) {
          setValue(c, ch === 'n' ? undefined : type, val);
          return [i, true];
        }
      } else if (ch === '+' || ch === '-' || (ch >= '0' && ch <= '9') || ch === 'i' || ch === 'I' || ch === 'N') {
        num = true;
      } else if (ch === ']') {
        if (rp.arrch && rp.part === '#') {
          if (rp.alogok) {
            const [left, right, ok] = splitPossiblePipe(rp.alogkey);
            if (ok) {
              rp.alogkey = left;
              c.pipe = right;
              c.piped = true;
            }
            let jsons = '[';
            let k = 0;
            for (const start of alog) {
              let idx = start;
              while (idx < json.length) {
                const w = json[idx];
                if (w === ' ' || w === '\t' || w === '\r' || w === '\n') idx++;
                else break;
              }
              if (idx < json.length && json[idx] !== ']') {
                const [, elem, okAny] = parseAny(json, idx);
                if (okAny) {
                  const res = getPiped(elem.raw, rp.alogkey);
                  if (exists(res)) {
                    if (k > 0) jsons += ',';
                    jsons += res.raw.length === 0 ? resultString(res) : res.raw;
                    k++;
                  }
                }
              }
            }
            jsons += ']';
            setValue(c, 'JSON', jsons);
            return [i + 1, true];
          }
          setValue(c, 'Number', String(h - 1), undefined, h - 1);
          return [i + 1, true];
        }
        if (!exists(c.value)) {
          if (multires.length > 0) c.value = { type: 'JSON', raw: multires + ']', str: '', num: 0 };
          else if (rp.query.all) c.value = { type: 'JSON', raw: '[]', str: '', num: 0 };
        }
        return [i + 1, false];
      } else {
        continue;
      }
      if (num) {
        [i, val] = parseNumber(json, i);
        const n = parseFloatGo(val);
        if (rp.query.on) {
          if (procQuery({ type: 'Number', raw: val, str: '', num: n })) return [i, true];
        } else if (hit && !rp.alogok) {
          setValue(c, 'Number', val, undefined, n);
          return [i, true];
        }
      }
      break;
    }
  }
  return [i, false];
}

/** gjson parseAny with hit=true: the next value at or after i. */
function parseAny(json: string, i: number): [number, RawResult, boolean] {
  for (; i < json.length; i++) {
    const ch = json[i]!;
    if (ch === '{' || ch === '[') {
      let val: string;
      [i, val] = parseSquash(json, i);
      return [i, { type: 'JSON', raw: val, str: '', num: 0 }, true];
    }
    if (json.charCodeAt(i) <= 0x20) continue;
    let num = false;
    if (ch === '"') {
      i++;
      const [ni, val, vesc, ok] = parseString(json, i);
      if (!ok) return [ni, empty(), false];
      return [ni, { type: 'String', raw: val, str: vesc ? unescape(val.slice(1, -1)) : val.slice(1, -1), num: 0 }, true];
    } else if (ch === 'n' && i + 1 < json.length && json[i + 1] !== 'u') {
      num = true;
    } else if (ch === 'n' || ch === 't' || ch === 'f') {
      const [ni, val] = parseLiteral(json, i);
      return [ni, { type: ch === 't' ? 'True' : ch === 'f' ? 'False' : 'Null', raw: val, str: '', num: 0 }, true];
    } else if (ch === '+' || ch === '-' || (ch >= '0' && ch <= '9') || ch === 'i' || ch === 'I' || ch === 'N') {
      num = true;
    }
    if (num) {
      const [ni, val] = parseNumber(json, i);
      return [ni, { type: 'Number', raw: val, str: '', num: parseFloatGo(val) }, true];
    }
  }
  return [i, empty(), false];
}

/**
 * gjson `Result.ForEach`: object members as (key, value), array elements as (index key, value), any other
 * value once with an empty key. Lenient exactly where gjson is.
 */
export function forEach(t: RawResult, iterator: (key: RawResult, value: RawResult) => boolean): void {
  if (!exists(t)) return;
  if (t.type !== 'JSON') {
    iterator(empty(), t);
    return;
  }
  const json = t.raw;
  let obj = false;
  let i = 0;
  const key: RawResult = empty();
  for (; i < json.length; i++) {
    if (json[i] === '{') {
      i++;
      key.type = 'String';
      obj = true;
      break;
    } else if (json[i] === '[') {
      i++;
      key.type = 'Number';
      key.num = -1;
      break;
    }
    if (json.charCodeAt(i) > 0x20) return;
  }
  for (; i < json.length; i++) {
    if (obj) {
      if (json[i] !== '"') continue;
      const [ni, str, vesc, ok] = parseString(json, i + 1);
      i = ni;
      if (!ok) return;
      key.str = vesc ? unescape(str.slice(1, -1)) : str.slice(1, -1);
      key.raw = str;
    } else {
      key.num += 1;
    }
    for (; i < json.length; i++) {
      const c = json.charCodeAt(i);
      if (c <= 0x20 || c === 0x2c || c === 0x3a) continue;
      break;
    }
    const [ni, value, ok] = parseAny(json, i);
    i = ni;
    if (!ok) return;
    if (!iterator({ ...key }, value)) return;
  }
}

/** gjson `Parse(json)`. */
export function parseRaw(json: string): RawResult {
  for (let i = 0; i < json.length; i++) {
    const ch = json[i]!;
    if (ch === '{' || ch === '[') return { type: 'JSON', raw: json.slice(i), str: '', num: 0 };
    if (json.charCodeAt(i) <= 0x20) continue;
    const rest = json.slice(i);
    if (ch === '+' || ch === '-' || (ch >= '0' && ch <= '9') || ch === 'i' || ch === 'I' || ch === 'N' ||
        (ch === 'n' && i + 1 < json.length && json[i + 1] !== 'u')) {
      const [raw, num] = tonum(rest);
      return { type: 'Number', raw, str: '', num };
    }
    if (ch === 'n') return { type: 'Null', raw: tolit(rest), str: '', num: 0 };
    if (ch === 't') return { type: 'True', raw: tolit(rest), str: '', num: 0 };
    if (ch === 'f') return { type: 'False', raw: tolit(rest), str: '', num: 0 };
    if (ch === '"') {
      const [raw, str] = tostr(rest);
      return { type: 'String', raw, str, num: 0 };
    }
    return empty();
  }
  return empty();
}

/** gjson execStatic: `!true`, `!"text"`, `!{"a":1}`, `!123`. */
function execStatic(path: string): [string, string, boolean] {
  let name = path.slice(1);
  let pathOut = '';
  if (name.length > 0 && '{["+-0123456789'.includes(name[0]!)) {
    const [, res] = parseSquash(name, 0);
    return [name.slice(res.length), res, true];
  }
  for (let i = 1; i < path.length; i++) {
    if (path[i] === '|' || path[i] === '.') {
      pathOut = path.slice(i);
      name = path.slice(1, i);
      break;
    }
  }
  switch (lowerAscii(name)) {
    case 'true':
    case 'false':
    case 'null':
    case 'nan':
    case 'inf':
      return [pathOut, name, true];
  }
  return [pathOut, '', false];
}

/** gjson execModifier: `@name`, `@name:arg`, followed by `.path` or `|path`. */
function execModifier(json: string, path: string): [string, string, boolean] {
  let name = path.slice(1);
  let pathOut = '';
  let hasArgs = false;
  for (let i = 1; i < path.length; i++) {
    if (path[i] === ':') {
      pathOut = path.slice(i + 1);
      name = path.slice(1, i);
      hasArgs = pathOut.length > 0;
      break;
    }
    if (path[i] === '|' || path[i] === '.') {
      pathOut = path.slice(i);
      name = path.slice(1, i);
      break;
    }
  }
  const fn = MODIFIER_FUNCS.get(name);
  if (!fn) return [pathOut, '', false];
  let args = '';
  if (hasArgs) {
    let parsedArgs = false;
    const p0 = pathOut[0];
    if (p0 === '{' || p0 === '[' || p0 === '"') {
      if (exists(parseRaw(pathOut))) {
        args = squash(pathOut);
        pathOut = pathOut.slice(args.length);
        parsedArgs = true;
      }
    }
    if (!parsedArgs) {
      let i = 0;
      for (; i < pathOut.length; i++) {
        if (pathOut[i] === '|') break;
        const ch = pathOut[i];
        if (ch === '{' || ch === '[' || ch === '"' || ch === '(') {
          const sq = squash(pathOut.slice(i));
          i += sq.length - 1;
        }
      }
      args = pathOut.slice(0, i);
      pathOut = pathOut.slice(i);
    }
  }
  return [pathOut, fn(json, args), true];
}

interface SubSelector {
  name: string;
  path: string;
}

/** gjson parseSubSelectors: the selectors of a `[a,b]` / `{"x":a,b}` multipath and what follows it. */
function parseSubSelectors(path: string): { sels: SubSelector[]; ok: boolean; rest: string } {
  const sels: SubSelector[] = [];
  let modifier = 0;
  let depth = 1;
  let colon = 0;
  let start = 1;
  const push = (i: number): void => {
    if (colon === 0) sels.push({ name: '', path: path.slice(start, i) });
    else sels.push({ name: path.slice(start, colon), path: path.slice(colon + 1, i) });
    colon = 0;
    modifier = 0;
    start = i + 1;
  };
  for (let i = 1; i < path.length; i++) {
    const c = path[i];
    if (c === '\\') {
      i++;
    } else if (c === '@') {
      if (modifier === 0 && i > 0 && (path[i - 1] === '.' || path[i - 1] === '|')) modifier = i;
    } else if (c === ':') {
      if (modifier === 0 && colon === 0 && depth === 1) colon = i;
    } else if (c === ',') {
      if (depth === 1) push(i);
    } else if (c === '"') {
      i++;
      for (; i < path.length; i++) {
        if (path[i] === '\\') i++;
        else if (path[i] === '"') break;
      }
    } else if (c === '[' || c === '(' || c === '{') {
      depth++;
    } else if (c === ']' || c === ')' || c === '}') {
      depth--;
      if (depth === 0) {
        push(i);
        return { sels, ok: true, rest: path.slice(i + 1) };
      }
    }
  }
  return { sels: [], ok: false, rest: '' };
}

/** gjson nameOfLast: the last path component (after an unescaped `.` or `|`). */
function nameOfLast(path: string): string {
  for (let i = path.length - 1; i >= 0; i--) {
    if (path[i] === '|' || path[i] === '.') {
      if (i > 0 && path[i - 1] === '\\') continue;
      return path.slice(i + 1);
    }
  }
  return path;
}

function isSimpleName(component: string): boolean {
  for (let i = 0; i < component.length; i++) {
    if (component.charCodeAt(i) < 0x20) return false;
    if ('[]{}()#|!'.includes(component[i]!)) return false;
  }
  return true;
}

/** A `[a,b]` / `{a,b}` multipath: the selected values joined into a new array or object. */
function multipath(json: string, kind: string, sels: SubSelector[]): RawResult {
  let b = kind;
  let n = 0;
  for (const sub of sels) {
    const res = getPiped(json, sub.path);
    if (!exists(res)) continue;
    if (n > 0) b += ',';
    if (kind === '{') {
      if (sub.name.length > 0) {
        b += sub.name[0] === '"' && validJSON(Buffer.from(sub.name, 'latin1')) ? sub.name : appendJSONString(sub.name);
      } else {
        const last = nameOfLast(sub.path);
        b += appendJSONString(isSimpleName(last) ? last : '_');
      }
      b += ':';
    }
    let raw = res.raw;
    if (raw.length === 0) {
      raw = resultString(res);
      if (raw.length === 0) raw = 'null';
    }
    b += raw;
    n++;
  }
  b += kind === '[' ? ']' : '}';
  return { type: 'JSON', raw: b, str: '', num: 0 };
}

/**
 * gjson `Get(json, path)` on byte strings. gjson recurses once per matched path component; JavaScript's
 * stack is smaller than Go's, so absurdly deep matches (thousands of levels) fail with GjsonTooDeepError
 * instead of a RangeError.
 */
export function getRaw(json: string, path: string): RawResult {
  try {
    return getPiped(json, path);
  } catch (e) {
    if (e instanceof RangeError) throw new GjsonTooDeepError();
    throw e;
  }
}

/** The path matches more nesting levels than esi follows (JavaScript stack exhausted). */
export class GjsonTooDeepError extends EsiError {
  constructor() {
    super('gjson-too-deep', 'property path matches more nesting levels than esi can follow');
    this.name = 'GjsonTooDeepError';
  }
}

/** gjson `Get`, with the trailing `c.value.Get(c.pipe)` of each step done as a loop, not recursion. */
export function getPiped(json: string, path: string): RawResult {
  for (;;) {
    const step = getStep(json, path);
    if (!('pipe' in step)) return step.value;
    json = step.json;
    path = step.pipe;
  }
}

function getStep(json: string, inputPath: string): { value: RawResult } | { json: string; pipe: string } {
  let path = inputPath;
  if (path.length > 1) {
    const p0 = path[0]!;
    if (p0 === '@' || p0 === '!') {
      const [npath, rjson, ok] = p0 === '@' ? execModifier(json, path) : execStatic(path);
      if (ok) {
        if (npath.length > 0 && (npath[0] === '|' || npath[0] === '.')) return { json: rjson, pipe: npath.slice(1) };
        return { value: parseRaw(rjson) };
      }
    }
    if (p0 === '[' || p0 === '{') {
      const sub = parseSubSelectors(path);
      if (sub.ok && (sub.rest.length === 0 || sub.rest[0] === '|' || sub.rest[0] === '.')) {
        const res = multipath(json, p0, sub.sels);
        if (sub.rest.length === 0) return { value: res };
        return { json: res.raw, pipe: sub.rest.slice(1) };
      }
      // gjson reassigns the path to what follows the selector, or to "" when it does not close.
      path = sub.rest;
    }
  }
  const c: Ctx = { json, value: empty(), pipe: '', piped: false };
  if (path.length >= 2 && path[0] === '.' && path[1] === '.') {
    parseArray(c, 0, path.slice(2));
  } else {
    for (let i = 0; i < json.length; i++) {
      if (json[i] === '{') {
        parseObject(c, i + 1, path);
        break;
      }
      if (json[i] === '[') {
        parseArray(c, i + 1, path);
        break;
      }
    }
  }
  if (c.piped) return { json: c.value.raw, pipe: c.pipe };
  return { value: c.value };
}
