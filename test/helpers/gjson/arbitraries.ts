/**
 * fast-check generators for the differential tests: JSON documents as text (with varied whitespace,
 * escapes, number spellings, unicode, HTML characters, dotted/wildcard-looking keys), paths biased toward
 * what the document contains (so most lookups hit), and optional mutations that make the text malformed
 * (gjson is lenient; ESO feeds it whatever a user stored).
 */
import fc from 'fast-check';

export type Tree =
  | { t: 'obj'; e: [string, Tree][] }
  | { t: 'arr'; a: Tree[] }
  | { t: 'str'; v: string }
  | { t: 'num'; text: string }
  | { t: 'lit'; v: 'true' | 'false' | 'null' };

const CHARS = [
  'a', 'b', 'c', 'x', 'A', 'Z', '0', '1', '9', ' ', '.', '*', '?', '#', '@', '|', '!', '=', '%', '(', ')',
  '[', ']', '{', '}', ',', ':', '<', '>', '&', "'", '/', '~', '-', '_', 'é', 'ß', '€', '中', '😀', '\u2028',
  '\u2029', '\u00a0', '\u007f', '\ufffd',
];

const charArb = fc.constantFrom(...CHARS);

export const keyArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('a', 'b', 'name', 'first', 'last', 'age', 'nets', 'x', 'k1', 'k2') },
  { weight: 2, arbitrary: fc.constantFrom('a.b', 'a.b.c', 'fav.movie', '0', '1', '10', '', 'a*', 'a?', '#', '@this', '@keys', '@x', 'é', '😀', '<&>', 'x y', 'a|b', 'a\\b', '1.5') },
  { weight: 2, arbitrary: fc.array(charArb, { maxLength: 5 }).map((a) => a.join('')) },
);

const NUMBERS = [
  '0', '-0', '1', '-1', '37', '1.50', '1.5', '1e3', '1E+2', '2e-3', '12345678901234567890', '-1.5e-7',
  '1e400', '-1e400', '0.1', '100', '3.0', '1e21', '1e20', '123456789012345678901234567890.5',
  '9007199254740993', '0.000001', '0.0000001', '5e-324', '1.7976931348623157e308', '4.35', '0.30000000000000004',
];

const numArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NUMBERS) },
  { weight: 2, arbitrary: fc.integer({ min: -1000, max: 100000 }).map(String) },
  {
    weight: 1,
    arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => (Object.is(d, -0) ? '-0' : String(d))),
  },
);

const leafArb: fc.Arbitrary<Tree> = fc.oneof(
  { weight: 4, arbitrary: fc.oneof(keyArb, fc.array(charArb, { maxLength: 8 }).map((a) => a.join(''))).map((v): Tree => ({ t: 'str', v })) },
  { weight: 3, arbitrary: numArb.map((text): Tree => ({ t: 'num', text })) },
  { weight: 2, arbitrary: fc.constantFrom('true', 'false', 'null').map((v): Tree => ({ t: 'lit', v: v as 'true' })) },
);

export const treeArb: fc.Arbitrary<Tree> = fc.letrec<{ tree: Tree; arr: Tree; obj: Tree }>((tie) => ({
  tree: fc.oneof({ depthSize: 'small', maxDepth: 4 }, leafArb, tie('arr'), tie('obj')),
  arr: fc.array(tie('tree'), { maxLength: 4 }).map((a): Tree => ({ t: 'arr', a })),
  obj: fc.array(fc.tuple(keyArb, tie('tree')), { maxLength: 5 }).map((e): Tree => ({ t: 'obj', e })),
})).tree;

export const rootObjectArb: fc.Arbitrary<Tree> = fc
  .array(fc.tuple(keyArb, treeArb), { minLength: 1, maxLength: 6 })
  .map((e): Tree => ({ t: 'obj', e }));

/** How to spell a document: whitespace and escape choices drawn from a stream of small integers. */
export interface Style {
  ws: number[];
  esc: number[];
}

export const styleArb: fc.Arbitrary<Style> = fc.record({
  ws: fc.array(fc.nat(9), { minLength: 1, maxLength: 16 }),
  esc: fc.array(fc.nat(9), { minLength: 1, maxLength: 16 }),
});

const WS = ['', '', '', ' ', '\n  ', '\t', ' ', '', '\r\n', ''];

function hex4(n: number): string {
  return n.toString(16).padStart(4, '0');
}

/** A JSON string literal for s, escaping some characters per the style (including as \u surrogate pairs). */
export function stringLiteral(s: string, style: Style, k: { i: number }): string {
  let out = '"';
  for (const ch of s) {
    const pick = style.esc[k.i++ % style.esc.length]!;
    const cp = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (cp < 0x20) out += '\\u' + hex4(cp);
    else if (pick === 0) out += cp > 0xffff ? '\\u' + hex4(ch.charCodeAt(0)) + '\\u' + hex4(ch.charCodeAt(1)) : '\\u' + hex4(cp);
    else if (pick === 1 && ch === '/') out += '\\/';
    else if (pick === 1 && cp > 0xffff) out += '\\u' + hex4(ch.charCodeAt(0)).toUpperCase() + '\\u' + hex4(ch.charCodeAt(1));
    else out += ch;
  }
  return out + '"';
}

export function render(t: Tree, style: Style, k = { i: 0 }): string {
  const ws = (): string => WS[style.ws[k.i++ % style.ws.length]!]!;
  switch (t.t) {
    case 'str':
      return stringLiteral(t.v, style, k);
    case 'num':
      return t.text;
    case 'lit':
      return t.v;
    case 'arr':
      return '[' + ws() + t.a.map((x) => render(x, style, k)).join(ws() + ',' + ws()) + ws() + ']';
    case 'obj':
      return (
        '{' + ws() +
        t.e.map(([key, v]) => stringLiteral(key, style, k) + ws() + ':' + ws() + render(v, style, k)).join(ws() + ',' + ws()) +
        ws() + '}'
      );
  }
}

