/**
 * Lexer and parser with Go text/template's grammar, positions and error messages. All text here is a
 * byte string (see core/go/utf8.ts) so positions are byte offsets, as Go reports them.
 */
import { decodeRune } from '../../core/go/utf8.ts';
import { TemplateParseError } from './errors.ts';
import { parseGoFloat, parseGoInt, quote, SyntaxErr, unquote, unquoteChar } from '../../core/go/strconv.ts';

// ---------------------------------------------------------------------------------------------- lexer

const enum T {
  Error, Bool, Char, CharConstant, Comment, Complex, Assign, Declare, EOF, Field, Identifier, LeftDelim,
  LeftParen, Number, Pipe, RawString, RightDelim, RightParen, Space, String, Text, Variable,
  Keyword, Block, Break, Continue, Dot, Define, Else, End, If, Nil, Range, Template, With,
}

const keywords: Record<string, T> = {
  '.': T.Dot, block: T.Block, break: T.Break, continue: T.Continue, define: T.Define, else: T.Else,
  end: T.End, if: T.If, range: T.Range, nil: T.Nil, template: T.Template, with: T.With,
};

interface Item {
  typ: T;
  pos: number;
  val: string;
  line: number;
}

function itemString(i: Item): string {
  if (i.typ === T.EOF) return 'EOF';
  if (i.typ === T.Error) return i.val;
  if (i.typ > T.Keyword) return `<${i.val}>`;
  if (i.val.length > 10) return quote(truncRunes(i.val, 10)) + '...';
  return quote(i.val);
}

function truncRunes(s: string, n: number): string {
  let i = 0;
  for (let k = 0; k < n && i < s.length; k++) i += decodeRune(s, i)[1];
  return s.slice(0, i);
}

const EOF = -1;
const isSpace = (r: number) => r === 0x20 || r === 0x09 || r === 0x0d || r === 0x0a;
const letterRe = /^[\p{L}\p{Nd}]$/u;
function isAlphaNumeric(r: number): boolean {
  if (r === 0x5f) return true;
  if (r < 0) return false;
  if (r < 0x80) return (r >= 48 && r <= 57) || (r >= 65 && r <= 90) || (r >= 97 && r <= 122);
  return letterRe.test(String.fromCodePoint(r));
}

/** `%#U`: U+0023 '#'. */
export function formatSharpU(r: number): string {
  const hex = r.toString(16).toUpperCase().padStart(4, '0');
  let printable = r >= 0x20 && r !== 0x7f;
  if (r >= 0x80) printable = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(String.fromCodePoint(r)) || r === 0xfffd;
  if (r === 0xfffd && printable) return `U+${hex} '\ufffd'`.replace('\ufffd', '\xef\xbf\xbd');
  if (!printable) return `U+${hex}`;
  const ch = r < 0x80 ? String.fromCharCode(r) : encode(r);
  return `U+${hex} '${ch}'`;
}
function encode(r: number): string {
  const b = new TextEncoder().encode(String.fromCodePoint(r));
  return String.fromCharCode(...b);
}

class Lexer {
  private pos = 0;
  private start = 0;
  private atEOF = false;
  private parenDepth = 0;
  private readonly items: Item[] = [];
  private done = false;
  private state: (() => (() => unknown) | null) | null;

  constructor(
    readonly input: string,
    readonly leftDelim: string,
    readonly rightDelim: string,
  ) {
    this.state = this.lexText;
  }

  private linePos = 0;
  private lineNo = 1;
  /** 1 + newlines before pos; positions asked for only grow, except after an error (then rescan). */
  private lineAt(pos: number): number {
    if (pos < this.linePos) {
      this.linePos = 0;
      this.lineNo = 1;
    }
    for (let i = this.linePos; i < pos; i++) if (this.input.charCodeAt(i) === 10) this.lineNo++;
    this.linePos = pos;
    return this.lineNo;
  }

  nextItem(): Item {
    while (this.items.length === 0) {
      if (this.done) return { typ: T.EOF, pos: this.pos, val: '', line: this.lineAt(this.pos) };
      const st = this.state;
      if (!st) {
        this.done = true;
        continue;
      }
      this.state = st.call(this) as typeof this.state;
    }
    return this.items.shift()!;
  }

