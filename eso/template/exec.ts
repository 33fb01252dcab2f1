/** The executor: Go text/template's exec.go semantics over engine values (value.ts). */
import { TemplateExecError, TemplateLimitError } from './errors.ts';
import { sprint } from './fmt.ts';
import {
  type ChainNode, type CommandNode, type FieldNode, type IdentifierNode, type Node, type NumberNode,
  nodeString, type PipeNode, type RangeNode, type Tree, type VariableNode,
} from './parse.ts';
import { quote } from '../../core/go/strconv.ts';
import {
  GoFunc, GoInt, GoMap, GoObject, GoSlice, type GoValue, isTrue, NO_VALUE, sortedKeys, typeName, type Value,
} from './value.ts';

/** Go parameter types as reflect prints them. */
export type ParamType =
  | 'string' | 'int' | 'int64' | 'float64' | 'bool' | 'interface {}' | 'reflect.Value' | '[]interface {}'
  | 'map[string]interface {}' | '[]string' | 'uint8' | 'uint32' | 'time.Time'
  // named types of sprig and semver (only values of that type, or constants for the string one, fit)
  | 'sprig.HashAlgorithm' | 'sprig.certificate' | '*semver.Version';

export interface CallContext {
  /** Checks the step budget; functions that loop call it per iteration. */
  step(n?: number): void;
  /** Bytes a function may still produce before the output bound is reached. */
  remaining(): number;
}

export interface FuncDef {
  in: ParamType[];
  variadic?: ParamType;
  builtin?: boolean;
  call: (args: Value[], ctx: CallContext) => Value;
}

/** A function failed: Go reports `error calling NAME: MESSAGE`. */
export class CallError extends Error {}

export interface ExecLimits {
  maxOutputBytes: number;
  maxSteps: number;
  maxDepth: number;
  /** text/template's missingkey option: `error` (ESO) or `default` (invalid value, `<no value>`). */
  missingKey: 'error' | 'default';
}

const MISSING: unique symbol = Symbol('missing');
type Final = Value | typeof MISSING;

class Break {}
class Continue {}
const BREAK = new Break();
const CONTINUE = new Continue();

interface Variable {
  name: string;
  value: Value;
}

/** Panics inside the executor are Go errors; this carries one to the top. */
class ExecAbort extends Error {
  constructor(readonly err: Error) {
    super(err.message);
  }
}

export class Executor implements CallContext {
  private out: string[] = [];
  private outLen = 0;
  private steps = 0;
  private node: Node | null = null;
  private vars: Variable[] = [];
  private tmplName: string;
  private tree: Tree;
  private depth = 0;

  constructor(
    private readonly trees: Map<string, Tree>,
    private readonly funcs: Map<string, FuncDef>,
    private readonly limits: ExecLimits,
    name: string,
  ) {
    this.tmplName = name;
    this.tree = trees.get(name)!;
  }

  step(n = 1): void {
    this.steps += n;
    if (this.steps > this.limits.maxSteps) {
      throw new ExecAbort(
        new TemplateLimitError(`template: ${this.tree.parseName}: execution exceeded ${this.limits.maxSteps} steps (esi's limit)`),
      );
    }
  }
  remaining(): number {
    return this.limits.maxOutputBytes - this.outLen;
  }

  run(data: Value): string {
    if (!this.tree) throw new TemplateExecError(`template: ${quote(this.tmplName)} is an incomplete or empty template`);
    this.vars = [{ name: '$', value: data }];
    try {
      this.walk(data, this.tree.root);
    } catch (e) {
      if (e instanceof ExecAbort) throw e.err;
      if (e instanceof RangeError) {
        throw new TemplateLimitError(`template: ${this.tree.parseName}: execution nested too deeply (esi's limit)`);
      }
      throw e;
    }
    return this.out.join('');
  }

  // ------------------------------------------------------------------------------------------ errors

  private at(n: Node): void {
    this.node = n;
  }

  private errorf(msg: string): never {
    const name = this.tmplName;
    let text: string;
    if (!this.node) text = `template: ${name}: ${msg}`;
    else {
      const pos = this.node.pos;
      const src = this.tree.text.slice(0, pos);
      const nl = src.lastIndexOf('\n');
      const col = nl === -1 ? pos : pos - (nl + 1);
      let line = 1;
      for (let i = 0; i < src.length; i++) if (src.charCodeAt(i) === 10) line++;
      text = `template: ${this.tree.parseName}:${line}:${col}: executing ${quote(name)} at <${nodeString(this.node)}>: ${msg}`;
    }
    throw new ExecAbort(new TemplateExecError(text));
  }