/** Damage to apply to a document's text: none (most of the time), truncate, delete or insert a byte. */
export const mutationArb = fc.oneof(
  { weight: 6, arbitrary: fc.constant(undefined) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constantFrom('truncate', 'delete', 'insert'),
      at: fc.double({ min: 0, max: 1, noNaN: true }),
      ch: fc.constantFrom('"', '{', '}', '[', ']', ',', ':', '\\', ' ', 'n', 't', '1', '-', 'x', '\\u12', '\u0001'),
    }),
  },
);

export type Mutation = { kind: string; at: number; ch: string } | undefined;

export function mutate(text: string, m: Mutation): string {
  if (!m) return text;
  const at = Math.floor(m.at * text.length);
  if (m.kind === 'truncate') return text.slice(0, at);
  if (m.kind === 'delete') return text.slice(0, at) + text.slice(at + 1);
  return text.slice(0, at) + m.ch + text.slice(at);
}

/** Escapes a key for a gjson path component (`\` before every special character). */
function escapeKey(key: string, mode: number): string {
  if (mode === 1) return key.replace(/[.*?|\\]/g, (c) => '\\' + c);
  return key.replace(/[\\.]/g, (c) => '\\' + c);
}

function queryValue(t: Tree): string {
  switch (t.t) {
    case 'str':
      return '"' + t.v.replace(/["\\]/g, (c) => '\\' + c) + '"';
    case 'num':
      return t.text;
    case 'lit':
      return t.v;
    default:
      return '1';
  }
}

/** A path through t chosen by a stream of small integers: mostly real keys/indexes, some gjson syntax. */
export function pathFor(t: Tree, choices: number[]): string {
  const parts: string[] = [];
  let cur: Tree | undefined = t;
  let n = 0;
  const next = (): number => choices[n++ % choices.length]!;
  for (let depth = 0; depth < 5 && cur; depth++) {
    const c = next();
    if (cur.t === 'obj' && cur.e.length > 0) {
      const [key, val]: [string, Tree] = cur.e[c % cur.e.length]!;
      const how = next();
      if (how === 7 && key.length > 1) parts.push(escapeKey(key.slice(0, -1), 0) + '*');
      else if (how === 8 && key.length > 0) parts.push('?' + escapeKey([...key].slice(1).join(''), 1));
      else parts.push(escapeKey(key, how % 3 === 0 ? 1 : 0));
      cur = val;
    } else if (cur.t === 'arr') {
      const how = next();
      const elem: Tree | undefined = cur.a[c % Math.max(1, cur.a.length)];
      if (how <= 4 || !elem) {
        parts.push(String(cur.a.length > 0 ? c % (cur.a.length + 1) : c));
        cur = elem;
      } else if (how === 5) {
        parts.push('#');
        cur = undefined;
      } else if (how === 6) {
        parts.push('#');
        cur = elem;
      } else {
        const ops = ['==', '=', '!=', '<', '<=', '>', '>=', '%', '!%'];
        const op = ops[next() % ops.length]!;
        let q: string;
        if (elem && elem.t === 'obj' && elem.e.length > 0) {
          const [k, v] = elem.e[next() % elem.e.length]!;
          q = escapeKey(k, 1) + op + queryValue(v);
        } else if (elem) {
          q = op + queryValue(elem);
        } else {
          q = 'a';
        }
        if (op === '%' || op === '!%') q = q.replace(/"([^"]?)[^"]*"$/, '"$1*"');
        parts.push(`#(${q})` + (how === 8 ? '#' : ''));
        cur = elem;
      }
    } else {
      if (c === 0) parts.push('x');
      break;
    }
    if (next() === 9) break;
  }
  const sep = (): string => (next() === 3 ? '|' : '.');
  let out = parts.shift() ?? '';
  for (const p of parts) out += sep() + p;
  const lead = next();
  if (lead === 1) out = '..' + out;
  return out;
}

export const choicesArb = fc.array(fc.nat(9), { minLength: 4, maxLength: 24 });

export const junkPathArb: fc.Arbitrary<string> = fc.oneof(
  fc.array(fc.constantFrom('a', 'b', '.', '\\', '*', '?', '#', '(', ')', '[', ']', '|', '=', '"', '!', '%', '<', '>', '0', '1', '~', '@', 'this', 'true', ' ', 'é'), { maxLength: 10 }).map((a) => a.join('')),
  fc.constantFrom('[a,b]', '{a,b}', '{"x":a,b.c}', '[a.0,b|c]', '[a', '{a:', 'a.[b,c]', '[a,b].0', '{a}|a', '[#]', '{a.#}'),
  fc.constantFrom('@pretty', '@pretty:{"sortKeys":true}', '@pretty:{"width":10,"indent":"\\t"}', 'a|@pretty', '@pretty:{"sortKeys":true,"prefix":" "}'),
  fc.constantFrom('@reverse', '@keys', '@values', '@flatten', '@flatten:{"deep":true}', '@join', '@valid', '@ugly', '@group', '@dig:a', '@tostr', 'a|@fromstr', 'a.@reverse', '@reverse|0', '@keys|#', 'a.@keys.0'),
  fc.constantFrom('!true', '!false', '!null', '!NaN', '!inf', '!"x"', '!{"a":1}.a', '!123', '@this', '@this.a', 'a|@this', '..#', '..0.a', '#', '#.a', 'a.#(b)', 'a.#(b==)', '#(', '#(a==1', '\\', 'a\\', 'a\\.', '.', '..', 'a..b'),
);
