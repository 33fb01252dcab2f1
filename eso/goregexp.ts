/**
 * Go `regexp` (RE2 syntax, Perl flags, leftmost-first) for what ESO compiles with `regexp.Compile`:
 * rewrite.regexp, find.name.regexp, ClusterSecretStore namespaceRegexes and sprig's regex* template
 * functions. Patterns come from users and run against backend data, so they run on re2js, an RE2
 * engine (DFA + NFA, no backtracking): time grows linearly with the input, never exponentially
 * as on V8's backtracking RegExp (`(a+)+$` on 30 `a`s and a `!` took minutes there).
 *
 * Syntax is checked here first with Go's parser rules (regexp/syntax/parse.go), so compile errors
 * carry Go's own text (`error parsing regexp: missing closing ): \`(\``); the same pass estimates
 * the compiled program's size the way Go's calcSize does, which prices a pattern before it is
 * compiled (see withRegexpBudget). Matching positions are UTF-16 indices at code-point boundaries:
 * re2js steps by code point, as Go steps by rune.
 *
 * re2js is loaded on demand (loadRegexpEngine): it is about 260 KB of code and 1.5 MiB of memory, and
 * the agent in most pods runs no regexp.
 */
import type { Matcher, RE2JS } from 're2js';
import { EsiError } from '../core/index.ts';

export class GoRegexpError extends EsiError {
  constructor(code: string, expr: string) {
    super('regexp', `error parsing regexp: ${code}: \`${expr}\``);
    this.name = 'GoRegexpError';
  }
}

export interface GoRegexp {
  readonly source: string;
  /** Capture group names by group number (index 0 = whole match, unnamed groups are ''). */
  readonly names: string[];
  /** Go's estimate of the compiled program's size in instructions (regexp/syntax calcSize). */
  readonly size: number;
  readonly program: RE2JS;
}

type Engine = typeof import('re2js');
let engine: Engine | undefined;

/** Loads the engine; everything that compiles a regexp awaits this first (eso/render.ts, the CLI commands, eso/template). */
export async function loadRegexpEngine(): Promise<void> {
  engine ??= await import('re2js');
}

function loadedEngine(): Engine {
  if (!engine) throw new EsiError('regexp', 'internal error: a regexp was compiled before the regexp engine was loaded (loadRegexpEngine)');
  return engine;
}

const MAX_REPEAT = 1000;

interface Flags {
  i: boolean;
  m: boolean;
  s: boolean;
  U: boolean;
}

const POSIX_CLASSES = new Set(['alnum', 'alpha', 'ascii', 'blank', 'cntrl', 'digit', 'graph', 'lower', 'print', 'punct', 'space', 'upper', 'word', 'xdigit']);
const GENERAL_CATEGORIES = /^(L|Lu|Ll|Lt|Lm|Lo|M|Mn|Mc|Me|N|Nd|Nl|No|P|Pc|Pd|Ps|Pe|Pi|Pf|Po|S|Sm|Sc|Sk|So|Z|Zs|Zl|Zp|C|Cc|Cf|Cs|Co)$/;

/** Go accepts `Any`, the general categories and script names (`\p{Greek}`); JS knows the same tables. */
function unicodeClassValid(name: string): boolean {
  if (name === 'Any' || GENERAL_CATEGORIES.test(name)) return true;
  if (!/^[A-Za-z_]+$/.test(name)) return false;
  try {
    new RegExp(`\\p{Script=${name}}`, 'u');
    return true;
  } catch {
    return false;
  }
}

/** One item of a character class or an escape: a single code point (a range end) or a set. */
type ClassItem = { code: number } | { set: true };

/**
 * Go's parser rules, enough to reject what Go rejects with Go's text and to size what it accepts.
 * Each parse method returns its subexpression's size as Go's calcSize counts it (1 per literal or
 * class, +2 per capture or star, +1 per plus or quest, max*sub + (max-min) per bounded repeat).
 */
