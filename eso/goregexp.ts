/**
 * Go `regexp` (RE2 syntax, Perl flags) on top of JavaScript RegExp. ESO compiles user regexps with
 * `regexp.Compile` (rewrite.regexp, find.name.regexp, ClusterSecretStore namespaceRegexes); the syntax
 * differs from JS in ways that change results (`\s`, `.`, `$`, `(?P<n>…)`, inline flags, literal `{`),
 * so patterns are parsed here with Go's rules and translated into an equivalent JS RegExp. Compile
 * errors carry Go's own text (`error parsing regexp: missing closing ): \`(\``).
 * Also: Go's ReplaceAllString (template expansion, empty matches abutting a match are ignored).
 */
import { EsiError } from '../core/index.ts';

export class GoRegexpError extends EsiError {
  constructor(code: string, expr: string) {
    super('regexp', `error parsing regexp: ${code}: \`${expr}\``);
    this.name = 'GoRegexpError';
  }
}

export interface GoRegexp {
  readonly source: string;
  /** The translated JS expression (no `g`), flags `u` (+ `i` when the whole pattern is case-insensitive). */
  readonly re: RegExp;
  /** Capture group names by group number (index 0 = whole match, unnamed groups are ''). */
  readonly names: string[];
}

const MAX_REPEAT = 1000;

interface Flags {
  i: boolean;
  m: boolean;
  s: boolean;
  U: boolean;
}

type Range = [number, number];

const ALL: Range = [0, 0x10ffff];

function negate(ranges: Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: Range[] = [];
  let next = 0;
  for (const [lo, hi] of sorted) {
    if (lo > next) out.push([next, lo - 1]);
    next = Math.max(next, hi + 1);
  }
  if (next <= 0x10ffff) out.push([next, 0x10ffff]);
  return out;
}

const R = (s: string): Range[] => {
  const out: Range[] = [];
  for (let i = 0; i < s.length; i++) {
    const lo = s.charCodeAt(i);
    if (s[i + 1] === '-' && i + 2 < s.length) {
      out.push([lo, s.charCodeAt(i + 2)]);
      i += 2;
    } else out.push([lo, lo]);
  }
  return out;
};

const PERL: Record<string, Range[]> = {
  d: R('0-9'),
  s: [[9, 10], [12, 13], [32, 32]],
  w: R('0-9A-Za-z_'),
};

const POSIX: Record<string, Range[]> = {
  alnum: R('0-9A-Za-z'),
  alpha: R('A-Za-z'),
  ascii: [[0, 0x7f]],
  blank: R('\t '),
  cntrl: [[0, 0x1f], [0x7f, 0x7f]],
  digit: R('0-9'),
  graph: [[0x21, 0x7e]],
  lower: R('a-z'),
  print: [[0x20, 0x7e]],
  punct: [[0x21, 0x2f], [0x3a, 0x40], [0x5b, 0x60], [0x7b, 0x7e]],
  space: [[9, 13], [32, 32]],
  upper: R('A-Z'),
  word: R('0-9A-Za-z_'),
  xdigit: R('0-9A-Fa-f'),
};

function cp(n: number): string {
  return `\\u{${n.toString(16)}}`;
}

function rangesToClassBody(ranges: Range[]): string {
  return ranges.map(([lo, hi]) => (lo === hi ? cp(lo) : `${cp(lo)}-${cp(hi)}`)).join('');
}

/** Simple case folding orbit of one code point (what Go's (?i) matches), via JS's own case mapping. */
function foldOrbit(c: number): number[] {
  const ch = String.fromCodePoint(c);
  const set = new Set<number>([c]);
  for (const v of [ch.toLowerCase(), ch.toUpperCase()]) {
    if ([...v].length === 1) set.add(v.codePointAt(0)!);
  }
  // Go folds k/K with KELVIN SIGN and s/S with LONG S; JS's toLowerCase maps those one way only.
  const extra: Record<number, number[]> = { 0x6b: [0x212a], 0x4b: [0x212a], 0x212a: [0x6b, 0x4b], 0x73: [0x17f], 0x53: [0x17f], 0x17f: [0x73, 0x53] };
  for (const e of extra[c] ?? []) set.add(e);
  return [...set];
}