  private width = 0;
  private next(): number {
    if (this.pos >= this.input.length) {
      this.atEOF = true;
      return EOF;
    }
    const [r, w] = decodeRune(this.input, this.pos);
    this.pos += w;
    this.width = w;
    return r;
  }
  private peek(): number {
    const r = this.next();
    this.backup();
    return r;
  }
  private backup(): void {
    if (!this.atEOF && this.pos > 0) this.pos -= this.width;
  }
  private emit(t: T): void {
    this.items.push({ typ: t, pos: this.start, val: this.input.slice(this.start, this.pos), line: this.lineAt(this.start) });
    this.start = this.pos;
  }
  private ignore(): void {
    this.start = this.pos;
  }
  private accept(valid: string): boolean {
    const r = this.next();
    if (r >= 0 && valid.includes(String.fromCharCode(r)) && r < 0x80) return true;
    this.backup();
    return false;
  }
  private acceptRun(valid: string): void {
    for (;;) {
      const r = this.next();
      if (!(r >= 0 && r < 0x80 && valid.includes(String.fromCharCode(r)))) break;
    }
    this.backup();
  }
  private errorf(msg: string): null {
    this.items.push({ typ: T.Error, pos: this.start, val: msg, line: this.lineAt(this.start) });
    this.start = 0;
    this.pos = 0;
    this.done = true;
    return null;
  }

  private hasLeftTrimMarker(p: number): boolean {
    return this.input.length - p >= 2 && this.input[p] === '-' && isSpace(this.input.charCodeAt(p + 1));
  }
  private hasRightTrimMarker(p: number): boolean {
    return this.input.length - p >= 2 && isSpace(this.input.charCodeAt(p)) && this.input[p + 1] === '-';
  }
  private atRightDelim(): [boolean, boolean] {
    if (this.hasRightTrimMarker(this.pos) && this.input.startsWith(this.rightDelim, this.pos + 2)) return [true, true];
    if (this.input.startsWith(this.rightDelim, this.pos)) return [true, false];
    return [false, false];
  }
  private atTerminator(): boolean {
    const r = this.peek();
    if (isSpace(r)) return true;
    switch (r) {
      case EOF: case 0x2e: case 0x2c: case 0x7c: case 0x3a: case 0x29: case 0x28:
        return true;
    }
    return this.input.startsWith(this.rightDelim, this.pos);
  }

  private lexText(): (() => unknown) | null {
    const x = this.input.indexOf(this.leftDelim, this.pos);
    if (x >= 0) {
      if (x > this.pos) {
        this.pos = x;
        let trim = 0;
        const delimEnd = this.pos + this.leftDelim.length;
        if (this.hasLeftTrimMarker(delimEnd)) {
          let e = this.pos;
          while (e > this.start && isSpace(this.input.charCodeAt(e - 1))) e--;
          trim = this.pos - e;
        }
        this.pos -= trim;
        const val = this.input.slice(this.start, this.pos);
        const item: Item = { typ: T.Text, pos: this.start, val, line: this.lineAt(this.start) };
        this.start = this.pos;
        this.pos += trim;
        this.ignore();
        if (val.length > 0) this.items.push(item);
      }
      return this.lexLeftDelim;
    }
    this.pos = this.input.length;
    if (this.pos > this.start) {
      this.emit(T.Text);
      return this.lexEOF;
    }
    this.emit(T.EOF);
    return null;
  }
  private lexEOF(): null {
    this.emit(T.EOF);
    return null;
  }

  private lexLeftDelim(): (() => unknown) | null {
    this.pos += this.leftDelim.length;
    const trim = this.hasLeftTrimMarker(this.pos);
    const after = trim ? 2 : 0;
    if (this.input.startsWith('/*', this.pos + after)) {
      this.pos += after;
      this.ignore();
      return this.lexComment;
    }
    this.emit(T.LeftDelim);
    this.pos += after;
    this.ignore();
    this.parenDepth = 0;
    return this.lexInsideAction;
  }

  private lexComment(): (() => unknown) | null {
    this.pos += 2;
    const x = this.input.indexOf('*/', this.pos);
    if (x < 0) return this.errorf('unclosed comment');
    this.pos = x + 2;
    const [delim, trim] = this.atRightDelim();
    if (!delim) return this.errorf('comment ends before closing delimiter');
    // text/template parses without comments: the lexer drops them.
    if (trim) this.pos += 2;
    this.pos += this.rightDelim.length;
    if (trim) while (this.pos < this.input.length && isSpace(this.input.charCodeAt(this.pos))) this.pos++;
    this.ignore();
    return this.lexText;
  }

  private lexRightDelim(): (() => unknown) | null {
    const [, trim] = this.atRightDelim();
    if (trim) {
      this.pos += 2;
      this.ignore();
    }
    this.pos += this.rightDelim.length;
    this.emit(T.RightDelim);
    if (trim) {
      while (this.pos < this.input.length && isSpace(this.input.charCodeAt(this.pos))) this.pos++;
      this.ignore();
    }
    return this.lexText;
  }

