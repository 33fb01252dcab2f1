/**
 * Go regexp for the template functions (sprig's regex*): the pattern is compiled and matched by
 * ../goregexp.ts (Go's syntax and compile-error texts on a linear-time RE2 engine); this file adds what is
 * template-specific: Go strings are byte strings here, so matching runs on the UTF-8-decoded text and
 * results are byte strings again, and the Find/FindAll/ReplaceAll/Split loops follow Go's rules for
 * empty matches.
 */
import { EsiError } from '../../core/index.ts';
import { compileGoRegexp, goAllMatches, goMatchString, goReplaceAll, GoSearch, loadRegexpEngine } from '../goregexp.ts';
import { decodeRune, fromText, isValidUTF8, toText } from '../../core/go/utf8.ts';

// The template engine is itself loaded on demand; it brings the regexp engine with it.
await loadRegexpEngine();

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
  let compiled: ReturnType<typeof compileGoRegexp>;
  try {
    compiled = compileGoRegexp(toText(pattern));
  } catch (e) {
    if (e instanceof EsiError) throw new RegexpError(fromText(e.message));
    throw e;
  }
  const names = compiled.names.map(fromText);
  /** Match indices are UTF-16 positions in the decoded text; `off` maps them back to bytes of `s`. */
  const matchOf = (s: string, off: number[], m: number[]): Match => {
    const group = (n: number): string | undefined => (n >= 0 && n < names.length && m[2 * n]! >= 0 ? s.slice(off[m[2 * n]!], off[m[2 * n + 1]!]) : undefined);
    return { group, named: (name) => (names.indexOf(name) > 0 ? group(names.indexOf(name)) : undefined) };
  };
  return {
    test: (s) => goMatchString(compiled, toText(s)),
    find: (s) => {
      const { t, off } = decodeWithOffsets(s);
      const m = new GoSearch(compiled, t).at(0);
      return m ? s.slice(off[m[0]!], off[m[1]!]) : '';
    },
    findAll: (s, n) => {
      if (n === 0) return null;
      const { t, off } = decodeWithOffsets(s);
      const ms = goAllMatches(compiled, t, n);
      return ms.length === 0 ? null : ms.map((m) => s.slice(off[m[0]!], off[m[1]!]));
    },
    replaceAll: (s, repl) => {
      const { t, off } = decodeWithOffsets(s);
      return goReplaceAll(compiled, t, (m) => repl(matchOf(s, off, m)), (from, to) => s.slice(off[from], to === undefined ? undefined : off[to]));
    },
    split: (s, n) => {
      if (n === 0) return null;
      if (pattern.length > 0 && s.length === 0) return [''];
      const { t, off } = decodeWithOffsets(s);
      const ms = goAllMatches(compiled, t, n);
      const parts: string[] = [];
      let beg = 0;
      let end = 0;
      for (const m of ms) {
        if (n > 0 && parts.length === n - 1) break;
        end = m[0]!;
        if (m[1] !== 0) parts.push(s.slice(off[beg], off[end]));
        beg = m[1]!;
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