function foldRanges(ranges: Range[]): Range[] {
  const out: Range[] = [...ranges];
  for (const [lo, hi] of ranges) {
    if (hi - lo > 5000) continue; // big ranges: approximate (they already hold most case pairs)
    for (let c = lo; c <= hi; c++) for (const f of foldOrbit(c)) if (f !== c) out.push([f, f]);
  }
  return out;
}

function unicodeClassValid(name: string): string | undefined {
  if (name === 'Any') return '[\\u{0}-\\u{10ffff}]';
  for (const js of [`\\p{${name}}`, `\\p{Script=${name}}`]) {
    // Go accepts general categories (L, Lu, …) and script names; JS knows the same tables.
    if (!/^[A-Za-z_]+$/.test(name)) return undefined;
    try {
      new RegExp(js, 'u');
      if (js.startsWith('\\p{Script') || /^(L|Lu|Ll|Lt|Lm|Lo|M|Mn|Mc|Me|N|Nd|Nl|No|P|Pc|Pd|Ps|Pe|Pi|Pf|Po|S|Sm|Sc|Sk|So|Z|Zs|Zl|Zp|C|Cc|Cf|Cs|Co)$/.test(name)) {
        return js;
      }
    } catch {
      /* try the next form */
    }
  }
  return undefined;
}

class Parser {
  readonly src: string;
  readonly chars: string[];
  pos = 0;
  names: string[] = [''];
  wholeI = false;
  constructor(src: string) {
    this.src = src;
    this.chars = [...src];
  }
  rest(): string {
    return this.chars.slice(this.pos).join('');
  }
  peek(o = 0): string | undefined {
    return this.chars[this.pos + o];
  }
  eof(): boolean {
    return this.pos >= this.chars.length;
  }

  parseAlternation(flags: Flags, depth: number): string {
    const branches: string[] = [this.parseConcat(flags, depth)];
    while (this.peek() === '|') {
      this.pos++;
      branches.push(this.parseConcat(flags, depth));
    }
    return branches.join('|');
  }

  parseConcat(flags: Flags, depth: number): string {
    let out = '';
    let lastAtom: string | undefined;
    let lastRepeatStart = -1; // char index where the previous repetition operator began
    let lastWasRepeat = false;
    while (!this.eof()) {
      const c = this.peek()!;
      if (c === '|') break;
      if (c === ')') {
        if (depth === 0) throw new GoRegexpError('unexpected )', this.src);
        break;
      }
      const repStart = this.pos;
      const rep = this.tryRepeat(flags);
      if (rep !== undefined) {
        const opText = this.chars.slice(repStart, this.pos).join('');
        if (lastWasRepeat) {
          throw new GoRegexpError('invalid nested repetition operator', this.chars.slice(lastRepeatStart, this.pos).join(''));
        }
        if (lastAtom === undefined) throw new GoRegexpError('missing argument to repetition operator', opText);
        out = out.slice(0, out.length - lastAtom.length) + `(?:${lastAtom})${rep}`;
        lastAtom = `(?:${lastAtom})${rep}`;
        lastWasRepeat = true;
        lastRepeatStart = repStart;
        continue;
      }
      if (c === '(' && this.peek(1) === '?' && this.isFlagGroup()) {
        // (?flags) changes flags for the rest of the current group
        this.parseFlagsInto(flags);
        lastAtom = undefined;
        lastWasRepeat = false;
        continue;
      }
      const atom = this.parseAtom(flags, depth);
      out += atom;
      lastAtom = atom;
      lastWasRepeat = false;
    }
    return out;
  }

  /** `(?flags)` (not `(?flags:`)? */
  isFlagGroup(): boolean {
    let i = this.pos + 2;
    while (i < this.chars.length && /[imsU-]/.test(this.chars[i]!)) i++;
    return this.chars[i] === ')';
  }

  /** Parses `(?flags)` or `(?flags:` starting at `(`; leaves pos after `)` or `:` (Go's parsePerlFlags). */
  parseFlagsInto(flags: Flags): ':' | ')' {
    const start = this.pos;
    this.pos += 2;
    const next: Flags = { ...flags };
    let negated = false;
    let sawFlag = false;
    while (!this.eof()) {
      const c = this.peek()!;
      this.pos++;
      if (c === 'i' || c === 'm' || c === 's' || c === 'U') {
        next[c] = !negated;
        sawFlag = true;
        continue;
      }
      if (c === '-') {
        if (negated) break;
        negated = true;
        sawFlag = false;
        continue;
      }
      if (c === ':' || c === ')') {
        if (negated && !sawFlag) break;
        Object.assign(flags, next);
        return c;
      }
      break;
    }
    throw new GoRegexpError('invalid or unsupported Perl syntax', this.chars.slice(start, this.pos).join(''));
  }