  private lexInsideAction(): (() => unknown) | null {
    const [delim] = this.atRightDelim();
    if (delim) {
      if (this.parenDepth === 0) return this.lexRightDelim;
      return this.errorf('unclosed left paren');
    }
    const r = this.next();
    if (r === EOF) return this.errorf('unclosed action');
    if (isSpace(r)) {
      this.backup();
      return this.lexSpace;
    }
    switch (r) {
      case 0x3d: this.emit(T.Assign); return this.lexInsideAction;
      case 0x3a:
        if (this.next() !== 0x3d) return this.errorf('expected :=');
        this.emit(T.Declare);
        return this.lexInsideAction;
      case 0x7c: this.emit(T.Pipe); return this.lexInsideAction;
      case 0x22: return this.lexQuote;
      case 0x60: return this.lexRawQuote;
      case 0x24: return this.lexVariable;
      case 0x27: return this.lexChar;
      case 0x28:
        this.emit(T.LeftParen);
        this.parenDepth++;
        return this.lexInsideAction;
      case 0x29:
        this.parenDepth--;
        if (this.parenDepth < 0) return this.errorf('unexpected right paren');
        this.emit(T.RightParen);
        return this.lexInsideAction;
    }
    if (r === 0x2e) {
      if (this.pos < this.input.length) {
        const c = this.input.charCodeAt(this.pos);
        if (c < 48 || c > 57) return this.lexField;
      }
      this.backup();
      return this.lexNumber;
    }
    if (r === 0x2b || r === 0x2d || (r >= 48 && r <= 57)) {
      this.backup();
      return this.lexNumber;
    }
    if (isAlphaNumeric(r)) {
      this.backup();
      return this.lexIdentifier;
    }
    if (r < 0x80 && r >= 0x20 && r !== 0x7f) {
      this.emit(T.Char);
      return this.lexInsideAction;
    }
    return this.errorf(`unrecognized character in action: ${formatSharpU(r)}`);
  }

  private lexSpace(): (() => unknown) | null {
    let n = 0;
    for (;;) {
      const r = this.peek();
      if (!isSpace(r)) break;
      this.next();
      n++;
    }
    if (this.hasRightTrimMarker(this.pos - 1) && this.input.startsWith(this.rightDelim, this.pos - 1 + 2)) {
      this.backup();
      if (n === 1) return this.lexRightDelim;
    }
    this.emit(T.Space);
    return this.lexInsideAction;
  }

  private lexIdentifier(): (() => unknown) | null {
    for (;;) {
      const r = this.next();
      if (isAlphaNumeric(r)) continue;
      this.backup();
      const word = this.input.slice(this.start, this.pos);
      if (!this.atTerminator()) return this.errorf(`bad character ${formatSharpU(r)}`);
      const kw = keywords[word];
      if (kw !== undefined && kw > T.Keyword) this.emit(kw);
      else if (word[0] === '.') this.emit(T.Field);
      else if (word === 'true' || word === 'false') this.emit(T.Bool);
      else this.emit(T.Identifier);
      return this.lexInsideAction;
    }
  }

  private lexField(): (() => unknown) | null {
    return this.lexFieldOrVariable(T.Field);
  }
  private lexVariable(): (() => unknown) | null {
    return this.lexFieldOrVariable(T.Variable);
  }
  private lexFieldOrVariable(typ: T): (() => unknown) | null {
    if (this.atTerminator()) {
      this.emit(typ === T.Variable ? T.Variable : T.Dot);
      return this.lexInsideAction;
    }
    let r: number;
    for (;;) {
      r = this.next();
      if (!isAlphaNumeric(r)) {
        this.backup();
        break;
      }
    }
    if (!this.atTerminator()) return this.errorf(`bad character ${formatSharpU(r)}`);
    this.emit(typ);
    return this.lexInsideAction;
  }

  private lexChar(): (() => unknown) | null {
    for (;;) {
      let r = this.next();
      if (r === 0x5c) {
        r = this.next();
        if (r !== EOF && r !== 10) continue;
        return this.errorf('unterminated character constant');
      }
      if (r === EOF || r === 10) return this.errorf('unterminated character constant');
      if (r === 0x27) break;
    }
    this.emit(T.CharConstant);
    return this.lexInsideAction;
  }

  private lexNumber(): (() => unknown) | null {
    if (!this.scanNumber()) return this.errorf(`bad number syntax: ${quote(this.input.slice(this.start, this.pos))}`);
    const sign = this.peek();
    if (sign === 0x2b || sign === 0x2d) {
      if (!this.scanNumber() || this.input[this.pos - 1] !== 'i') {
        return this.errorf(`bad number syntax: ${quote(this.input.slice(this.start, this.pos))}`);
      }
      this.emit(T.Complex);
    } else this.emit(T.Number);
    return this.lexInsideAction;
  }
  private scanNumber(): boolean {
    this.accept('+-');
    let digits = '0123456789_';
    if (this.accept('0')) {
      if (this.accept('xX')) digits = '0123456789abcdefABCDEF_';
      else if (this.accept('oO')) digits = '01234567_';
      else if (this.accept('bB')) digits = '01_';
    }
    this.acceptRun(digits);
    if (this.accept('.')) this.acceptRun(digits);
    if (digits.length === 11 && this.accept('eE')) {
      this.accept('+-');
      this.acceptRun('0123456789_');
    }
    if (digits.length === 23 && this.accept('pP')) {
      this.accept('+-');
      this.acceptRun('0123456789_');
    }
    this.accept('i');
    if (isAlphaNumeric(this.peek())) {
      this.next();
      return false;
    }
    return true;
  }

