/**
 * The syntax error go-yaml v2 reports for a malformed YAML text, in its words: ESO parses templates'
 * YAML (KeysAndValues scope, `fromYaml`) with sigs.k8s.io/yaml over go.yaml.in/yaml/v2, whose scanner and
 * parser are a translation of libyaml (scannerc.go, parserc.go). The message ESO shows is
 * `yaml: [line N: ]<problem>`, where N is decode.go's (*parser).fail(): a scanner error's 0-based problem
 * line plus one, a parser error's 0-based problem line as it is, and no line when that is 0.
 *
 * This is only the error path: structure and values still come from the `yaml` package (yaml.ts), and
 * this runs only when that package has already found the text malformed. It follows libyaml's token
 * rules (simple keys, indentation, flow levels, what may start a token, quoted and block scalars) and
 * its parser's expectations (block and flow collections, nodes, documents) closely enough to name the
 * same problem at the same line; `undefined` when it finds nothing wrong (the caller then keeps the
 * `yaml` package's text). What it does not model is listed in eso/template/template.diff.test.ts.
 */

interface Mark {
  index: number;
  line: number;
  column: number;
}

type TokenType =
  | 'STREAM-START' | 'STREAM-END' | 'DIRECTIVE' | 'DOCUMENT-START' | 'DOCUMENT-END'
  | 'BLOCK-SEQUENCE-START' | 'BLOCK-MAPPING-START' | 'BLOCK-END'
  | 'FLOW-SEQUENCE-START' | 'FLOW-SEQUENCE-END' | 'FLOW-MAPPING-START' | 'FLOW-MAPPING-END'
  | 'BLOCK-ENTRY' | 'FLOW-ENTRY' | 'KEY' | 'VALUE' | 'ALIAS' | 'ANCHOR' | 'TAG' | 'SCALAR';

interface Token {
  type: TokenType;
  mark: Mark;
  /** TAG: its handle (`!`, `!!`, `!x!`); DIRECTIVE: its name and, for TAG, the handle it declares. */
  handle?: string;
  name?: string;
  major?: number;
}

class SyntaxProblem extends Error {
  constructor(readonly kind: 'scanner' | 'parser', readonly problem: string, readonly at: Mark) {
    super(problem);
  }
}

interface SimpleKey {
  possible: boolean;
  required: boolean;
  tokenNumber: number;
  mark: Mark;
}