  tryRepeat(flags: Flags): string | undefined {
    const c = this.peek();
    let op: string | undefined;
    if (c === '*' || c === '+' || c === '?') {
      this.pos++;
      op = c;
    } else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.rest());
      if (!m) return undefined;
      const min = Number(m[1]);
      const max = m[2] ? (m[3] === '' ? -1 : Number(m[3])) : min;
      if (min > MAX_REPEAT || max > MAX_REPEAT || (max >= 0 && min > max)) {
        throw new GoRegexpError('invalid repeat count', m[0]);
      }
      this.pos += [...m[0]].length;
      op = m[2] ? (m[3] === '' ? `{${min},}` : `{${min},${max}}`) : `{${min}}`;
    } else return undefined;
    let lazy = false;
    if (this.peek() === '?') {
      this.pos++;
      lazy = true;
    }
    if (flags.U) lazy = !lazy;
    return op + (lazy ? '?' : '');
  }

  parseAtom(flags: Flags, depth: number): string {
    const c = this.peek()!;
    switch (c) {
      case '(':
        return this.parseGroup(flags, depth);
      case '[':
        return this.parseClass(flags);
      case '.':
        this.pos++;
        return flags.s ? '[\\u{0}-\\u{10ffff}]' : '[^\\n]';
      case '^':
        this.pos++;
        return flags.m ? '(?:(?<![\\s\\S])|(?<=\\n))' : '(?:(?<![\\s\\S]))';
      case '$':
        this.pos++;
        return flags.m ? '(?:(?![\\s\\S])|(?=\\n))' : '(?:(?![\\s\\S]))';
      case '\\':
        return this.parseEscape(flags);
      default:
        this.pos++;
        return this.literal(c.codePointAt(0)!, flags);
    }
  }

  literal(code: number, flags: Flags): string {
    if (flags.i && !this.wholeI) {
      const orbit = foldOrbit(code);
      if (orbit.length > 1) return `[${orbit.map(cp).join('')}]`;
    }
    return cp(code);
  }

  parseGroup(flags: Flags, depth: number): string {
    const start = this.pos;
    const inner: Flags = { ...flags };
    let capture = false;
    if (this.peek(1) === '?') {
      const two = this.peek(2);
      if (two === 'P' || two === '<') {
        const isP = two === 'P';
        if (isP && this.peek(3) !== '<') {
          throw new GoRegexpError('invalid or unsupported Perl syntax', this.chars.slice(start, start + 3).join(''));
        }
        const nameStart = this.pos + (isP ? 4 : 3);
        let end = nameStart;
        while (end < this.chars.length && this.chars[end] !== '>') end++;
        if (end >= this.chars.length) throw new GoRegexpError('invalid named capture', this.chars.slice(start).join(''));
        const name = this.chars.slice(nameStart, end).join('');
        if (name === '' || !/^[A-Za-z0-9_]+$/.test(name)) {
          throw new GoRegexpError('invalid named capture', this.chars.slice(start, end + 1).join(''));
        }
        this.pos = end + 1;
        this.names.push(name);
        capture = true;
      } else if (/[imsU:)-]/.test(two ?? '')) {
        if (this.parseFlagsInto(inner) !== ':') throw new GoRegexpError('invalid or unsupported Perl syntax', this.chars.slice(start, this.pos).join(''));
      } else {
        throw new GoRegexpError('invalid or unsupported Perl syntax', this.chars.slice(start, Math.min(start + 3, this.chars.length)).join(''));
      }
    } else {
      this.pos++;
      this.names.push('');
      capture = true;
    }
    const body = this.parseAlternation(inner, depth + 1);
    if (this.peek() !== ')') throw new GoRegexpError('missing closing )', this.src);
    this.pos++;
    return capture ? `(${body})` : `(?:${body})`;
  }

  /** Reads an escape inside or outside a class. Returns ranges, or a JS fragment for \p classes / assertions. */
  readEscape(inClass: boolean): { ranges?: Range[]; js?: string; assertion?: string; literal?: string } {
    const start = this.pos;
    this.pos++; // backslash
    const c = this.peek();
    if (c === undefined) throw new GoRegexpError('trailing backslash at end of expression', '');
    this.pos++;
    const bad = (): never => {
      throw new GoRegexpError('invalid escape sequence', this.chars.slice(start, this.pos).join(''));
    };
    switch (c) {
      case 'a': return { ranges: [[7, 7]] };
      case 'f': return { ranges: [[12, 12]] };
      case 't': return { ranges: [[9, 9]] };
      case 'n': return { ranges: [[10, 10]] };
      case 'r': return { ranges: [[13, 13]] };
      case 'v': return { ranges: [[11, 11]] };
      case 'd': case 's': case 'w': return { ranges: PERL[c] };
      case 'D': case 'S': case 'W': return { ranges: negate(PERL[c.toLowerCase()]!) };
      case 'A':
        if (inClass) return bad();
        return { assertion: '(?:(?<![\\s\\S]))' };
      case 'z':
        if (inClass) return bad();
        return { assertion: '(?:(?![\\s\\S]))' };
      case 'b':
        if (inClass) return bad();
        return { assertion: '(?:\\b)' };
      case 'B':
        if (inClass) return bad();
        return { assertion: '(?:\\B)' };
      case 'x': {
        if (this.peek() === '{') {
          const m = /^\{([0-9A-Fa-f]+)\}/.exec(this.rest());
          if (!m) {
            const close = this.chars.indexOf('}', this.pos);
            this.pos = close < 0 ? this.chars.length : close;
            return bad();
          }
          this.pos += m[0].length - 1;
          const v = parseInt(m[1]!, 16);
          if (v > 0x10ffff) return bad();
          this.pos++;
          return { ranges: [[v, v]] };
        }
        const m = /^[0-9A-Fa-f]{2}/.exec(this.rest());
        if (!m) {
          this.pos = Math.min(this.pos + 2, this.chars.length);
          return bad();
        }
        this.pos += 2;
        const v = parseInt(m[0], 16);
        return { ranges: [[v, v]] };
      }
      case 'p':
      case 'P': {
        let name: string;
        if (this.peek() === '{') {
          const close = this.chars.indexOf('}', this.pos);
          if (close < 0) {
            this.pos = this.chars.length;
            throw new GoRegexpError('invalid character class range', this.chars.slice(start).join(''));
          }
          name = this.chars.slice(this.pos + 1, close).join('');
          this.pos = close + 1;
        } else {
          const n = this.peek();
          if (n === undefined) return bad();
          name = n;
          this.pos++;
        }
        let neg = c === 'P';
        if (name.startsWith('^')) {
          neg = !neg;
          name = name.slice(1);
        }
        const js = unicodeClassValid(name);
        if (!js) throw new GoRegexpError('invalid character class range', this.chars.slice(start, this.pos).join(''));
        if (js.startsWith('[')) return { ranges: neg ? [] : [ALL] };
        return { js: neg ? js.replace('\\p', '\\P') : js };
      }
      case 'Q': {
        if (inClass) return bad();
        let end = this.pos;
        while (end < this.chars.length && !(this.chars[end] === '\\' && this.chars[end + 1] === 'E')) end++;
        const literal = this.chars.slice(this.pos, end).join('');
        this.pos = end < this.chars.length ? end + 2 : end;
        return { literal };
      }
      default: {
        if (c >= '0' && c <= '7') {
          // Octal: \0, or a digit followed by more digits; a lone \1-\7 is a backreference (unsupported).
          if (c !== '0' && !(this.peek() !== undefined && this.peek()! >= '0' && this.peek()! <= '7')) return bad();
          let digits = c;
          while (digits.length < 3 && this.peek() !== undefined && this.peek()! >= '0' && this.peek()! <= '7') {
            digits += this.peek();
            this.pos++;
          }
          const v = parseInt(digits, 8);
          return { ranges: [[v, v]] };
        }
        const code = c.codePointAt(0)!;
        if (code < 0x80 && !/[A-Za-z0-9]/.test(c)) return { ranges: [[code, code]] };
        return bad();
      }
    }
  }

  parseEscape(flags: Flags): string {
    const e = this.readEscape(false);
    if (e.assertion) return e.assertion;
    if (e.literal !== undefined) {
      const parts = [...e.literal].map((ch) => this.literal(ch.codePointAt(0)!, flags));
      return parts.length === 1 ? parts[0]! : `(?:${parts.join('')})`;
    }
    if (e.js !== undefined) return e.js;
    const ranges = e.ranges!;
    if (ranges.length === 1 && ranges[0]![0] === ranges[0]![1]) return this.literal(ranges[0]![0], flags);
    const body = flags.i && !this.wholeI ? foldRanges(ranges) : ranges;
    return body.length === 0 ? '[]' : `[${rangesToClassBody(body)}]`;
  }

  parseClass(flags: Flags): string {
    const start = this.pos;
    this.pos++;
    let negated = false;
    if (this.peek() === '^') {
      negated = true;
      this.pos++;
    }
    const ranges: Range[] = [];
    const jsParts: string[] = [];
    let first = true;
    for (;;) {
      const c = this.peek();
      if (c === undefined) throw new GoRegexpError('missing closing ]', this.chars.slice(start).join(''));
      if (c === ']' && !first) {
        this.pos++;
        break;
      }
      first = false;
      // POSIX class
      if (c === '[' && this.peek(1) === ':') {
        const m = /^\[:(\^?)([a-z]*):\]/.exec(this.rest());
        if (m) {
          const set = POSIX[m[2]!];
          if (!set) throw new GoRegexpError('invalid character class range', m[0]);
          this.pos += m[0].length;
          ranges.push(...(m[1] ? negate(set) : set));
          continue;
        }
      }
      const itemStart = this.pos;
      let lo: number;
      if (c === '\\') {
        const e = this.readEscape(true);
        if (e.js !== undefined && (e.js.startsWith('\\p') || e.js.startsWith('\\P'))) {
          jsParts.push(e.js);
          continue;
        }
        const rs = e.ranges ?? [];
        if (rs.length !== 1 || rs[0]![0] !== rs[0]![1] || c !== '\\' || /^\\[dswDSWpP]/.test(this.chars.slice(itemStart, itemStart + 2).join(''))) {
          ranges.push(...rs);
          continue;
        }
        lo = rs[0]![0];
      } else {
        this.pos++;
        lo = c.codePointAt(0)!;
      }
      // range?
      if (this.peek() === '-' && this.peek(1) !== undefined && this.peek(1) !== ']') {
        this.pos++;
        let hi: number;
        if (this.peek() === '\\') {
          const escStart = this.pos;
          if (/[dswDSWpP]/.test(this.peek(1) ?? '')) {
            throw new GoRegexpError('invalid escape sequence', this.chars.slice(escStart, escStart + 2).join(''));
          }
          const e = this.readEscape(true);
          const rs = e.ranges ?? [];
          if (rs.length !== 1 || rs[0]![0] !== rs[0]![1]) {
            throw new GoRegexpError('invalid character class range', this.chars.slice(itemStart, this.pos).join(''));
          }
          hi = rs[0]![0];
        } else {
          hi = this.peek()!.codePointAt(0)!;
          this.pos++;
        }
        if (hi < lo) throw new GoRegexpError('invalid character class range', this.chars.slice(itemStart, this.pos).join(''));
        ranges.push([lo, hi]);
      } else {
        ranges.push([lo, lo]);
      }
    }
    const folded = flags.i && !this.wholeI ? foldRanges(ranges) : ranges;
    const body = rangesToClassBody(folded) + jsParts.join('');
    if (body === '') return negated ? '[\\u{0}-\\u{10ffff}]' : '[]';
    return `[${negated ? '^' : ''}${body}]`;
  }
}