  private lexQuote(): (() => unknown) | null {
    for (;;) {
      let r = this.next();
      if (r === 0x5c) {
        r = this.next();
        if (r !== EOF && r !== 10) continue;
        return this.errorf('unterminated quoted string');
      }
      if (r === EOF || r === 10) return this.errorf('unterminated quoted string');
      if (r === 0x22) break;
    }
    this.emit(T.String);
    return this.lexInsideAction;
  }
  private lexRawQuote(): (() => unknown) | null {
    for (;;) {
      const r = this.next();
      if (r === EOF) return this.errorf('unterminated raw quoted string');
      if (r === 0x60) break;
    }
    this.emit(T.RawString);
    return this.lexInsideAction;
  }
}

// ---------------------------------------------------------------------------------------------- nodes

export type Node =
  | TextNode | ActionNode | CommentNode | ListNode | IfNode | RangeNode | WithNode | TemplateNode | BreakNode
  | ContinueNode | PipeNode | CommandNode | IdentifierNode | VariableNode | DotNode | NilNode | FieldNode
  | ChainNode | BoolNode | NumberNode | StringNode | EndNode | ElseNode;

export interface TextNode { kind: 'text'; pos: number; text: string }
export interface CommentNode { kind: 'comment'; pos: number; text: string }
export interface ActionNode { kind: 'action'; pos: number; line: number; pipe: PipeNode }
export interface ListNode { kind: 'list'; pos: number; nodes: Node[] }
export interface BranchNode { pos: number; line: number; pipe: PipeNode; list: ListNode; elseList: ListNode | null }
export interface IfNode extends BranchNode { kind: 'if' }
export interface RangeNode extends BranchNode { kind: 'range' }
export interface WithNode extends BranchNode { kind: 'with' }
export interface TemplateNode { kind: 'template'; pos: number; line: number; name: string; pipe: PipeNode | null }
export interface BreakNode { kind: 'break'; pos: number; line: number }
export interface ContinueNode { kind: 'continue'; pos: number; line: number }
export interface PipeNode { kind: 'pipe'; pos: number; line: number; isAssign: boolean; decl: VariableNode[]; cmds: CommandNode[] }
export interface CommandNode { kind: 'command'; pos: number; args: Node[] }
export interface IdentifierNode { kind: 'identifier'; pos: number; ident: string }
export interface VariableNode { kind: 'variable'; pos: number; ident: string[] }
export interface DotNode { kind: 'dot'; pos: number }
export interface NilNode { kind: 'nil'; pos: number }
export interface FieldNode { kind: 'field'; pos: number; ident: string[] }
export interface ChainNode { kind: 'chain'; pos: number; node: Node; field: string[] }
export interface BoolNode { kind: 'bool'; pos: number; value: boolean }
export interface NumberNode {
  kind: 'number'; pos: number; text: string;
  isInt: boolean; isUint: boolean; isFloat: boolean; isComplex: boolean;
  int64: bigint; uint64: bigint; float64: number;
}
export interface StringNode { kind: 'string'; pos: number; quoted: string; text: string }
export interface EndNode { kind: 'end'; pos: number }
export interface ElseNode { kind: 'else'; pos: number; line: number }

/** Go's Node.String() for every node type (used in error contexts). */
export function nodeString(n: Node): string {
  switch (n.kind) {
    case 'text': return n.text;
    case 'comment': return `{{${n.text}}}`;
    case 'action': return `{{${nodeString(n.pipe)}}}`;
    case 'list': return n.nodes.map(nodeString).join('');
    case 'if': case 'range': case 'with': {
      let s = `{{${n.kind} ${nodeString(n.pipe)}}}${nodeString(n.list)}`;
      if (n.elseList) s += `{{else}}${nodeString(n.elseList)}`;
      return s + '{{end}}';
    }
    case 'template':
      return n.pipe ? `{{template ${quote(n.name)} ${nodeString(n.pipe)}}}` : `{{template ${quote(n.name)}}}`;
    case 'break': return '{{break}}';
    case 'continue': return '{{continue}}';
    case 'pipe': {
      let s = '';
      if (n.decl.length > 0) {
        s = n.decl.map(nodeString).join(', ') + (n.isAssign ? ' = ' : ' := ');
      }
      return s + n.cmds.map(nodeString).join(' | ');
    }
    case 'command':
      return n.args.map((a) => (a.kind === 'pipe' ? `(${nodeString(a)})` : nodeString(a))).join(' ');
    case 'identifier': return n.ident;
    case 'variable': return n.ident.join('.');
    case 'dot': return '.';
    case 'nil': return 'nil';
    case 'field': return n.ident.map((i) => '.' + i).join('');
    case 'chain': {
      const base = n.node.kind === 'pipe' ? `(${nodeString(n.node)})` : nodeString(n.node);
      return base + n.field.map((f) => '.' + f).join('');
    }
    case 'bool': return n.value ? 'true' : 'false';
    case 'number': return n.text;
    case 'string': return n.quoted;
    case 'end': return '{{end}}';
    case 'else': return '{{else}}';
  }
}