  private write(s: string): void {
    if (s.length === 0) return;
    this.outLen += s.length;
    if (this.outLen > this.limits.maxOutputBytes) {
      throw new ExecAbort(
        new TemplateLimitError(
          `template: ${this.tree.parseName}: output exceeds ${this.limits.maxOutputBytes} bytes (esi's limit)`,
        ),
      );
    }
    this.out.push(s);
  }

  // ---------------------------------------------------------------------------------------- variables

  private mark(): number {
    return this.vars.length;
  }
  private pop(mark: number): void {
    this.vars.length = mark;
  }
  private push(name: string, value: Value): void {
    this.vars.push({ name, value });
  }
  private setVar(name: string, value: Value): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i].name === name) {
        this.vars[i].value = value;
        return;
      }
    }
    this.errorf(`undefined variable: ${name}`);
  }
  private setTopVar(n: number, value: Value): void {
    this.vars[this.vars.length - n].value = value;
  }
  private varValue(name: string): Value {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i].name === name) return this.vars[i].value;
    this.errorf(`undefined variable: ${name}`);
  }

  // ------------------------------------------------------------------------------------------- walking

  private walk(dot: Value, node: Node): void {
    this.step();
    this.at(node);
    switch (node.kind) {
      case 'action': {
        const val = this.evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) this.printValue(node, val);
        return;
      }
      case 'break': throw BREAK;
      case 'continue': throw CONTINUE;
      case 'comment': return;
      case 'if': case 'with': {
        const mark = this.mark();
        try {
          const val = this.evalPipeline(dot, node.pipe);
          const truth = isTrue(val);
          if (truth) this.walk(node.kind === 'with' ? (val === null ? NO_VALUE : val) : dot, node.list);
          else if (node.elseList) this.walk(dot, node.elseList);
        } finally {
          this.pop(mark);
        }
        return;
      }
      case 'list':
        for (const n of node.nodes) this.walk(dot, n);
        return;
      case 'range':
        return this.walkRange(dot, node);
      case 'template': {
        this.at(node);
        const t = this.trees.get(node.name);
        if (!t) this.errorf(`template ${quote(node.name)} not defined`);
        if (this.depth >= this.limits.maxDepth) {
          throw new ExecAbort(
            new TemplateLimitError(
              `template: ${this.tree.parseName}: template calls nested deeper than ${this.limits.maxDepth} (esi's limit)`,
            ),
          );
        }
        const newDot = this.evalPipeline(dot, node.pipe);
        const saved = { vars: this.vars, name: this.tmplName, tree: this.tree };
        this.depth++;
        this.tmplName = node.name;
        this.tree = t;
        this.vars = [{ name: '$', value: newDot }];
        try {
          this.walk(newDot, t.root);
        } finally {
          this.depth--;
          this.vars = saved.vars;
          this.tmplName = saved.name;
          this.tree = saved.tree;
        }
        return;
      }
      case 'text':
        this.write(node.text);
        return;
      default:
        this.errorf(`unknown node: ${nodeString(node)}`);
    }
  }

  private walkRange(dot: Value, r: RangeNode): void {
    this.at(r);
    const mark0 = this.mark();
    try {
      const val = this.evalPipeline(dot, r.pipe);
      const mark = this.mark();
      const one = (index: Value, elem: Value): void => {
        this.step();
        if (r.pipe.decl.length > 0) {
          if (r.pipe.isAssign) {
            if (r.pipe.decl.length > 1) this.setVar(r.pipe.decl[0].ident[0], index);
            else this.setVar(r.pipe.decl[0].ident[0], elem);
          } else this.setTopVar(1, elem);
        }
        if (r.pipe.decl.length > 1) {
          if (r.pipe.isAssign) this.setVar(r.pipe.decl[1].ident[0], elem);
          else this.setTopVar(2, index);
        }
        try {
          this.walk(elem, r.list);
        } catch (e) {
          if (e !== CONTINUE) throw e;
        } finally {
          this.pop(mark);
        }
      };
      const v = val === null ? NO_VALUE : val;
      let iterated = false;
      if (v instanceof GoSlice) {
        for (let i = 0; i < v.items.length; i++) {
          iterated = true;
          one(BigInt(i), v.items[i]);
        }
        if (iterated) return;
      } else if (v instanceof GoMap) {
        for (const k of sortedKeys(v)) {
          iterated = true;
          one(k, v.m.get(k)!);
        }
        if (iterated) return;
      } else if (typeof v === 'bigint' || v instanceof GoInt) {
        if (r.pipe.decl.length > 1) this.errorf(`can't use ${sprint([v])} to iterate over more than one variable`);
        const n = typeof v === 'bigint' ? v : v.v;
        for (let i = 0n; i < n; i++) {
          iterated = true;
          const iv: Value = typeof v === 'bigint' ? i : new GoInt(v.type, i);
          one(iv, iv);
        }
        if (iterated) return;
      } else if (v === NO_VALUE) {
        // nothing to iterate; not an error
      } else {
        this.errorf(`range can't iterate over ${sprint([v as GoValue])}`);
      }
      if (r.elseList) this.walk(dot, r.elseList);
    } catch (e) {
      if (e !== BREAK) throw e;
    } finally {
      this.pop(mark0);
    }
  }

  private printValue(n: Node, v: Value): void {
    this.at(n);
    if (v === NO_VALUE) {
      this.write('<no value>');
      return;
    }
    if (v instanceof GoFunc) this.errorf(`can't print ${nodeString(n)} of type ${typeName(v)}`);
    this.write(sprint([v]));
  }

  // -------------------------------------------------------------------------------------- evaluation

  private evalPipeline(dot: Value, pipe: PipeNode | null): Value {
    if (!pipe) return NO_VALUE;
    this.at(pipe);
    let value: Final = MISSING;
    for (const cmd of pipe.cmds) {
      value = this.evalCommand(dot, cmd, value);
      if (value === null) value = NO_VALUE;
    }
    const v = value as Value;
    for (const variable of pipe.decl) {
      if (pipe.isAssign) this.setVar(variable.ident[0], v);
      else this.push(variable.ident[0], v);
    }
    return v;
  }

  private notAFunction(args: Node[], final: Final): void {
    if (args.length > 1 || final !== MISSING) this.errorf(`can't give argument to non-function ${nodeString(args[0])}`);
  }

  private evalCommand(dot: Value, cmd: CommandNode, final: Final): Value {
    this.step();
    const first = cmd.args[0];
    switch (first.kind) {
      case 'field': return this.evalFieldNode(dot, first, cmd.args, final);
      case 'chain': return this.evalChainNode(dot, first, cmd.args, final);
      case 'identifier': return this.evalFunction(dot, first, cmd, cmd.args, final);
      case 'pipe':
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, first);
      case 'variable': return this.evalVariableNode(dot, first, cmd.args, final);
    }
    this.at(first);
    this.notAFunction(cmd.args, final);
    switch (first.kind) {
      case 'bool': return first.value;
      case 'dot': return dot;
      case 'nil': this.errorf('nil is not a command');
      case 'number': return this.idealConstant(first);
      case 'string': return first.text;
    }
    this.errorf(`can't evaluate command ${quote(nodeString(first))}`);
  }

  private idealConstant(c: NumberNode): Value {
    this.at(c);
    if (c.isComplex) this.errorf(`complex constant ${c.text} is not supported by esi`);
    if (c.isFloat && !/^[+-]?0[xX][0-9a-fA-F_]*$/.test(c.text) && !c.text.startsWith("'") && /[.eEpP]/.test(c.text)) {
      return c.float64;
    }
    if (c.isInt) return c.int64;
    if (c.isUint) this.errorf(`${c.text} overflows int`);
    return 0n;
  }

  private evalFieldNode(dot: Value, field: FieldNode, args: Node[], final: Final): Value {
    this.at(field);
    return this.evalFieldChain(dot, dot, field, field.ident, args, final);
  }

  private evalChainNode(dot: Value, chain: ChainNode, args: Node[], final: Final): Value {
    this.at(chain);
    if (chain.field.length === 0) this.errorf('internal error: no fields in evalChainNode');
    if (chain.node.kind === 'nil') this.errorf(`indirection through explicit nil in ${nodeString(chain)}`);
    const pipe = this.evalArg(dot, null, chain.node);
    return this.evalFieldChain(dot, pipe, chain, chain.field, args, final);
  }

  private evalVariableNode(dot: Value, v: VariableNode, args: Node[], final: Final): Value {
    this.at(v);
    const value = this.varValue(v.ident[0]);
    if (v.ident.length === 1) {
      this.notAFunction(args, final);
      return value;
    }
    return this.evalFieldChain(dot, value, v, v.ident.slice(1), args, final);
  }

  private evalFieldChain(dot: Value, receiver: Value, node: Node, ident: string[], args: Node[], final: Final): Value {
    const n = ident.length;
    for (let i = 0; i < n - 1; i++) receiver = this.evalField(dot, ident[i], node, [], MISSING, receiver);
    return this.evalField(dot, ident[n - 1], node, args, final, receiver);
  }

  private evalField(dot: Value, fieldName: string, node: Node, args: Node[], final: Final, receiver: Value): Value {
    if (receiver === NO_VALUE) {
      if (this.limits.missingKey === 'error') this.errorf(`nil data; no entry for key ${quote(fieldName)}`);
      return NO_VALUE;
    }
    if (receiver === null) this.errorf(`nil pointer evaluating interface {}.${fieldName}`);
    const hasArgs = args.length > 1 || final !== MISSING;
    if (receiver instanceof GoMap) {
      if (hasArgs) this.errorf(`${fieldName} is not a method but has arguments`);
      if (!receiver.m.has(fieldName)) {
        if (this.limits.missingKey === 'error') this.errorf(`map has no entry for key ${quote(fieldName)}`);
        return NO_VALUE;
      }
      return receiver.m.get(fieldName)!;
    }
    if (receiver instanceof GoObject) {
      // exec.go evalField: the method set first, then the struct's exported fields.
      const method = receiver.methods.get(fieldName);
      if (method) return this.evalCall(dot, method, node, fieldName, args, final);
      const field = receiver.fields.get(fieldName);
      if (field !== undefined) {
        if (hasArgs) this.errorf(`${fieldName} has arguments but cannot be invoked as function`);
        return field;
      }
      if (receiver.unexported.includes(fieldName)) this.errorf(`${fieldName} is an unexported field of struct type ${typeName(receiver)}`);
    }
    this.errorf(`can't evaluate field ${fieldName} in type ${typeName(receiver)}`);
  }

  private evalFunction(dot: Value, node: IdentifierNode, cmd: Node, args: Node[], final: Final): Value {
    this.at(node);
    const fn = this.funcs.get(node.ident);
    if (!fn) this.errorf(`${quote(node.ident)} is not a defined function`);
    return this.evalCall(dot, fn, cmd, node.ident, args, final);
  }

  private evalCall(dot: Value, fn: FuncDef, node: Node, name: string, argNodes: Node[], final: Final): Value {
    const args = argNodes.length > 0 ? argNodes.slice(1) : argNodes;
    const numIn0 = fn.in.length + (fn.variadic ? 1 : 0);
    let numIn = args.length;
    if (final !== MISSING) numIn++;
    let numFixed = args.length;
    if (fn.variadic) {
      numFixed = fn.in.length;
      if (numIn < numFixed) {
        this.errorf(`wrong number of args for ${name}: want at least ${fn.in.length} got ${args.length}`);
      }
    } else if (numIn !== numIn0) {
      this.errorf(`wrong number of args for ${name}: want ${numIn0} got ${numIn}`);
    }

    if (fn.builtin && (name === 'and' || name === 'or')) {
      let v: Value = NO_VALUE;
      for (const a of args) {
        v = this.evalArg(dot, 'reflect.Value', a);
        if (isTrue(v) === (name === 'or')) return v;
      }
      if (final !== MISSING) v = this.validateType(final, 'reflect.Value');
      return v;
    }

    const argv: Value[] = [];
    let i = 0;
    for (; i < numFixed && i < args.length; i++) argv.push(this.evalArg(dot, fn.in[i], args[i]));
    if (fn.variadic) for (; i < args.length; i++) argv.push(this.evalArg(dot, fn.variadic, args[i]));
    if (final !== MISSING) {
      let t: ParamType;
      if (fn.variadic) t = numIn - 1 < numFixed ? fn.in[numIn - 1] : fn.variadic;
      else t = fn.in[fn.in.length - 1];
      argv.push(this.validateType(final, t));
    }
    if (fn.builtin && name === 'call') {
      argv.unshift(nodeString(args[0]));
    }
    let result: Value;
    try {
      result = fn.call(argv, this);
    } catch (e) {
      if (e instanceof CallError) {
        this.at(node);
        this.errorf(`error calling ${name}: ${e.message}`);
      }
      throw e;
    }
    return result;
  }

  private evalArg(dot: Value, typ: ParamType | null, n: Node): Value {
    this.at(n);
    switch (n.kind) {
      case 'dot': return this.validateType(dot, typ);
      case 'nil':
        if (typ === null || canBeNil(typ)) return zeroOf(typ);
        this.errorf(`cannot assign nil to ${typ}`);
      case 'field': return this.validateType(this.evalFieldNode(dot, n, [n], MISSING), typ);
      case 'variable': return this.validateType(this.evalVariableNode(dot, n, [], MISSING), typ);
      case 'pipe': return this.validateType(this.evalPipeline(dot, n), typ);
      case 'identifier': return this.validateType(this.evalFunction(dot, n, n, [], MISSING), typ);
      case 'chain': return this.validateType(this.evalChainNode(dot, n, [], MISSING), typ);
    }
    switch (typ) {
      case 'bool':
        if (n.kind === 'bool') return n.value;
        this.errorf(`expected bool; found ${nodeString(n)}`);
      case 'float64':
        if (n.kind === 'number' && n.isFloat) return n.float64;
        this.errorf(`expected float; found ${nodeString(n)}`);
      case 'int':
      case 'int64':
        if (n.kind === 'number' && n.isInt) return typ === 'int' ? n.int64 : new GoInt('int64', n.int64);
        this.errorf(`expected integer; found ${nodeString(n)}`);
      case 'uint32':
        // evalUnsignedInteger: reflect's SetUint keeps the low 32 bits
        if (n.kind === 'number' && n.isUint) return new GoInt('uint32', BigInt.asUintN(32, n.uint64));
        this.errorf(`expected unsigned integer; found ${nodeString(n)}`);
      case 'sprig.HashAlgorithm':
        // a string constant converts to the named string type; a string value does not (validateType)
        if (n.kind === 'string') return n.text;
        this.errorf(`expected string; found ${nodeString(n)}`);
      case 'uint8':
        if (n.kind === 'number' && n.isUint) {
          if (n.uint64 > 255n) this.errorf(`overflow: ${n.text}`);
          return new GoInt('uint8', n.uint64);
        }
        this.errorf(`expected unsigned integer; found ${nodeString(n)}`);
      case 'interface {}':
      case 'reflect.Value':
        return this.evalEmptyInterface(dot, n);
      case 'string':
        if (n.kind === 'string') return n.text;
        this.errorf(`expected string; found ${nodeString(n)}`);
    }
    this.errorf(`can't handle ${nodeString(n)} for arg of type ${typ}`);
  }

  private evalEmptyInterface(dot: Value, n: Node): Value {
    switch (n.kind) {
      case 'bool': return n.value;
      case 'dot': return dot;
      case 'number': return this.idealConstant(n);
      case 'string': return n.text;
    }
    this.errorf(`can't handle assignment of ${nodeString(n)} to empty interface argument`);
  }

  private validateType(value: Value, typ: ParamType | null): Value {
    if (value === NO_VALUE) {
      if (typ === null) return NO_VALUE;
      if (typ === 'reflect.Value') return NO_VALUE;
      if (canBeNil(typ)) return zeroOf(typ);
      this.errorf(`invalid value; expected ${typ}`);
    }
    if (typ === null || typ === 'interface {}' || typ === 'reflect.Value') return value;
    if (value === null) this.errorf(`wrong type for value; expected ${typ}; got interface {}`);
    if (typeName(value) !== typ) this.errorf(`wrong type for value; expected ${typ}; got ${typeName(value)}`);
    return value;
  }
}

function canBeNil(t: ParamType): boolean {
  return t === 'interface {}' || t === '[]interface {}' || t === 'map[string]interface {}' || t === '[]string' || t === '*semver.Version';
}

function zeroOf(t: ParamType | null): Value {
  switch (t) {
    case '[]interface {}': return new GoSlice('interface {}', []);
    case '[]string': return new GoSlice('string', []);
    case 'map[string]interface {}': return new GoMap('interface {}', new Map());
    default: return null;
  }
}