class Parser {
  readonly src: string;
  readonly chars: string[];
  pos = 0;
  names: string[] = [''];
  /** Char spans of `?P<name>` / `?<name>` in named groups: re2js refuses a name used twice, Go does not. */
  nameSpans: [number, number][] = [];
  constructor(src: string) {
    this.src = src;
    this.chars = [...src];
  }
  /** The next `n` characters (never the whole rest: a pattern can be megabytes long). */
  ahead(n: number): string {
    return this.chars.slice(this.pos, this.pos + n).join('');
  }
  /** A run of characters from `from` for which `ok` holds; returns where it ends. */
  scan(from: number, ok: (c: string) => boolean): number {
    let i = from;
    while (i < this.chars.length && ok(this.chars[i]!)) i++;
    return i;
  }
  peek(o = 0): string | undefined {
    return this.chars[this.pos + o];
  }
  eof(): boolean {
    return this.pos >= this.chars.length;
  }

  parseAlternation(flags: Flags, depth: number): number {
    let size = this.parseConcat(flags, depth);
    let branches = 1;
    while (this.peek() === '|') {
      this.pos++;
      size += this.parseConcat(flags, depth);
      branches++;
    }
    return size + branches - 1;
  }

  parseConcat(flags: Flags, depth: number): number {
    let size = 0;
    let lastAtom: number | undefined;
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
        const repeated = repeatSize(lastAtom, rep.min, rep.max);
        size += repeated - lastAtom;
        lastAtom = repeated;
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
      size += atom;
      lastAtom = atom;
      lastWasRepeat = false;
    }
    return Math.max(1, size);
  }

  /** The pattern with its groups' names taken out (groups are used by number). */
  unnamed(): string {
    let out = '';
    let from = 0;
    for (const [a, b] of this.nameSpans) {
      out += this.chars.slice(from, a).join('');
      from = b;
    }
    return out + this.chars.slice(from).join('');
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

  /** A repetition operator at pos: its bounds (max -1 = unbounded), or undefined (`{` that is a literal). */
  tryRepeat(_flags: Flags): { min: number; max: number } | undefined {
    const c = this.peek();
    let bounds: { min: number; max: number };
    if (c === '*' || c === '+' || c === '?') {
      this.pos++;
      bounds = c === '*' ? { min: 0, max: -1 } : c === '+' ? { min: 1, max: -1 } : { min: 0, max: 1 };
    } else if (c === '{') {
      // Go's parseRepeat/parseInt: {n}, {n,}, {n,m}; digits without a leading zero, else `{` is a literal
      const digit = (ch: string) => ch >= '0' && ch <= '9';
      const number = (from: number): { end: number; value: number } | undefined => {
        const end = this.scan(from, digit);
        if (end === from || (end - from > 1 && this.chars[from] === '0')) return undefined;
        const text = this.chars.slice(from, end).join('');
        return { end, value: text.length > 8 ? -1 : Number(text) }; // -1: too big a number
      };
      const lo = number(this.pos + 1);
      if (!lo) return undefined;
      let end = lo.end;
      let min = lo.value;
      let max = min;
      if (this.chars[end] === ',') {
        if (this.chars[end + 1] === '}') {
          max = -1;
          end++;
        } else {
          const hi = number(end + 1);
          if (!hi) return undefined;
          end = hi.end;
          max = hi.value;
          if (max < 0) min = -1;
        }
      }
      if (this.chars[end] !== '}') return undefined;
      const text = this.chars.slice(this.pos, end + 1).join('');
      if (min < 0 || min > MAX_REPEAT || max > MAX_REPEAT || (max >= 0 && min > max)) {
        throw new GoRegexpError('invalid repeat count', text);
      }
      this.pos = end + 1;
      bounds = { min, max };
    } else return undefined;
    if (this.peek() === '?') this.pos++; // non-greedy: same size
    return bounds;
  }

  parseAtom(flags: Flags, depth: number): number {
    const c = this.peek()!;
    switch (c) {
      case '(':
        return this.parseGroup(flags, depth);
      case '[':
        return this.parseClass();
      case '\\':
        return this.parseEscape();
      default:
        this.pos++; // a literal, `.`, `^` or `$`
        return 1;
    }
  }

  parseGroup(flags: Flags, depth: number): number {
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
        this.nameSpans.push([start + 1, end + 1]);
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
    return capture ? body + 2 : body;
  }

  /** Reads an escape inside or outside a class: one code point, a set, an assertion or a `\Q…\E` literal. */
  readEscape(inClass: boolean): ClassItem | { literal: string } {
    const start = this.pos;
    this.pos++; // backslash
    const c = this.peek();
    if (c === undefined) throw new GoRegexpError('trailing backslash at end of expression', '');
    this.pos++;
    const bad = (): never => {
      throw new GoRegexpError('invalid escape sequence', this.chars.slice(start, this.pos).join(''));
    };
    switch (c) {
      case 'a': return { code: 7 };
      case 'f': return { code: 12 };
      case 't': return { code: 9 };
      case 'n': return { code: 10 };
      case 'r': return { code: 13 };
      case 'v': return { code: 11 };
      case 'd': case 's': case 'w': case 'D': case 'S': case 'W': return { set: true };
      case 'A': case 'z': case 'b': case 'B':
        if (inClass) return bad();
        return { set: true }; // an assertion: one instruction, like a class
      case 'x': {
        if (this.peek() === '{') {
          // Go: hex digits up to `}`; the error quotes the escape through the offending character
          this.pos++;
          let v = 0;
          let digits = 0;
          for (;;) {
            const h = this.peek();
            if (h === undefined) return bad();
            this.pos++;
            if (h === '}') break;
            if (!/[0-9A-Fa-f]/.test(h)) return bad();
            v = v * 16 + parseInt(h, 16);
            if (v > 0x10ffff) return bad();
            digits++;
          }
          if (digits === 0) return bad();
          return { code: v };
        }
        const m = /^[0-9A-Fa-f]{2}/.exec(this.ahead(2));
        if (!m) {
          this.pos = Math.min(this.pos + 2, this.chars.length);
          return bad();
        }
        this.pos += 2;
        return { code: parseInt(m[0], 16) };
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
        if (name.startsWith('^')) name = name.slice(1);
        if (!unicodeClassValid(name)) throw new GoRegexpError('invalid character class range', this.chars.slice(start, this.pos).join(''));
        return { set: true };
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
          return { code: parseInt(digits, 8) };
        }
        const code = c.codePointAt(0)!;
        if (code < 0x80 && !/[A-Za-z0-9]/.test(c)) return { code };
        return bad();
      }
    }
  }

  parseEscape(): number {
    const e = this.readEscape(false);
    return 'literal' in e ? Math.max(1, [...e.literal].length) : 1;
  }

  parseClass(): number {
    const start = this.pos;
    this.pos++;
    if (this.peek() === '^') this.pos++;
    let first = true;
    for (;;) {
      const c = this.peek();
      if (c === undefined) throw new GoRegexpError('missing closing ]', this.chars.slice(start).join(''));
      if (c === ']' && !first) {
        this.pos++;
        return 1;
      }
      first = false;
      // POSIX class
      if (c === '[' && this.peek(1) === ':') {
        const m = /^\[:(\^?)([a-z]*):\]/.exec(this.ahead(16)); // the longest name is [:^xdigit:]
        if (m) {
          if (!POSIX_CLASSES.has(m[2]!)) throw new GoRegexpError('invalid character class range', m[0]);
          this.pos += m[0].length;
          continue;
        }
      }
      const itemStart = this.pos;
      let lo: number;
      if (c === '\\') {
        const e = this.readEscape(true) as ClassItem;
        if (!('code' in e)) continue; // \d, \pL, …: a set, never a range end
        lo = e.code;
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
          const e = this.readEscape(true) as ClassItem;
          if (!('code' in e)) throw new GoRegexpError('invalid character class range', this.chars.slice(itemStart, this.pos).join(''));
          hi = e.code;
        } else {
          hi = this.peek()!.codePointAt(0)!;
          this.pos++;
        }
        if (hi < lo) throw new GoRegexpError('invalid character class range', this.chars.slice(itemStart, this.pos).join(''));
      }
    }
  }
}