// --------------------------------------------------------------------------------------------- parser

export interface Tree {
  name: string;
  root: ListNode;
  /** The whole source text (byte string) the tree was parsed from, for error positions. */
  text: string;
  parseName: string;
}

export interface ParseOptions {
  leftDelim?: string;
  rightDelim?: string;
  hasFunction: (name: string) => boolean;
}

class Parser {
  name: string;
  root!: ListNode;
  private token: Item[] = [null!, null!, null!];
  private peekCount = 0;
  private vars: string[] = ['$'];
  private actionLine = 0;
  private rangeDepth = 0;

  constructor(
    name: string,
    readonly parseName: string,
    readonly lex: Lexer,
    readonly text: string,
    readonly opts: ParseOptions,
    readonly treeSet: Map<string, Tree>,
  ) {
    this.name = name;
  }

  private errorf(msg: string): never {
    throw new TemplateParseError(`template: ${this.parseName}:${this.token[0].line}: ${msg}`);
  }

  private next(): Item {
    if (this.peekCount > 0) this.peekCount--;
    else this.token[0] = this.lex.nextItem();
    return this.token[this.peekCount];
  }
  private backup(): void {
    this.peekCount++;
  }
  private backup2(t1: Item): void {
    this.token[1] = t1;
    this.peekCount = 2;
  }
  private backup3(t2: Item, t1: Item): void {
    this.token[1] = t1;
    this.token[2] = t2;
    this.peekCount = 3;
  }
  private peek(): Item {
    if (this.peekCount > 0) return this.token[this.peekCount - 1];
    this.peekCount = 1;
    this.token[0] = this.lex.nextItem();
    return this.token[0];
  }
  private nextNonSpace(): Item {
    let t: Item;
    do t = this.next();
    while (t.typ === T.Space);
    return t;
  }
  private peekNonSpace(): Item {
    const t = this.nextNonSpace();
    this.backup();
    return t;
  }
  private expect(typ: T, context: string): Item {
    const t = this.nextNonSpace();
    if (t.typ !== typ) this.unexpected(t, context);
    return t;
  }
  private expectOneOf(a: T, b: T, context: string): Item {
    const t = this.nextNonSpace();
    if (t.typ !== a && t.typ !== b) this.unexpected(t, context);
    return t;
  }
  private unexpected(t: Item, context: string): never {
    if (t.typ === T.Error) {
      let extra = '';
      if (this.actionLine !== 0 && this.actionLine !== t.line) {
        extra = ` in action started at ${this.parseName}:${this.actionLine}`;
        if (t.val.endsWith(' action')) extra = extra.slice(' in action'.length);
      }
      this.errorf(`${itemString(t)}${extra}`);
    }
    this.errorf(`unexpected ${itemString(t)} in ${context}`);
  }
  private unquoteOrFail(s: string): string {
    try {
      return unquote(s);
    } catch (e) {
      if (e instanceof SyntaxErr) this.errorf('invalid syntax');
      throw e;
    }
  }

  private add(): void {
    const tree = this.treeSet.get(this.name);
    if (!tree || isEmptyTree(tree.root)) {
      this.treeSet.set(this.name, { name: this.name, root: this.root, text: this.text, parseName: this.parseName });
      return;
    }
    if (!isEmptyTree(this.root)) this.errorf(`template: multiple definition of template ${quote(this.name)}`);
  }

  private sub(name: string): Parser {
    const p = new Parser(name, this.parseName, this.lex, this.text, this.opts, this.treeSet);
    p.token = this.token;
    p.peekCount = this.peekCount;
    return p;
  }
  private adopt(p: Parser): void {
    this.token = p.token;
    this.peekCount = p.peekCount;
  }

