/**
 * Go regexp for the template functions (sprig's regex*): the pattern is parsed and translated by
 * ../goregexp.ts (the one RE2 translator, with Go's compile-error texts); this file adds what is
 * template-specific: Go strings are byte strings here, so matching runs on the UTF-8-decoded text and
 * results are byte strings again, and the Find/FindAll/ReplaceAll/Split loops follow Go's rules for
 * empty matches.
 */
import { EsiError } from '../../core/index.ts';
import { compileGoRegexp, goExec, type GoRegexp as CompiledGoRegexp } from '../goregexp.ts';
import { decodeRune, fromText, isValidUTF8, toText } from './bytes.ts';

/** A compile error; the message is Go's (`error parsing regexp: …`) as a byte string. */
export class RegexpError extends Error {}

export interface GoRegexp {
  test(s: string): boolean;
  find(s: string): string;
  findAll(s: string, n: number): string[] | null;
  replaceAll(s: string, repl: (m: Match) => string): string;
  split(s: string, n: number): string[] | null;
}

/** A match with byte-string access to the whole match and its groups. */
export interface Match {
  group(n: number): string | undefined;
  named(name: string): string | undefined;
}

/** Decodes a byte string to JS text, remembering the byte offset of every UTF-16 index. */
function decodeWithOffsets(s: string): { t: string; off: number[] } {
  const off: number[] = [];
  let t = '';
  for (let i = 0; i < s.length; ) {
    const [r, w] = decodeRune(s, i);
    const ch = String.fromCodePoint(r);
    for (let k = 0; k < ch.length; k++) off.push(i);
    t += ch;
    i += w;
  }
  off.push(s.length);
  return { t, off };
}

/** The translated expression with `g` (search from lastIndex) and `d` (group offsets), one per pattern. */
const searchers = new WeakMap<CompiledGoRegexp, RegExp>();

/** Compile a Go regular expression given as a byte string; throws RegexpError("error parsing regexp: ..."). */
export function goRegexp(pattern: string): GoRegexp {
  if (!isValidUTF8(pattern)) {
    // regexp/syntax's checkUTF8: the expression quoted is the rest of the pattern from the first bad byte.
    let i = 0;
    for (;;) {
      const [r, w] = decodeRune(pattern, i);
      if (r === 0xfffd && w === 1) break;
      i += w;
    }
    throw new RegexpError(`error parsing regexp: invalid UTF-8: \`${pattern.slice(i)}\``);
  }
  let compiled: CompiledGoRegexp;
  try {
    compiled = compileGoRegexp(toText(pattern));
  } catch (e) {
    if (e instanceof EsiError) throw new RegexpError(fromText(e.message));
    throw e;
  }
  const re = searchers.get(compiled) ?? new RegExp(compiled.re.source, compiled.re.flags + 'gd');
  searchers.set(compiled, re);
  const names = compiled.names.map(fromText);
  const exec = (t: string, pos: number): RegExpExecArray | null => goExec(re, t, pos);
  const allMatches = (t: string, n: number): RegExpExecArray[] => {
    const out: RegExpExecArray[] = [];
    if (n < 0) n = t.length + 1;
    let pos = 0;
    let prevEnd = -1;
    while (out.length < n && pos <= t.length) {
      const m = exec(t, pos);
      if (!m) break;
      const end = m.index + m[0].length;
      let accept = true;
      if (m[0].length === 0) {
        if (m.index === prevEnd) accept = false;
        pos = end + (end < t.length && t.codePointAt(end)! > 0xffff ? 2 : 1);
      } else pos = end;
      prevEnd = end;
      if (accept) out.push(m);
    }
    return out;
  };
  const matchOf = (s: string, off: number[], m: RegExpExecArray): Match => ({
    group: (n) => {
      const ix = m.indices?.[n];
      return ix ? s.slice(off[ix[0]], off[ix[1]]) : undefined;
    },
    named: (name) => {
      const n = names.indexOf(name);
      const ix = n > 0 ? m.indices?.[n] : undefined;
      return ix ? s.slice(off[ix[0]], off[ix[1]]) : undefined;
    },
  });
  return {
    test: (s) => exec(toText(s), 0) !== null,
    find: (s) => {
      const { t, off } = decodeWithOffsets(s);
      const m = exec(t, 0);
      return m ? s.slice(off[m.index], off[m.index + m[0].length]) : '';
    },
    findAll: (s, n) => {
      if (n === 0) return null;
      const { t, off } = decodeWithOffsets(s);
      const ms = allMatches(t, n);
      return ms.length === 0 ? null : ms.map((m) => s.slice(off[m.index], off[m.index + m[0].length]));
    },
    replaceAll: (s, repl) => {
      const { t, off } = decodeWithOffsets(s);
      let out = '';
      let lastEnd = 0;
      let searchPos = 0;
      while (searchPos <= t.length) {
        const m = exec(t, searchPos);
        if (!m) break;
        const a0 = m.index;
        const a1 = m.index + m[0].length;
        out += s.slice(off[lastEnd], off[a0]);
        if (a1 > lastEnd || a0 === 0) out += repl(matchOf(s, off, m));
        lastEnd = a1;
        const width = searchPos < t.length ? (t.codePointAt(searchPos)! > 0xffff ? 2 : 1) : 0;
        if (searchPos + width > a1) searchPos += width;
        else if (searchPos + 1 > a1) searchPos++;
        else searchPos = a1;
      }
      return out + s.slice(off[lastEnd]);
    },
    split: (s, n) => {
      if (n === 0) return null;
      if (pattern.length > 0 && s.length === 0) return [''];
      const { t, off } = decodeWithOffsets(s);
      const ms = allMatches(t, n);
      const parts: string[] = [];
      let beg = 0;
      let end = 0;
      for (const m of ms) {
        if (n > 0 && parts.length === n - 1) break;
        end = m.index;
        if (m.index + m[0].length !== 0) parts.push(s.slice(off[beg], off[end]));
        beg = m.index + m[0].length;
      }
      if (end !== t.length) parts.push(s.slice(off[beg]));
      return parts;
    },
  };
}

/** regexp.Expand's template language: $1, ${1}, $name, ${name}, $$ (template and result are byte strings). */
export function expandTemplate(template: string, m: Match): string {
  let out = '';
  let rest = template;
  for (;;) {
    const i = rest.indexOf('$');
    if (i < 0) break;
    out += rest.slice(0, i);
    rest = rest.slice(i + 1);
    if (rest.startsWith('$')) {
      out += '$';
      rest = rest.slice(1);
      continue;
    }
    let str = rest;
    let brace = false;
    if (str.startsWith('{')) {
      brace = true;
      str = str.slice(1);
    }
    const nm = /^[\p{L}\p{Nd}_]*/u.exec(toText(str))![0];
    const nmBytes = fromText(nm);
    if (nm.length === 0 || (brace && str[nmBytes.length] !== '}')) {
      out += '$';
      continue;
    }
    rest = str.slice(nmBytes.length + (brace ? 1 : 0));
    let num = -1;
    if (/^[0-9]+$/.test(nm) && !(nm[0] === '0' && nm.length > 1) && nm.length <= 8) num = parseInt(nm, 10);
    if (num >= 0) out += m.group(num) ?? '';
    else out += m.named(nmBytes) ?? '';
  }
  return out + rest;
}

export function regexQuoteMeta(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}
