/**
 * Go regexp (RE2 syntax) on top of JS RegExp: the pattern is translated (named groups, \z, \A, ASCII
 * \s, POSIX classes, leading flag groups) and the Find/Replace/Split loops follow Go's rules for empty
 * matches. Matching runs on the UTF-8-decoded text; results are byte strings again.
 */
import { fromText, toText } from './bytes.ts';

const posix: Record<string, string> = {
  alnum: '0-9A-Za-z', alpha: 'A-Za-z', ascii: '\\x00-\\x7F', blank: '\\t ', cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9', graph: '!-~', lower: 'a-z', print: ' -~', punct: '!-\\/:-@\\[-`{-~', space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z', word: '0-9A-Za-z_', xdigit: '0-9A-Fa-f',
};

export class RegexpError extends Error {}

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
  replaceAll(s: string, repl: (m: RegExpExecArray) => string): string;
  split(s: string, n: number): string[] | null;
  names: (string | undefined)[];
}

/** Compile a Go regular expression; throws RegexpError("error parsing regexp: ..."). */
export function goRegexp(pattern: string): GoRegexp & { re: RegExp } {
  const { source, flags } = translate(toText(pattern));
  let re: RegExp;
  try {
    re = new RegExp(source, flags + 'g');
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
      if (end === pos || m[0].length === 0) {
        if (m.index === prevEnd) accept = false;
        pos = end + (t.codePointAt(end)! > 0xffff ? 2 : 1);
        if (end > pos) pos = end;
      } else pos = end;
      prevEnd = end;
      if (accept) out.push(m);
    }
    return out;
  };
  return {
    re,
    names: [],
    test: (s) => exec(toText(s), 0) !== null,
    find: (s) => {
      const m = exec(toText(s), 0);
      return m ? fromText(m[0]) : '';
    },
    findAll: (s, n) => {
      if (n === 0) return null;
      const ms = allMatches(toText(s), n);
      return ms.length === 0 ? null : ms.map((m) => fromText(m[0]));
    },
    replaceAll: (s, repl) => {
      const t = toText(s);
      let out = '';
      let lastEnd = 0;
      let searchPos = 0;
      while (searchPos <= t.length) {
        const m = exec(t, searchPos);
        if (!m) break;
        const a0 = m.index;
        const a1 = m.index + m[0].length;
        out += fromText(t.slice(lastEnd, a0));
        if (a1 > lastEnd || a0 === 0) out += repl(m);
        lastEnd = a1;
        const width = searchPos < t.length ? (t.codePointAt(searchPos)! > 0xffff ? 2 : 1) : 0;
        if (searchPos + width > a1) searchPos += width;
        else if (searchPos + 1 > a1) searchPos++;
        else searchPos = a1;
      }
      return out + fromText(t.slice(lastEnd));
    },
    split: (s, n) => {
      if (n === 0) return null;
      const t = toText(s);
      if (pattern.length > 0 && t.length === 0) return [''];
      const ms = allMatches(t, n);
      const parts: string[] = [];
      let beg = 0;
      let end = 0;
      for (const m of ms) {
        if (n > 0 && parts.length === n - 1) break;
        end = m.index;
        if (m.index + m[0].length !== 0) parts.push(fromText(t.slice(beg, end)));
        beg = m.index + m[0].length;
      }
      if (end !== t.length) parts.push(fromText(t.slice(beg)));
      return parts;
    },
  };
}

/** regexp.Expand's template language: $1, ${1}, $name, ${name}, $$. */
export function expandTemplate(template: string, m: RegExpExecArray): string {
  const t = toText(template);
  let out = '';
  let rest = t;
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
    const nm = /^[\p{L}\p{Nd}_]*/u.exec(str)![0];
    if (nm.length === 0 || (brace && str[nm.length] !== '}')) {
      out += '$';
      continue;
    }
    rest = str.slice(nm.length + (brace ? 1 : 0));
    let num = -1;
    if (/^[0-9]+$/.test(nm) && !(nm[0] === '0' && nm.length > 1) && nm.length <= 8) num = parseInt(nm, 10);
    if (num >= 0) {
      if (num < m.length && m[num] !== undefined) out += m[num];
    } else if (m.groups && m.groups[nm] !== undefined) out += m.groups[nm];
  }
  return fromText(out + rest);
}

export function regexQuoteMeta(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}