  parse(): void {
    this.root = { kind: 'list', pos: this.peek().pos, nodes: [] };
    while (this.peek().typ !== T.EOF) {
      if (this.peek().typ === T.LeftDelim) {
        const delim = this.next();
        if (this.nextNonSpace().typ === T.Define) {
          const d = this.sub('definition');
          d.parseDefinition();
          this.adopt(d);
          continue;
        }
        this.backup2(delim);
      }
      const n = this.textOrAction();
      if (n.kind === 'end' || n.kind === 'else') this.errorf(`unexpected ${nodeString(n)}`);
      else this.root.nodes.push(n);
    }
    this.add();
  }

  private parseDefinition(): void {
    const context = 'define clause';
    const name = this.expectOneOf(T.String, T.RawString, context);
    this.name = this.unquoteOrFail(name.val);
    this.expect(T.RightDelim, context);
    const [list, end] = this.itemList();
    this.root = list;
    if (end.kind !== 'end') this.errorf(`unexpected ${nodeString(end)} in ${context}`);
    this.add();
  }

  private itemList(): [ListNode, Node] {
    const list: ListNode = { kind: 'list', pos: this.peekNonSpace().pos, nodes: [] };
    while (this.peekNonSpace().typ !== T.EOF) {
      const n = this.textOrAction();
      if (n.kind === 'end' || n.kind === 'else') return [list, n];
      list.nodes.push(n);
    }
    this.errorf('unexpected EOF');
  }

  private textOrAction(): Node {
    const t = this.nextNonSpace();
    switch (t.typ) {
      case T.Text:
        return { kind: 'text', pos: t.pos, text: t.val };
      case T.LeftDelim: {
        this.actionLine = t.line;
        try {
          return this.action();
        } finally {
          this.actionLine = 0;
        }
      }
      case T.Comment:
        return { kind: 'comment', pos: t.pos, text: t.val };
      default:
        this.unexpected(t, 'input');
    }
  }

  private action(): Node {
    const t = this.nextNonSpace();
    switch (t.typ) {
      case T.Block: return this.blockControl();
      case T.Break: return this.breakControl(t);
      case T.Continue: return this.continueControl(t);
      case T.Else: return this.elseControl();
      case T.End: return this.endControl();
      case T.If: return this.branch('if');
      case T.Range: return this.branch('range');
      case T.Template: return this.templateControl();
      case T.With: return this.branch('with');
    }
    this.backup();
    const tok = this.peek();
    return { kind: 'action', pos: tok.pos, line: tok.line, pipe: this.pipeline('command', T.RightDelim) };
  }

  private breakControl(t: Item): Node {
    const n = this.nextNonSpace();
    if (n.typ !== T.RightDelim) this.unexpected(n, '{{break}}');
    if (this.rangeDepth === 0) this.errorf('{{break}} outside {{range}}');
    return { kind: 'break', pos: t.pos, line: t.line };
  }
  private continueControl(t: Item): Node {
    const n = this.nextNonSpace();
    if (n.typ !== T.RightDelim) this.unexpected(n, '{{continue}}');
    if (this.rangeDepth === 0) this.errorf('{{continue}} outside {{range}}');
    return { kind: 'continue', pos: t.pos, line: t.line };
  }

  private pipeline(context: string, end: T): PipeNode {
    const tok = this.peekNonSpace();
    const pipe: PipeNode = { kind: 'pipe', pos: tok.pos, line: tok.line, isAssign: false, decl: [], cmds: [] };
    decls: for (;;) {
      const v = this.peekNonSpace();
      if (v.typ === T.Variable) {
        this.next();
        const tokenAfterVariable = this.peek();
        const next = this.peekNonSpace();
        if (next.typ === T.Assign || next.typ === T.Declare) {
          pipe.isAssign = next.typ === T.Assign;
          this.nextNonSpace();
          pipe.decl.push(newVariable(v.pos, v.val));
          this.vars.push(v.val);
        } else if (next.typ === T.Char && next.val === ',') {
          this.nextNonSpace();
          pipe.decl.push(newVariable(v.pos, v.val));
          this.vars.push(v.val);
          if (context === 'range' && pipe.decl.length < 2) {
            const p = this.peekNonSpace().typ;
            if (p === T.Variable || p === T.RightDelim || p === T.RightParen) continue decls;
            this.errorf('range can only initialize variables');
          }
          this.errorf(`too many declarations in ${context}`);
        } else if (tokenAfterVariable.typ === T.Space) {
          this.backup3(v, tokenAfterVariable);
        } else {
          this.backup2(v);
        }
      }
      break;
    }
    for (;;) {
      const t = this.nextNonSpace();
      if (t.typ === end) {
        this.checkPipeline(pipe, context);
        return pipe;
      }
      switch (t.typ) {
        case T.Bool: case T.CharConstant: case T.Complex: case T.Dot: case T.Field: case T.Identifier:
        case T.Number: case T.Nil: case T.RawString: case T.String: case T.Variable: case T.LeftParen:
          this.backup();
          pipe.cmds.push(this.command());
          break;
        default:
          this.unexpected(t, context);
      }
    }
  }