/** Go's calcSize for a repeat of a subexpression of size `sub` (regexp/syntax/parse.go). */
function repeatSize(sub: number, min: number, max: number): number {
  if (max === -1) return min === 0 ? 2 + sub : min === 1 ? 1 + sub : 1 + min * sub;
  if (min === 0 && max === 1) return 1 + sub;
  return Math.max(1, max * sub + (max - min));
}

// ---------------------------------------------------------------------------------------------
// Work budget

/**
 * A unit is one NFA step (one instruction over one input character); compiling costs about 250 steps per instruction (7–30 µs with the syntax pass, bench/regexp.mjs on a shared
 * 2-core machine; the NFA with captures 0.1 µs per step, MatchString's DFA far less).
 */
const COMPILE_UNITS_PER_INSTRUCTION = 250;

/** The bound of a withRegexpBudget scope was reached; nothing ran past it. */
export class RegexpBudgetExceeded extends EsiError {
  constructor(readonly limit: number) {
    super(
      'regexp-budget',
      `the regular expressions this request needs exceed esi's bound on regexp work per request (${limit.toLocaleString('en-US')} units: instructions compiled ×${COMPILE_UNITS_PER_INSTRUCTION} plus instructions × input characters matched); use fewer or smaller namespaceRegexes / rewrite regexps`,
    );
    this.name = 'RegexpBudgetExceeded';
  }
}