const isBreak = (c: string | undefined) => c === '\n' || c === '\r' || c === '\u0085' || c === '\u2028' || c === '\u2029';
const isBlank = (c: string | undefined) => c === ' ' || c === '\t';
const isZ = (c: string | undefined) => c === undefined;
const isBlankZ = (c: string | undefined) => isBlank(c) || isBreak(c) || isZ(c);
const isBreakZ = (c: string | undefined) => isBreak(c) || isZ(c);
const isAlpha = (c: string | undefined) => c !== undefined && /^[0-9A-Za-z_-]$/.test(c);
const isHex = (c: string | undefined) => c !== undefined && /^[0-9A-Fa-f]$/.test(c);
/** go-yaml's bound on flow levels and indentation levels (scannerc.go max_flow_level, max_indents). */
const MAX_DEPTH = 10_000;
const URI_CHAR = /^[0-9A-Za-z\-;/?:@&=+$,_.!~*'()[\]%]$/;

/** libyaml's scanner, token by token on demand (the parser's peeks decide which error comes first). */
class Scanner {
  readonly #c: string[];
  #pos = 0;
  readonly mark: Mark = { index: 0, line: 0, column: 0 };
  #queue: Token[] = [];
  #parsed = 0;
  #started = false;
  #ended = false;
  #indent = -1;
  readonly #indents: number[] = [];
  #flowLevel = 0;
  #simpleKeyAllowed = false;
  readonly #simpleKeys: SimpleKey[] = [];

  constructor(text: string) {
    this.#c = Array.from(text);
  }

  peek(): Token {
    this.#fetchMore();
    return this.#queue[0]!;
  }

  next(): Token {
    const t = this.peek();
    this.#queue.shift();
    this.#parsed++;
    return t;
  }

  // ---------------------------------------------------------------------------------- reading

  #ch(offset = 0): string | undefined {
    return this.#c[this.#pos + offset];
  }

  #here(): Mark {
    return { ...this.mark };
  }

  #skip(): void {
    this.#pos++;
    this.mark.index++;
    this.mark.column++;
  }

  #skipLine(): void {
    if (this.#ch() === '\r' && this.#ch(1) === '\n') {
      this.#pos += 2;
      this.mark.index += 2;
    } else {
      this.#pos++;
      this.mark.index++;
    }
    this.mark.column = 0;
    this.mark.line++;
  }

  #fail(problem: string): never {
    throw new SyntaxProblem('scanner', problem, this.#here());
  }

  // ------------------------------------------------------------------------------- token queue

  #fetchMore(): void {
    for (;;) {
      if (this.#queue.length > 0) {
        const head = this.#simpleKeys.find((k) => k.possible && k.tokenNumber === this.#parsed);
        if (!head || !this.#keyStillValid(head)) break;
      }
      this.#fetchNext();
    }
  }

  /** A simple key stays possible on its own line, within 1024 characters. */
  #keyStillValid(k: SimpleKey): boolean {
    if (!k.possible) return false;
    if (k.mark.line < this.mark.line || k.mark.index + 1024 < this.mark.index) {
      if (k.required) this.#fail("could not find expected ':'");
      k.possible = false;
      return false;
    }
    return true;
  }

  #add(type: TokenType, mark: Mark, extra: Partial<Token> = {}): void {
    this.#queue.push({ type, mark, ...extra });
  }

  #insert(number: number, token: Token): void {
    const at = number - this.#parsed;
    this.#queue.splice(Math.max(0, Math.min(at, this.#queue.length)), 0, token);
  }

  #saveSimpleKey(): void {
    const required = this.#flowLevel === 0 && this.#indent === this.mark.column;
    if (!this.#simpleKeyAllowed) return;
    this.#removeSimpleKey();
    this.#simpleKeys[this.#simpleKeys.length - 1] = { possible: true, required, tokenNumber: this.#parsed + this.#queue.length, mark: this.#here() };
  }

  #removeSimpleKey(): void {
    const k = this.#simpleKeys[this.#simpleKeys.length - 1]!;
    if (k.possible && k.required) this.#fail("could not find expected ':'");
    k.possible = false;
  }

  #rollIndent(column: number, number: number | undefined, type: TokenType, mark: Mark): void {
    if (this.#flowLevel > 0 || this.#indent >= column) return;
    this.#indents.push(this.#indent);
    this.#indent = column;
    if (this.#indents.length > MAX_DEPTH) this.#fail(`exceeded max depth of ${MAX_DEPTH}`);
    const token: Token = { type, mark };
    if (number === undefined) this.#queue.push(token);
    else this.#insert(number, token);
  }

  #unrollIndent(column: number): void {
    if (this.#flowLevel > 0) return;
    while (this.#indent > column) {
      this.#add('BLOCK-END', this.#here());
      this.#indent = this.#indents.pop()!;
    }
  }

  #fetchNext(): void {
    if (!this.#started) {
      this.#started = true;
      this.#simpleKeys.push({ possible: false, required: false, tokenNumber: 0, mark: this.#here() });
      this.#simpleKeyAllowed = true;
      this.#add('STREAM-START', this.#here());
      return;
    }
    if (this.#ended) {
      this.#add('STREAM-END', this.#here());
      return;
    }
    this.#scanToNextToken();
    this.#unrollIndent(this.mark.column);
    const c = this.#ch();
    const col0 = this.mark.column === 0;
    if (isZ(c)) return this.#fetchStreamEnd();
    if (col0 && c === '%') return this.#fetchDirective();
    if (col0 && isBlankZ(this.#ch(3)) && ((c === '-' && this.#ch(1) === '-' && this.#ch(2) === '-') || (c === '.' && this.#ch(1) === '.' && this.#ch(2) === '.'))) {
      return this.#fetchDocumentIndicator(c === '-' ? 'DOCUMENT-START' : 'DOCUMENT-END');
    }
    if (c === '[' || c === '{') return this.#fetchFlowStart(c === '[' ? 'FLOW-SEQUENCE-START' : 'FLOW-MAPPING-START');
    if (c === ']' || c === '}') return this.#fetchFlowEnd(c === ']' ? 'FLOW-SEQUENCE-END' : 'FLOW-MAPPING-END');
    if (c === ',') return this.#fetchFlowEntry();
    if (c === '-' && isBlankZ(this.#ch(1))) return this.#fetchBlockEntry();
    if (c === '?' && (this.#flowLevel > 0 || isBlankZ(this.#ch(1)))) return this.#fetchKey();
    if (c === ':' && (this.#flowLevel > 0 || isBlankZ(this.#ch(1)))) return this.#fetchValue();
    if (c === '*' || c === '&') return this.#fetchAnchor(c === '*' ? 'ALIAS' : 'ANCHOR');
    if (c === '!') return this.#fetchTag();
    if ((c === '|' || c === '>') && this.#flowLevel === 0) return this.#fetchBlockScalar();
    if (c === "'" || c === '"') return this.#fetchQuoted(c === "'");
    const indicator = isBlankZ(c) || '-?:,[]{}#&*!|>\'"%@`'.includes(c!);
    if (!indicator || (c === '-' && !isBlank(this.#ch(1))) || (this.#flowLevel === 0 && (c === '?' || c === ':') && !isBlankZ(this.#ch(1)))) {
      return this.#fetchPlain();
    }
    this.#fail('found character that cannot start any token');
  }

  #scanToNextToken(): void {
    for (;;) {
      if (this.mark.column === 0 && this.#ch() === '\ufeff') this.#skip();
      while (this.#ch() === ' ' || ((this.#flowLevel > 0 || !this.#simpleKeyAllowed) && this.#ch() === '\t')) this.#skip();
      if (this.#ch() === '#') while (!isBreakZ(this.#ch())) this.#skip();
      if (!isBreak(this.#ch())) return;
      this.#skipLine();
      if (this.#flowLevel === 0) this.#simpleKeyAllowed = true;
    }
  }

  #fetchStreamEnd(): void {
    if (this.mark.column !== 0) {
      this.mark.column = 0;
      this.mark.line++;
    }
    this.#unrollIndent(-1);
    this.#removeSimpleKey();
    this.#simpleKeyAllowed = false;
    this.#ended = true;
    this.#add('STREAM-END', this.#here());
  }

  #fetchDirective(): void {
    this.#unrollIndent(-1);
    this.#removeSimpleKey();
    this.#simpleKeyAllowed = false;
    const mark = this.#here();
    this.#skip();
    let name = '';
    while (isAlpha(this.#ch())) {
      name += this.#ch();
      this.#skip();
    }
    let rest = '';
    while (!isBreakZ(this.#ch())) {
      rest += this.#ch();
      this.#skip();
    }
    const words = rest.trim().split(/[ \t]+/);
    if (name === 'YAML') this.#add('DIRECTIVE', mark, { name, major: Number(words[0]?.split('.')[0]) });
    else if (name === 'TAG') this.#add('DIRECTIVE', mark, { name, handle: words[0] ?? '' });
    // Other directives are skipped by libyaml too (a warning, no token).
  }

  #fetchDocumentIndicator(type: TokenType): void {
    this.#unrollIndent(-1);
    this.#removeSimpleKey();
    this.#simpleKeyAllowed = false;
    const mark = this.#here();
    this.#skip();
    this.#skip();
    this.#skip();
    this.#add(type, mark);
  }

  #fetchFlowStart(type: TokenType): void {
    this.#saveSimpleKey();
    this.#simpleKeys.push({ possible: false, required: false, tokenNumber: this.#parsed + this.#queue.length, mark: this.#here() });
    this.#flowLevel++;
    if (this.#flowLevel > MAX_DEPTH) this.#fail(`exceeded max depth of ${MAX_DEPTH}`);
    this.#simpleKeyAllowed = true;
    const mark = this.#here();
    this.#skip();
    this.#add(type, mark);
  }

  #fetchFlowEnd(type: TokenType): void {
    this.#removeSimpleKey();
    if (this.#flowLevel > 0) {
      this.#flowLevel--;
      this.#simpleKeys.pop();
    }
    this.#simpleKeyAllowed = false;
    const mark = this.#here();
    this.#skip();
    this.#add(type, mark);
  }

  #fetchFlowEntry(): void {
    this.#removeSimpleKey();
    this.#simpleKeyAllowed = true;
    const mark = this.#here();
    this.#skip();
    this.#add('FLOW-ENTRY', mark);
  }

  #fetchBlockEntry(): void {
    if (this.#flowLevel === 0) {
      if (!this.#simpleKeyAllowed) this.#fail('block sequence entries are not allowed in this context');
      this.#rollIndent(this.mark.column, undefined, 'BLOCK-SEQUENCE-START', this.#here());
    }
    this.#removeSimpleKey();
    this.#simpleKeyAllowed = true;
    const mark = this.#here();
    this.#skip();
    this.#add('BLOCK-ENTRY', mark);
  }

  #fetchKey(): void {
    if (this.#flowLevel === 0) {
      if (!this.#simpleKeyAllowed) this.#fail('mapping keys are not allowed in this context');
      this.#rollIndent(this.mark.column, undefined, 'BLOCK-MAPPING-START', this.#here());
    }
    this.#removeSimpleKey();
    this.#simpleKeyAllowed = this.#flowLevel === 0;
    const mark = this.#here();
    this.#skip();
    this.#add('KEY', mark);
  }

  #fetchValue(): void {
    const k = this.#simpleKeys[this.#simpleKeys.length - 1]!;
    if (this.#keyStillValid(k)) {
      this.#insert(k.tokenNumber, { type: 'KEY', mark: k.mark });
      this.#rollIndent(k.mark.column, k.tokenNumber, 'BLOCK-MAPPING-START', k.mark);
      k.possible = false;
      this.#simpleKeyAllowed = false;
    } else {
      if (this.#flowLevel === 0) {
        if (!this.#simpleKeyAllowed) this.#fail('mapping values are not allowed in this context');
        this.#rollIndent(this.mark.column, undefined, 'BLOCK-MAPPING-START', this.#here());
      }
      this.#simpleKeyAllowed = this.#flowLevel === 0;
    }
    const mark = this.#here();
    this.#skip();
    this.#add('VALUE', mark);
  }

  #fetchAnchor(type: 'ALIAS' | 'ANCHOR'): void {
    this.#saveSimpleKey();
    this.#simpleKeyAllowed = false;
    const mark = this.#here();
    this.#skip();
    let n = 0;
    while (isAlpha(this.#ch())) {
      this.#skip();
      n++;
    }
    const c = this.#ch();
    if (n === 0 || !(isBlankZ(c) || '?:,]}%@`'.includes(c!))) this.#fail('did not find expected alphabetic or numeric character');
    this.#add(type, mark);
  }

  #fetchTag(): void {
    this.#saveSimpleKey();
    this.#simpleKeyAllowed = false;
    const mark = this.#here();
    let handle = '!';
    if (this.#ch(1) === '<') {
      this.#skip();
      this.#skip();
      while (URI_CHAR.test(this.#ch() ?? '') && this.#ch() !== '>') this.#skip();
      if (this.#ch() !== '>') this.#fail("did not find the expected '>'");
      this.#skip();
      handle = '';
    } else {
      this.#skip();
      let word = '';
      while (isAlpha(this.#ch())) {
        word += this.#ch();
        this.#skip();
      }
      if (this.#ch() === '!') {
        this.#skip();
        handle = `!${word}!`;
      }
      while (URI_CHAR.test(this.#ch() ?? '') && !(this.#flowLevel > 0 && ',[]'.includes(this.#ch()!))) this.#skip();
    }
    if (!isBlankZ(this.#ch()) && !(this.#flowLevel > 0 && this.#ch() === ',')) this.#fail('did not find expected whitespace or line break');
    this.#add('TAG', mark, { handle });
  }

  #fetchBlockScalar(): void {
    this.#removeSimpleKey();
    this.#simpleKeyAllowed = true;
    const mark = this.#here();
    this.#skip();
    let increment = 0;
    for (let i = 0; i < 2; i++) {
      const c = this.#ch();
      if (c === '+' || c === '-') this.#skip();
      else if (c !== undefined && c >= '0' && c <= '9') {
        if (c === '0') this.#fail('found an indentation indicator equal to 0');
        increment = Number(c);
        this.#skip();
      }
    }
    while (isBlank(this.#ch())) this.#skip();
    if (this.#ch() === '#') while (!isBreakZ(this.#ch())) this.#skip();
    if (!isBreakZ(this.#ch())) this.#fail('did not find expected comment or line break');
    if (isBreak(this.#ch())) this.#skipLine();
    let indent = increment ? (this.#indent >= 0 ? this.#indent + increment : increment) : 0;
    indent = this.#blockScalarBreaks(indent);
    while (this.mark.column === indent && !isZ(this.#ch())) {
      while (!isBreakZ(this.#ch())) this.#skip();
      if (isZ(this.#ch())) break;
      this.#skipLine();
      this.#blockScalarBreaks(indent);
    }
    this.#add('SCALAR', mark);
  }

  /** Empty lines before and inside a block scalar; detects its indentation when it has none yet. */
  #blockScalarBreaks(indent: number): number {
    let max = 0;
    for (;;) {
      while ((indent === 0 || this.mark.column < indent) && this.#ch() === ' ') this.#skip();
      if (this.mark.column > max) max = this.mark.column;
      if ((indent === 0 || this.mark.column < indent) && this.#ch() === '\t') this.#fail('found a tab character where an indentation space is expected');
      if (!isBreak(this.#ch())) break;
      this.#skipLine();
    }
    if (indent === 0) indent = Math.max(max, this.#indent + 1, 1);
    return indent;
  }

  #fetchQuoted(single: boolean): void {
    this.#saveSimpleKey();
    this.#simpleKeyAllowed = false;
    const mark = this.#here();
    this.#skip();
    for (;;) {
      if (this.mark.column === 0 && isBlankZ(this.#ch(3)) && ((this.#ch() === '-' && this.#ch(1) === '-' && this.#ch(2) === '-') || (this.#ch() === '.' && this.#ch(1) === '.' && this.#ch(2) === '.'))) {
        this.#fail('found unexpected document indicator');
      }
      if (isZ(this.#ch())) this.#fail('found unexpected end of stream');
      while (!isBlankZ(this.#ch())) {
        const c = this.#ch();
        if (single && c === "'" && this.#ch(1) === "'") {
          this.#skip();
          this.#skip();
        } else if (c === (single ? "'" : '"')) break;
        else if (!single && c === '\\' && isBreak(this.#ch(1))) {
          this.#skip();
          this.#skipLine();
          break;
        } else if (!single && c === '\\') {
          const code = this.#ch(1);
          const width = code === 'x' ? 2 : code === 'u' ? 4 : code === 'U' ? 8 : 0;
          if (width === 0 && !'0abt\tnvfre "/\\N_LP'.includes(code ?? '~')) this.#fail('found unknown escape character');
          this.#skip();
          this.#skip();
          if (width > 0) {
            let hex = '';
            for (let i = 0; i < width; i++) {
              if (!isHex(this.#ch(i))) this.#fail('did not find expected hexdecimal number');
              hex += this.#ch(i);
            }
            const v = parseInt(hex, 16);
            if ((v >= 0xd800 && v <= 0xdfff) || v > 0x10ffff) this.#fail('found invalid Unicode character escape code');
            for (let i = 0; i < width; i++) this.#skip();
          }
        } else this.#skip();
      }
      if (this.#ch() === (single ? "'" : '"')) break;
      while (isBlank(this.#ch()) || isBreak(this.#ch())) {
        if (isBlank(this.#ch())) this.#skip();
        else this.#skipLine();
      }
    }
    this.#skip();
    this.#add('SCALAR', mark);
  }

  #fetchPlain(): void {
    this.#saveSimpleKey();
    this.#simpleKeyAllowed = false;
    const mark = this.#here();
    const indent = this.#indent + 1;
    let leadingBlanks = false;
    for (;;) {
      const docIndicator = this.mark.column === 0 && isBlankZ(this.#ch(3)) && ((this.#ch() === '-' && this.#ch(1) === '-' && this.#ch(2) === '-') || (this.#ch() === '.' && this.#ch(1) === '.' && this.#ch(2) === '.'));
      if (docIndicator || this.#ch() === '#') break;
      while (!isBlankZ(this.#ch())) {
        const c = this.#ch();
        if ((c === ':' && isBlankZ(this.#ch(1))) || (this.#flowLevel > 0 && ',?[]{}'.includes(c!))) break;
        leadingBlanks = false;
        this.#skip();
      }
      if (!(isBlank(this.#ch()) || isBreak(this.#ch()))) break;
      while (isBlank(this.#ch()) || isBreak(this.#ch())) {
        if (isBlank(this.#ch())) {
          if (leadingBlanks && this.mark.column < indent && this.#ch() === '\t') {
            throw new SyntaxProblem('scanner', 'found a tab character that violates indentation', this.#here());
          }
          this.#skip();
        } else {
          this.#skipLine();
          leadingBlanks = true;
        }
      }
      if (this.#flowLevel === 0 && this.mark.column < indent) break;
    }
    this.#add('SCALAR', mark);
    if (leadingBlanks) this.#simpleKeyAllowed = true;
  }
}

/** libyaml's parser over the first document: only what decides which problem it reports, and where. */
class Parser {
  readonly #s: Scanner;
  readonly #tagHandles = new Set(['!', '!!']);

  constructor(text: string) {
    this.#s = new Scanner(text);
  }

  #fail(problem: string, t: Token): never {
    throw new SyntaxProblem('parser', problem, t.mark);
  }

  firstDocument(): void {
    this.#s.next(); // STREAM-START
    let t = this.#s.peek();
    if (t.type === 'STREAM-END') return;
    if (t.type !== 'DIRECTIVE' && t.type !== 'DOCUMENT-START') {
      this.#node(true, false);
    } else {
      let seenYaml = false;
      const declared = new Set<string>();
      while (t.type === 'DIRECTIVE') {
        if (t.name === 'YAML') {
          if (seenYaml) this.#fail('found duplicate %YAML directive', t);
          seenYaml = true;
          if (t.major !== 1) this.#fail('found incompatible YAML document', t);
        } else if (t.handle !== undefined) {
          if (declared.has(t.handle)) this.#fail('found duplicate %TAG directive', t);
          declared.add(t.handle);
          this.#tagHandles.add(t.handle);
        }
        this.#s.next();
        t = this.#s.peek();
      }
      if (t.type !== 'DOCUMENT-START') this.#fail('did not find expected <document start>', t);
      this.#s.next();
      const c = this.#s.peek();
      if (!['DIRECTIVE', 'DOCUMENT-START', 'DOCUMENT-END', 'STREAM-END'].includes(c.type)) this.#node(true, false);
    }
    // Document end: libyaml looks at the token after the root node before the decoder stops.
    this.#s.peek();
  }

  #node(block: boolean, indentless: boolean): void {
    let t = this.#s.peek();
    if (t.type === 'ALIAS') {
      this.#s.next();
      return;
    }
    let props = false;
    for (let i = 0; i < 2 && (t.type === 'ANCHOR' || t.type === 'TAG'); i++) {
      if (t.type === 'TAG' && t.handle && !this.#tagHandles.has(t.handle)) this.#fail('found undefined tag handle', t);
      props = true;
      this.#s.next();
      t = this.#s.peek();
    }
    if (indentless && t.type === 'BLOCK-ENTRY') return this.#indentlessSequence();
    if (t.type === 'SCALAR') {
      this.#s.next();
      return;
    }
    if (t.type === 'FLOW-SEQUENCE-START') return this.#flowCollection('FLOW-SEQUENCE-END');
    if (t.type === 'FLOW-MAPPING-START') return this.#flowCollection('FLOW-MAPPING-END');
    if (block && t.type === 'BLOCK-SEQUENCE-START') return this.#blockSequence();
    if (block && t.type === 'BLOCK-MAPPING-START') return this.#blockMapping();
    if (props) return;
    this.#fail('did not find expected node content', t);
  }

  #blockSequence(): void {
    this.#s.next();
    for (;;) {
      const t = this.#s.peek();
      if (t.type === 'BLOCK-END') {
        this.#s.next();
        return;
      }
      if (t.type !== 'BLOCK-ENTRY') this.#fail("did not find expected '-' indicator", t);
      this.#s.next();
      const n = this.#s.peek();
      if (n.type !== 'BLOCK-ENTRY' && n.type !== 'BLOCK-END') this.#node(true, false);
    }
  }

  #indentlessSequence(): void {
    for (;;) {
      const t = this.#s.peek();
      if (t.type !== 'BLOCK-ENTRY') return;
      this.#s.next();
      const n = this.#s.peek();
      if (!['BLOCK-ENTRY', 'KEY', 'VALUE', 'BLOCK-END'].includes(n.type)) this.#node(true, false);
    }
  }

  #blockMapping(): void {
    this.#s.next();
    for (;;) {
      let t = this.#s.peek();
      if (t.type === 'KEY') {
        this.#s.next();
        const n = this.#s.peek();
        if (!['KEY', 'VALUE', 'BLOCK-END'].includes(n.type)) this.#node(true, true);
      } else if (t.type === 'BLOCK-END') {
        this.#s.next();
        return;
      } else this.#fail('did not find expected key', t); // go-yaml wants a KEY first, also before a bare ':'
      t = this.#s.peek();
      if (t.type === 'VALUE') {
        this.#s.next();
        const n = this.#s.peek();
        if (!['KEY', 'VALUE', 'BLOCK-END'].includes(n.type)) this.#node(true, true);
      }
    }
  }

  /**
   * A flow sequence (`[a, b: c]`, a single-pair mapping allowed as an entry) or flow mapping (`{a: 1, b}`):
   * libyaml's flow_sequence_entry and flow_mapping_key states follow the same steps and differ only in
   * the closing token and the words of the missing-`,` error.
   */
  #flowCollection(end: 'FLOW-SEQUENCE-END' | 'FLOW-MAPPING-END'): void {
    const missingComma = end === 'FLOW-SEQUENCE-END' ? "did not find expected ',' or ']'" : "did not find expected ',' or '}'";
    this.#s.next();
    for (let first = true; ; first = false) {
      let t = this.#s.peek();
      if (t.type !== end) {
        if (!first) {
          if (t.type !== 'FLOW-ENTRY') this.#fail(missingComma, t);
          this.#s.next();
          t = this.#s.peek();
        }
        if (t.type === 'KEY') {
          this.#s.next();
          const k = this.#s.peek();
          if (!['VALUE', 'FLOW-ENTRY', end].includes(k.type)) this.#node(false, false);
          const v = this.#s.peek();
          if (v.type === 'VALUE') {
            this.#s.next();
            const n = this.#s.peek();
            if (n.type !== 'FLOW-ENTRY' && n.type !== end) this.#node(false, false);
          }
          continue;
        }
        if (t.type !== end) {
          this.#node(false, false);
          continue;
        }
      }
      this.#s.next();
      return;
    }
  }
}

/**
 * go-yaml's text for the first syntax problem of `text`'s first document (`line N: problem` or
 * `problem`), or undefined when this model of libyaml finds none.
 */
export function goYamlSyntaxError(text: string): string | undefined {
  try {
    new Parser(text).firstDocument();
    return undefined;
  } catch (e) {
    // Anything else (a nesting deeper than this recursion can follow) leaves the yaml package's text.
    if (!(e instanceof SyntaxProblem)) return undefined;
    const line = e.at.line === 0 ? 0 : e.kind === 'scanner' ? e.at.line + 1 : e.at.line;
    return line === 0 ? e.problem : `line ${line}: ${e.problem}`;
  }
}