  private checkPipeline(pipe: PipeNode, context: string): void {
    if (pipe.cmds.length === 0) this.errorf(`missing value for ${context}`);
    for (let i = 1; i < pipe.cmds.length; i++) {
      const k = pipe.cmds[i].args[0].kind;
      if (k === 'bool' || k === 'dot' || k === 'nil' || k === 'number' || k === 'string') {
        this.errorf(`non executable command in pipeline stage ${i + 1}`);
      }
    }
  }

  private parseControl(context: 'if' | 'range' | 'with'): [number, number, PipeNode, ListNode, ListNode | null] {
    const mark = this.vars.length;
    try {
      const pipe = this.pipeline(context, T.RightDelim);
      if (context === 'range') this.rangeDepth++;
      let [list, next] = this.itemList();
      if (context === 'range') this.rangeDepth--;
      let elseList: ListNode | null = null;
      if (next.kind === 'else') {
        if (context === 'if' && this.peek().typ === T.If) {
          this.next();
          elseList = { kind: 'list', pos: next.pos, nodes: [this.branch('if')] };
        } else if (context === 'with' && this.peek().typ === T.With) {
          this.next();
          elseList = { kind: 'list', pos: next.pos, nodes: [this.branch('with')] };
        } else {
          [elseList, next] = this.itemList();
          if (next.kind !== 'end') this.errorf(`expected end; found ${nodeString(next)}`);
        }
      }
      return [pipe.pos, pipe.line, pipe, list, elseList];
    } finally {
      this.vars.length = mark;
    }
  }

  private branch(kind: 'if' | 'range' | 'with'): Node {
    const [pos, line, pipe, list, elseList] = this.parseControl(kind);
    return { kind, pos, line, pipe, list, elseList } as IfNode | RangeNode | WithNode;
  }

  private endControl(): Node {
    return { kind: 'end', pos: this.expect(T.RightDelim, 'end').pos };
  }

  private elseControl(): Node {
    const p = this.peekNonSpace();
    if (p.typ === T.If || p.typ === T.With) return { kind: 'else', pos: p.pos, line: p.line };
    const t = this.expect(T.RightDelim, 'else');
    return { kind: 'else', pos: t.pos, line: t.line };
  }

  private blockControl(): Node {
    const context = 'block clause';
    const t = this.nextNonSpace();
    const name = this.parseTemplateName(t, context);
    const pipe = this.pipeline(context, T.RightDelim);
    const b = this.sub(name);
    const [list, end] = b.itemList();
    b.root = list;
    this.adopt(b);
    if (end.kind !== 'end') this.errorf(`unexpected ${nodeString(end)} in ${context}`);
    b.add();
    this.adopt(b);
    return { kind: 'template', pos: t.pos, line: t.line, name, pipe };
  }

  private templateControl(): Node {
    const context = 'template clause';
    const t = this.nextNonSpace();
    const name = this.parseTemplateName(t, context);
    let pipe: PipeNode | null = null;
    if (this.nextNonSpace().typ !== T.RightDelim) {
      this.backup();
      pipe = this.pipeline(context, T.RightDelim);
    }
    return { kind: 'template', pos: t.pos, line: t.line, name, pipe };
  }

  private parseTemplateName(t: Item, context: string): string {
    if (t.typ === T.String || t.typ === T.RawString) return this.unquoteOrFail(t.val);
    this.unexpected(t, context);
  }

  private command(): CommandNode {
    const cmd: CommandNode = { kind: 'command', pos: this.peekNonSpace().pos, args: [] };
    for (;;) {
      this.peekNonSpace();
      const operand = this.operand();
      if (operand) cmd.args.push(operand);
      const t = this.next();
      if (t.typ === T.Space) continue;
      if (t.typ === T.RightDelim || t.typ === T.RightParen) this.backup();
      else if (t.typ !== T.Pipe) this.unexpected(t, 'operand');
      break;
    }
    if (cmd.args.length === 0) this.errorf('empty command');
    return cmd;
  }

  private operand(): Node | null {
    let node = this.term();
    if (!node) return null;
    if (this.peek().typ === T.Field) {
      const chain: ChainNode = { kind: 'chain', pos: this.peek().pos, node, field: [] };
      while (this.peek().typ === T.Field) {
        const v = this.next().val;
        chain.field.push(v.slice(1));
      }
      switch (node.kind) {
        case 'field':
          node = { kind: 'field', pos: chain.pos, ident: nodeString(chain).split('.').slice(1) };
          break;
        case 'variable':
          node = newVariable(chain.pos, nodeString(chain));
          break;
        case 'bool': case 'string': case 'number': case 'nil': case 'dot':
          this.errorf(`unexpected . after term ${quote(nodeString(node))}`);
        default:
          node = chain;
      }
    }
    return node;
  }