const cache = new Map<string, GoRegexp>();

/** regexp.Compile with Go's syntax and error messages. */
export function compileGoRegexp(source: string): GoRegexp {
  const hit = cache.get(source);
  if (hit) return hit;
  if (source.includes('\uFFFD') && !Buffer.from(source, 'utf8').toString('utf8').includes('\uFFFD')) {
    throw new GoRegexpError('invalid UTF-8', '\uFFFD');
  }
  const p = new Parser(source);
  const flags: Flags = { i: false, m: false, s: false, U: false };
  // A leading (?i) that covers the whole pattern maps onto JS's own `i` flag (same simple folding).
  const lead = /^\(\?([imsU]+)\)/.exec(source);
  if (lead && lead[1]!.includes('i') && !/\(\?[imsU]*-[imsU]*i/.test(source)) p.wholeI = true;
  const body = p.parseAlternation(flags, 0);
  if (!p.eof()) throw new GoRegexpError('unexpected )', source);
  let re: RegExp;
  try {
    re = new RegExp(body, p.wholeI ? 'iu' : 'u');
  } catch (e) {
    throw new EsiError('regexp', `error parsing regexp: unsupported by esi: \`${source}\` (${(e as Error).message})`);
  }
  const compiled: GoRegexp = { source, re, names: p.names };
  if (cache.size > 500) cache.clear();
  cache.set(source, compiled);
  return compiled;
}

/**
 * `g.exec(s)` from index `pos` (`g` must have the `g` flag), skipping the empty matches V8 reports
 * between the two halves of a surrogate pair (`/(?![\s\S])/u` matches "😀" at index 1): Go matches
 * on code points, where no such position exists.
 */
export function goExec(g: RegExp, s: string, pos: number): RegExpExecArray | null {
  for (;;) {
    g.lastIndex = pos;
    const m = g.exec(s);
    if (!m || !betweenSurrogates(s, m.index)) return m;
    pos = m.index + 1;
  }
}

function betweenSurrogates(s: string, i: number): boolean {
  if (i <= 0 || i >= s.length) return false;
  const hi = s.charCodeAt(i - 1);
  const lo = s.charCodeAt(i);
  return hi >= 0xd800 && hi <= 0xdbff && lo >= 0xdc00 && lo <= 0xdfff;
}

const globals = new WeakMap<GoRegexp, RegExp>();

/** The compiled expression with the `g` flag (one per compiled pattern). */
function globalOf(re: GoRegexp): RegExp {
  let g = globals.get(re);
  if (!g) {
    g = new RegExp(re.re.source, re.re.flags + 'g');
    globals.set(re, g);
  }
  return g;
}

/** regexp.MatchString: unanchored. */
export function goMatchString(re: GoRegexp, s: string): boolean {
  return goExec(globalOf(re), s, 0) !== null;
}

/** Go's Regexp.Expand for one match: $1, ${1}, $name (longest word run), ${name}, $$. */
export function goExpand(template: string, m: RegExpExecArray, names: string[]): string {
  let out = '';
  let i = 0;
  while (i < template.length) {
    const d = template.indexOf('$', i);
    if (d < 0) {
      out += template.slice(i);
      break;
    }
    out += template.slice(i, d);
    let rest = template.slice(d + 1);
    if (rest.startsWith('$')) {
      out += '$';
      i = d + 2;
      continue;
    }
    let brace = false;
    if (rest.startsWith('{')) {
      brace = true;
      rest = rest.slice(1);
    }
    const word = /^[\p{L}\p{Nd}_]+/u.exec(rest);
    if (!word || (brace && rest[word[0].length] !== '}')) {
      out += '$';
      i = d + 1;
      continue;
    }
    const name = word[0];
    const consumed = 1 + (brace ? 2 : 0) + name.length;
    let num = -1;
    if (/^[0-9]+$/.test(name) && name.length < 9 && !(name[0] === '0' && name.length > 1)) num = Number(name);
    if (num >= 0) {
      if (num < m.length && m[num] !== undefined) out += m[num];
    } else {
      const idx = names.indexOf(name);
      if (idx > 0 && m[idx] !== undefined) out += m[idx];
    }
    i = d + consumed;
  }
  return out;
}

/** Regexp.ReplaceAllString: Go semantics for empty matches (ignored when abutting a previous match). */
export function goReplaceAllString(re: GoRegexp, src: string, template: string): string {
  const g = globalOf(re);
  let out = '';
  let lastEnd = 0;
  let prevMatchEnd = -1;
  let searchPos = 0;
  while (searchPos <= src.length) {
    const m = goExec(g, src, searchPos);
    if (!m) break;
    const start = m.index;
    const end = start + m[0].length;
    if (m[0].length === 0 && start === prevMatchEnd) {
      // Go ignores an empty match right after the previous match; advance one character.
      const cpLen = src.codePointAt(start)! > 0xffff ? 2 : 1;
      searchPos = start + cpLen;
      continue;
    }
    out += src.slice(lastEnd, start) + goExpand(template, m, re.names);
    lastEnd = end;
    prevMatchEnd = end;
    if (m[0].length === 0) {
      const c = src.codePointAt(start);
      searchPos = start + (c !== undefined && c > 0xffff ? 2 : 1);
    } else searchPos = end;
  }
  return out + src.slice(lastEnd);
}