let budget: { left: number; limit: number } | undefined;

/**
 * Runs `fn` (synchronous) with at most `units` of regexp work (compiles and matches in it are
 * priced before they run: compile = estimated instructions × 250, match = instructions × (input
 * length + 1), the NFA's worst case). The webhook runs each admission in one: linear-time regexps
 * still cost size × input, and one request must not hold the event loop from the others.
 */
export function withRegexpBudget<T>(units: number, fn: () => T): T {
  const outer = budget;
  budget = { left: units, limit: units };
  try {
    return fn();
  } finally {
    budget = outer;
  }
}

function charge(units: number): void {
  if (!budget) return;
  budget.left -= units;
  if (budget.left < 0) throw new RegexpBudgetExceeded(budget.limit);
}

// ---------------------------------------------------------------------------------------------
// Compile and match

const cache = new Map<string, GoRegexp>();

/** regexp.Compile with Go's syntax and error messages. */
export function compileGoRegexp(source: string): GoRegexp {
  const hit = cache.get(source);
  if (hit) {
    charge(hit.size * COMPILE_UNITS_PER_INSTRUCTION); // priced as if compiled: a denial must not depend on the cache
    return hit;
  }
  if (source.includes('\uFFFD') && !Buffer.from(source, 'utf8').toString('utf8').includes('\uFFFD')) {
    throw new GoRegexpError('invalid UTF-8', '\uFFFD');
  }
  const p = new Parser(source);
  const size = p.parseAlternation({ i: false, m: false, s: false, U: false }, 0) + 2; // + the match and the unanchored loop
  if (!p.eof()) throw new GoRegexpError('unexpected )', source);
  charge(size * COMPILE_UNITS_PER_INSTRUCTION);
  const { RE2JS, RE2JSSyntaxException } = loadedEngine();
  let program: RE2JS;
  try {
    program = RE2JS.compile(p.unnamed());
  } catch (e) {
    // Go's limits the syntax pass above does not model: nesting depth, repeat products, program size.
    if (e instanceof RE2JSSyntaxException) {
      const code = e.getDescription();
      const whole = code === 'expression too large' || code === 'expression nests too deeply'; // Go quotes the whole expression
      throw new GoRegexpError(code, whole ? source : (e.getPattern() ?? source));
    }
    throw new EsiError('regexp', `error parsing regexp: unsupported by esi: \`${source}\` (${(e as Error).message})`);
  }
  const compiled: GoRegexp = { source, names: p.names, size: Math.max(size, program.programSize()), program };
  if (cache.size > 500) cache.clear();
  cache.set(source, compiled);
  return compiled;
}

