/**
 * Go regexp (RE2 syntax) on top of JS RegExp: the pattern is translated (named groups, \z, \A, ASCII
 * \s, POSIX classes, leading flag groups) and the Find/Replace/Split loops follow Go's rules for empty
 * matches. Matching runs on the UTF-8-decoded text; results are byte strings again.
 */
import { decodeRune, fromText, isValidUTF8, toText } from './bytes.ts';

const posix: Record<string, string> = {
  alnum: '0-9A-Za-z', alpha: 'A-Za-z', ascii: '\\x00-\\x7F', blank: '\\t ', cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9', graph: '!-~', lower: 'a-z', print: ' -~', punct: '!-\\/:-@\\[-`{-~', space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z', word: '0-9A-Za-z_', xdigit: '0-9A-Fa-f',
};

export class RegexpError extends Error {}

/** Go accepts \\ followed by punctuation, the listed letters, octal, \\x hex and \\p classes; nothing else. */
function checkEscape(p: string, i: number, fail: (code: string, expr: string) => never): void {
  const n = p[i + 1]!;
  if (!/[A-Za-z0-9]/.test(n)) {
    if (n.charCodeAt(0) >= 0x80) fail('invalid escape sequence', '\\' + n);
    return;
  }
  if ('aftnrvdDsSwWbBAzpPQE'.includes(n)) return;
  if (n === 'x') {
    const rest = p.slice(i + 2);
    if (/^[0-9A-Fa-f]{2}/.test(rest) || /^\{[0-9A-Fa-f]+\}/.test(rest)) return;
    fail('invalid escape sequence', p.slice(i, i + 4));
  }
  if (n === '0') return;
  if (n >= '1' && n <= '7' && p[i + 2] !== undefined && p[i + 2]! >= '0' && p[i + 2]! <= '7') return;
  fail('invalid escape sequence', '\\' + n);
}

/** The errors Go's regexp/syntax reports for the common malformed patterns, with its wording. */
function checkSyntax(p: string): void {
  const fail = (code: string, expr: string): never => {
    throw new RegexpError(`error parsing regexp: ${code}: \`${expr}\``);
  };
  let depth = 0;
  let prevAtom = false; // something a repetition operator can apply to precedes
  let prevRepeat = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '\\') {
      if (i + 1 >= p.length) fail('trailing backslash at end of expression', '');
      checkEscape(p, i, fail);
      i++;
      prevAtom = true;
      prevRepeat = '';
      continue;
    }
    if (c === '[') {
      let j = i + 1;
      if (p[j] === '^') j++;
      if (p[j] === ']') j++;
      for (; j < p.length && p[j] !== ']'; j++) {
        if (p[j] === '\\') j++;
        else if (p[j] === '[' && p[j + 1] === ':') {
          const e = p.indexOf(':]', j + 2);
          if (e > 0) j = e + 1;
        }
      }
      if (j >= p.length) fail('missing closing ]', p.slice(i));
      i = j;
      prevAtom = true;
      prevRepeat = '';
      continue;
    }
    if (c === '(') {
      depth++;
      if (p[i + 1] === '?') {
        const m = /^\(\?(P?<[A-Za-z0-9_]+>|:|[imsU-]+:|[imsU-]+\))/.exec(p.slice(i));
        if (!m) return fail('invalid or unsupported Perl syntax', p.slice(i, i + 3));
        if (m[0].endsWith(')') && !m[0].endsWith(':)')) {
          depth--;
          i += m[0].length - 1;
          prevAtom = false;
          continue;
        }
        i += m[0].length - 1;
      }
      prevAtom = false;
      prevRepeat = '';
      continue;
    }
    if (c === ')') {
      if (depth === 0) fail('unexpected )', p);
      depth--;
      prevAtom = true;
      prevRepeat = '';
      continue;
    }
    if (c === '|') {
      prevAtom = false;
      prevRepeat = '';
      continue;
    }
    if (c === '*' || c === '+' || c === '?') {
      if (prevRepeat !== '') {
        if (c === '?' && prevRepeat.length === 1) {
          prevRepeat += c;
          continue;
        }
        fail('invalid nested repetition operator', prevRepeat + c);
      }
      if (!prevAtom) fail('missing argument to repetition operator', c);
      prevRepeat = c;
      continue;
    }
    prevAtom = true;
    prevRepeat = '';
  }
  if (depth > 0) fail('missing closing )', p);
}