  private term(): Node | null {
    const t = this.nextNonSpace();
    switch (t.typ) {
      case T.Identifier:
        if (!this.opts.hasFunction(t.val)) this.errorf(`function ${quote(t.val)} not defined`);
        return { kind: 'identifier', pos: t.pos, ident: t.val };
      case T.Dot:
        return { kind: 'dot', pos: t.pos };
      case T.Nil:
        return { kind: 'nil', pos: t.pos };
      case T.Variable:
        return this.useVar(t.pos, t.val);
      case T.Field:
        return { kind: 'field', pos: t.pos, ident: t.val.split('.').slice(1) };
      case T.Bool:
        return { kind: 'bool', pos: t.pos, value: t.val === 'true' };
      case T.CharConstant: case T.Complex: case T.Number:
        return this.newNumber(t);
      case T.LeftParen:
        return this.pipeline('parenthesized pipeline', T.RightParen);
      case T.String: case T.RawString:
        return { kind: 'string', pos: t.pos, quoted: t.val, text: this.unquoteOrFail(t.val) };
    }
    this.backup();
    return null;
  }

  private useVar(pos: number, name: string): Node {
    const v = newVariable(pos, name);
    if (this.vars.includes(v.ident[0])) return v;
    this.errorf(`undefined variable ${quote(v.ident[0])}`);
  }

  private newNumber(t: Item): NumberNode {
    const text = t.val;
    const n: NumberNode = {
      kind: 'number', pos: t.pos, text, isInt: false, isUint: false, isFloat: false, isComplex: false,
      int64: 0n, uint64: 0n, float64: 0,
    };
    if (t.typ === T.CharConstant) {
      let r: number;
      let tail: string;
      try {
        [, tail, r] = unquoteChar(text.slice(1), text[0]);
      } catch {
        this.errorf('invalid syntax');
      }
      if (tail !== "'") this.errorf(`malformed character constant: ${text}`);
      n.int64 = BigInt(r);
      n.uint64 = BigInt(r);
      n.float64 = r;
      n.isInt = n.isUint = n.isFloat = true;
      return n;
    }
    if (t.typ === T.Complex || text.endsWith('i')) {
      if (t.typ !== T.Complex) {
        const f = parseGoFloat(text.slice(0, -1));
        if (f !== null) {
          // An imaginary constant; only zero simplifies to a real number.
          n.isComplex = true;
          if (f === 0) {
            n.isFloat = true;
            n.isInt = n.isUint = true;
          }
          return n;
        }
      } else {
        n.isComplex = true;
        return n;
      }
    }
    const u = parseGoInt(text, true);
    if (u !== null) {
      n.isUint = true;
      n.uint64 = u;
    }
    const i = parseGoInt(text, false);
    if (i !== null) {
      n.isInt = true;
      n.int64 = i;
      if (i === 0n) {
        n.isUint = true;
        n.uint64 = u ?? 0n;
      }
    }
    if (n.isInt) {
      n.isFloat = true;
      n.float64 = Number(n.int64);
    } else if (n.isUint) {
      n.isFloat = true;
      n.float64 = Number(n.uint64);
    } else {
      const f = parseGoFloat(text);
      if (f !== null) {
        if (!/[.eEpP]/.test(text)) this.errorf(`integer overflow: ${quote(text)}`);
        n.isFloat = true;
        n.float64 = f;
        if (Number.isInteger(f) && Math.abs(f) < 2 ** 63) {
          n.isInt = true;
          n.int64 = BigInt(f);
        }
        if (Number.isInteger(f) && f >= 0 && f < 2 ** 64) {
          n.isUint = true;
          n.uint64 = BigInt(f);
        }
      }
    }
    if (!n.isInt && !n.isUint && !n.isFloat) this.errorf(`illegal number syntax: ${quote(text)}`);
    return n;
  }
}

function newVariable(pos: number, name: string): VariableNode {
  return { kind: 'variable', pos, ident: name.split('.') };
}

export function isEmptyTree(n: Node): boolean {
  switch (n.kind) {
    case 'list':
      return n.nodes.every(isEmptyTree);
    case 'text':
      return /^[ \t\n\r\v\f]*$/.test(n.text);
    case 'comment':
      return true;
    default:
      return false;
  }
}

/**
 * Parses one template source (a byte string) named `name` into its trees: the main one under `name`
 * plus every `define`/`block`. Throws TemplateParseError with Go's message text.
 */
export function parseTemplate(name: string, text: string, opts: ParseOptions): Map<string, Tree> {
  const trees = new Map<string, Tree>();
  const lex = new Lexer(text, opts.leftDelim ?? '{{', opts.rightDelim ?? '}}');
  const p = new Parser(name, name, lex, text, opts, trees);
  p.parse();
  return trees;
}