/** regexp.MatchString: unanchored. */
export function goMatchString(re: GoRegexp, s: string): boolean {
  charge(re.size * (s.length + 1));
  return re.program.test(s);
}

/**
 * Go's doExecute from `pos` over one text: the leftmost-first match starting at or after `pos` (the
 * text before `pos` is context for `^`, `\b`), as [start, end, group1 start, group1 end, …] with -1
 * for groups that did not take part; null when there is none.
 */
export class GoSearch {
  readonly #re: GoRegexp;
  readonly #text: string;
  readonly #matcher: Matcher;
  constructor(re: GoRegexp, text: string) {
    this.#re = re;
    this.#text = text;
    this.#matcher = re.program.matcher(text);
  }
  at(pos: number): number[] | null {
    charge(this.#re.size * (this.#text.length - pos + 1));
    if (!this.#matcher.find(pos)) return null;
    const out: number[] = [];
    for (let g = 0; g < this.#re.names.length; g++) out.push(this.#matcher.start(g), this.#matcher.end(g));
    return out;
  }
}

/** Width of the code point at `i` in UTF-16 units (0 at the end): Go's utf8.DecodeRuneInString width. */
export function codePointWidth(s: string, i: number): number {
  if (i >= s.length) return 0;
  return s.codePointAt(i)! > 0xffff ? 2 : 1;
}

/** Go's allMatches: up to `n` (n < 0: all) matches, an empty match abutting the previous one skipped. */
export function goAllMatches(re: GoRegexp, text: string, n: number): number[][] {
  const out: number[][] = [];
  if (n < 0) n = text.length + 1;
  const search = new GoSearch(re, text);
  for (let pos = 0, prevMatchEnd = -1; out.length < n && pos <= text.length; ) {
    const m = search.at(pos);
    if (!m) break;
    let accept = true;
    if (m[1] === pos) {
      // an empty match: not right after the previous match; move on one code point
      if (m[0] === prevMatchEnd) accept = false;
      const width = codePointWidth(text, pos);
      pos = width > 0 ? pos + width : text.length + 1;
    } else pos = m[1]!;
    prevMatchEnd = m[1]!;
    if (accept) out.push(m);
  }
  return out;
}

/**
 * Go's replaceAll loop: `repl` is called with each match's indices (see GoSearch.at); an empty match
 * right after a match is not replaced; the search always advances at least one code point. `copy`
 * gives the unmatched text between two indices (the template functions copy from their byte string).
 */
export function goReplaceAll(re: GoRegexp, text: string, repl: (m: number[]) => string, copy = (from: number, to?: number) => text.slice(from, to)): string {
  const search = new GoSearch(re, text);
  let out = '';
  let lastMatchEnd = 0;
  let searchPos = 0;
  while (searchPos <= text.length) {
    const a = search.at(searchPos);
    if (!a) break;
    out += copy(lastMatchEnd, a[0]);
    if (a[1]! > lastMatchEnd || a[0] === 0) out += repl(a);
    lastMatchEnd = a[1]!;
    const width = codePointWidth(text, searchPos);
    if (searchPos + width > a[1]!) searchPos += width;
    else if (searchPos + 1 > a[1]!) searchPos++;
    else searchPos = a[1]!;
  }
  return out + copy(lastMatchEnd);
}

/** Go's Regexp.Expand for one match: $1, ${1}, $name (longest word run), ${name}, $$. */
export function goExpand(template: string, text: string, m: number[], names: string[]): string {
  const group = (n: number): string => (n < names.length && m[2 * n]! >= 0 ? text.slice(m[2 * n], m[2 * n + 1]) : '');
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
    if (num >= 0) out += group(num);
    else {
      const idx = names.indexOf(name);
      if (idx > 0) out += group(idx);
    }
    i = d + consumed;
  }
  return out;
}

/** Regexp.ReplaceAllString: Go's template expansion and empty-match rules. */
export function goReplaceAllString(re: GoRegexp, src: string, template: string): string {
  return goReplaceAll(re, src, (m) => goExpand(template, src, m, re.names));
}