function translate(pattern: string): { source: string; flags: string } {
  checkSyntax(pattern);
  let flags = '';
  let p = pattern;
  const lead = /^\(\?([imsU]+)\)/.exec(p);
  if (lead) {
    for (const f of lead[1]) {
      if (f === 'U') throw new RegexpError(`error parsing regexp: invalid or unsupported Perl syntax: \`(?U\``);
      if (!flags.includes(f)) flags += f;
    }
    p = p.slice(lead[0].length);
  }
  let out = '';
  let inClass = false;
  let needU = false;
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '\\') {
      const n = p[i + 1];
      if (n === undefined) throw new RegexpError('error parsing regexp: trailing backslash at end of expression: ``');
      if (!inClass && n === 'z') out += '$(?![\\s\\S])';
      else if (!inClass && n === 'A') out += '^';
      else if (n === 's') out += inClass ? '\\t\\n\\f\\r ' : '[\\t\\n\\f\\r ]';
      else if (n === 'S') out += inClass ? '\\S' : '[^\\t\\n\\f\\r ]';
      else if (n === 'p' || n === 'P') {
        needU = true;
        if (p[i + 2] === '{') {
          const e = p.indexOf('}', i + 2);
          out += '\\' + n + p.slice(i + 2, e + 1);
          i = e;
          continue;
        }
        out += '\\' + n + '{' + p[i + 2] + '}';
        i += 2;
        continue;
      } else if (n === 'Q') {
        const e = p.indexOf('\\E', i + 2);
        const lit = e < 0 ? p.slice(i + 2) : p.slice(i + 2, e);
        out += lit.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
        i = e < 0 ? p.length : e + 1;
        continue;
      } else if (/[0-9]/.test(n) && n !== '0') {
        throw new RegexpError(`error parsing regexp: invalid escape sequence: \`\\${n}\``);
      } else out += c + n;
      i++;
      continue;
    }
    if (inClass) {
      if (c === '[' && p[i + 1] === ':') {
        const e = p.indexOf(':]', i + 2);
        if (e > 0) {
          let name = p.slice(i + 2, e);
          const neg = name.startsWith('^');
          if (neg) name = name.slice(1);
          const cls = posix[name];
          if (cls === undefined) throw new RegexpError(`error parsing regexp: invalid character class range: \`${p.slice(i, e + 2)}\``);
          if (neg) throw new RegexpError('error parsing regexp: negated POSIX classes are not supported by esi');
          out += cls;
          i = e + 1;
          continue;
        }
      }
      if (c === ']') inClass = false;
      else if (c === '[') {
        out += '\\[';
        continue;
      }
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      if (p[i + 1] === '^') {
        out += '^';
        i++;
      }
      if (p[i + 1] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (c === '(' && p[i + 1] === '?') {
      if (p[i + 2] === 'P' && p[i + 3] === '<') {
        out += '(?<';
        i += 3;
        continue;
      }
      if (p[i + 2] === ':' || p[i + 2] === '<') {
        out += '(?' + p[i + 2];
        i += 2;
        continue;
      }
      throw new RegexpError(`error parsing regexp: invalid or unsupported Perl syntax: \`${p.slice(i, i + 3)}\``);
    }
    if (c === '/') {
      out += '\\/';
      continue;
    }
    out += c;
  }
  if (inClass) throw new RegexpError(`error parsing regexp: missing closing ]: \`${p}\``);
  return { source: out, flags: flags + (needU ? 'u' : '') };
}

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

/** Compile a Go regular expression; throws RegexpError("error parsing regexp: ..."). */
export function goRegexp(pattern: string): GoRegexp {
  if (!isValidUTF8(pattern)) throw new RegexpError('error parsing regexp: invalid UTF-8');
  const { source, flags } = translate(toText(pattern));
  let re: RegExp;
  try {
    re = new RegExp(source, flags + 'gd');
  } catch (e) {
    throw new RegexpError(`error parsing regexp: ${(e as Error).message}`);
  }
  const exec = (t: string, pos: number): RegExpExecArray | null => {
    re.lastIndex = pos;
    return re.exec(t);
  };
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
      const ix = m.indices?.groups?.[name];
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
