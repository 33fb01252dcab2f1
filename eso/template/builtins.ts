/** text/template's builtin functions (and, or, not, len, index, print*, html, js, urlquery, call, eq…). */
import { decodeRune } from '../../core/go/utf8.ts';
import { CallError, type FuncDef } from './exec.ts';
import { sprint, sprintf, sprintln } from './fmt.ts';
import { isPrint } from '../../core/go/strconv.ts';
import {
  GoInt, GoMap, GoSlice, type GoValue, isTrue, kindOf, NO_VALUE, typeName, type Value,
} from './value.ts';

type BasicKind = 'invalid' | 'bool' | 'int' | 'uint' | 'float' | 'string' | 'complex';

function basicKind(v: Value): BasicKind {
  switch (kindOf(v)) {
    case 'bool': return 'bool';
    case 'int': case 'int64': case 'int32': return 'int';
    case 'uint8': case 'uint': case 'uint64': return 'uint';
    case 'float64': return 'float';
    case 'string': return 'string';
    default: return 'invalid';
  }
}

const indirectInterface = (v: Value): Value => (v === null ? NO_VALUE : v);
const intVal = (v: Value): bigint => (typeof v === 'bigint' ? v : (v as GoInt).v);

function eq(args: Value[]): Value {
  const arg1 = indirectInterface(args[0]);
  if (args.length < 2) throw new CallError('missing argument for comparison');
  const k1 = basicKind(arg1);
  for (const a of args.slice(1)) {
    const arg = indirectInterface(a);
    const k2 = basicKind(arg);
    let truth = false;
    if (k1 !== k2) {
      if (k1 === 'int' && k2 === 'uint') truth = intVal(arg1) >= 0n && intVal(arg1) === intVal(arg);
      else if (k1 === 'uint' && k2 === 'int') truth = intVal(arg) >= 0n && intVal(arg1) === intVal(arg);
      else if (arg1 !== NO_VALUE && arg !== NO_VALUE) {
        throw new CallError(`incompatible types for comparison: ${typeName(arg1)} and ${typeName(arg)}`);
      }
    } else {
      switch (k1) {
        case 'bool': truth = arg1 === arg; break;
        case 'float': truth = arg1 === arg; break;
        case 'int': case 'uint': truth = intVal(arg1) === intVal(arg); break;
        case 'string': truth = arg1 === arg; break;
        default:
          if (arg1 === NO_VALUE || arg === NO_VALUE) truth = arg1 === arg;
          else if (arg1 instanceof GoSlice || arg1 instanceof GoMap) {
            throw new CallError(`non-comparable type ${sprintf('%s', [arg1 as GoValue])}: ${typeName(arg1)}`);
          } else if (arg instanceof GoSlice || arg instanceof GoMap) {
            throw new CallError(`non-comparable type ${sprintf('%s', [arg as GoValue])}: ${typeName(arg)}`);
          } else truth = arg1 === arg;
      }
    }
    if (truth) return true;
  }
  return false;
}

function lt(a: Value, b: Value): boolean {
  const arg1 = indirectInterface(a);
  const k1 = basicKind(arg1);
  if (k1 === 'invalid') throw new CallError('invalid type for comparison');
  const arg2 = indirectInterface(b);
  const k2 = basicKind(arg2);
  if (k2 === 'invalid') throw new CallError('invalid type for comparison');
  if (k1 !== k2) {
    if (k1 === 'int' && k2 === 'uint') return intVal(arg1) < 0n || intVal(arg1) < intVal(arg2);
    if (k1 === 'uint' && k2 === 'int') return intVal(arg2) >= 0n && intVal(arg1) < intVal(arg2);
    throw new CallError(`incompatible types for comparison: ${typeName(arg1)} and ${typeName(arg2)}`);
  }
  switch (k1) {
    case 'bool': case 'complex': throw new CallError('invalid type for comparison');
    case 'float': return (arg1 as number) < (arg2 as number);
    case 'int': case 'uint': return intVal(arg1) < intVal(arg2);
    default: return (arg1 as string) < (arg2 as string);
  }
}

function length(v: Value): Value {
  if (v === NO_VALUE) throw new CallError('reflect: call of reflect.Value.Type on zero Value');
  if (v === null) throw new CallError('len of nil pointer');
  if (typeof v === 'string') return BigInt(v.length);
  if (v instanceof GoSlice) return BigInt(v.items.length);
  if (v instanceof GoMap) return BigInt(v.m.size);
  throw new CallError(`len of type ${typeName(v)}`);
}

function index(args: Value[]): Value {
  let item: Value = indirectInterface(args[0]);
  if (item === NO_VALUE) throw new CallError('index of untyped nil');
  for (const raw of args.slice(1)) {
    const idx = indirectInterface(raw);
    if (item === null || (item as Value) === NO_VALUE) throw new CallError('index of nil pointer');
    if (typeof item === 'string' || item instanceof GoSlice) {
      const len: number = typeof item === 'string' ? item.length : item.items.length;
      let x: bigint;
      const k = kindOf(idx);
      if (k === 'int' || k === 'int64' || k === 'int32' || k === 'uint8' || k === 'uint' || k === 'uint64') x = intVal(idx);
      else if (idx === NO_VALUE) throw new CallError('cannot index slice/array with nil');
      else throw new CallError(`cannot index slice/array with type ${typeName(idx)}`);
      if (x < 0n || x > BigInt(len)) throw new CallError(`index out of range: ${x}`);
      if (x === BigInt(len)) {
        throw new CallError(typeof item === 'string' ? 'reflect: string index out of range' : 'reflect: slice index out of range');
      }
      item = typeof item === 'string' ? new GoInt('uint8', BigInt(item.charCodeAt(Number(x)))) : item.items[Number(x)];
      continue;
    }
    if (item instanceof GoMap) {
      if (idx === NO_VALUE) throw new CallError('value is nil; should be of type string');
      if (typeof idx !== 'string') throw new CallError(`value has type ${typeName(idx)}; should be string`);
      item = item.m.has(idx) ? item.m.get(idx)! : item.elem === 'string' ? '' : null;
      continue;
    }
    throw new CallError(`can't index item of type ${typeName(item)}`);
  }
  return item;
}

/** Arguments for html/js/urlquery: one string as is, else fmt.Sprint of all. */
function evalArgs(args: Value[]): string {
  if (args.length === 1 && typeof args[0] === 'string') return args[0];
  return sprint(args.map((a) => (a === NO_VALUE ? null : (a as GoValue))));
}

function htmlEscape(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    switch (c) {
      case '\0': out += '\xef\xbf\xbd'; break;
      case '"': out += '&#34;'; break;
      case "'": out += '&#39;'; break;
      case '&': out += '&amp;'; break;
      case '<': out += '&lt;'; break;
      case '>': out += '&gt;'; break;
      default: out += c;
    }
  }
  return out;
}

function jsEscape(s: string): string {
  const HEX = '0123456789ABCDEF';
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i];
    const special = ch === '\\' || ch === "'" || ch === '"' || ch === '<' || ch === '>' || ch === '&' || ch === '=' || c < 0x20 || c >= 0x80;
    if (!special) {
      out += ch;
      continue;
    }
    if (c < 0x80) {
      switch (ch) {
        case '\\': out += '\\\\'; break;
        case "'": out += "\\'"; break;
        case '"': out += '\\"'; break;
        case '<': out += '\\u003C'; break;
        case '>': out += '\\u003E'; break;
        case '&': out += '\\u0026'; break;
        case '=': out += '\\u003D'; break;
        default: out += '\\u00' + HEX[c >> 4] + HEX[c & 15];
      }
    } else {
      const [r, w] = decodeRune(s, i);
      if (isPrint(r)) out += s.slice(i, i + w);
      else out += '\\u' + r.toString(16).toUpperCase().padStart(4, '0');
      i += w - 1;
    }
  }
  return out;
}

/** url.QueryEscape */
export function queryEscape(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += '%' + s.charCodeAt(i).toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

const anyArgs = (args: Value[]): GoValue[] => args.map((a) => (a === NO_VALUE ? null : (a as GoValue)));

export const builtins: Record<string, FuncDef> = {
  and: { builtin: true, in: ['reflect.Value'], variadic: 'reflect.Value', call: () => NO_VALUE },
  or: { builtin: true, in: ['reflect.Value'], variadic: 'reflect.Value', call: () => NO_VALUE },
  not: { builtin: true, in: ['reflect.Value'], call: ([a]) => !isTrue(a) },
  len: { builtin: true, in: ['reflect.Value'], call: ([a]) => length(a) },
  index: { builtin: true, in: ['reflect.Value'], variadic: 'reflect.Value', call: (a) => index(a) },
  print: { builtin: true, in: [], variadic: 'interface {}', call: (a) => sprint(anyArgs(a)) },
  printf: { builtin: true, in: ['string'], variadic: 'interface {}', call: ([f, ...a]) => sprintf(f as string, anyArgs(a)) },
  println: { builtin: true, in: [], variadic: 'interface {}', call: (a) => sprintln(anyArgs(a)) },
  html: { builtin: true, in: [], variadic: 'interface {}', call: (a) => htmlEscape(evalArgs(a)) },
  js: { builtin: true, in: [], variadic: 'interface {}', call: (a) => jsEscape(evalArgs(a)) },
  urlquery: { builtin: true, in: [], variadic: 'interface {}', call: (a) => queryEscape(evalArgs(a)) },
  call: {
    builtin: true,
    in: ['reflect.Value'],
    variadic: 'reflect.Value',
    call: ([name, fn]) => {
      const f = indirectInterface(fn);
      if (f === NO_VALUE) throw new CallError('call of nil');
      throw new CallError(`non-function ${name as string} of type ${typeName(f)}`);
    },
  },
  eq: { builtin: true, in: ['reflect.Value'], variadic: 'reflect.Value', call: (a) => eq(a) },
  ne: { builtin: true, in: ['reflect.Value', 'reflect.Value'], call: (a) => !eq(a) },
  lt: { builtin: true, in: ['reflect.Value', 'reflect.Value'], call: ([a, b]) => lt(a, b) },
  le: { builtin: true, in: ['reflect.Value', 'reflect.Value'], call: ([a, b]) => lt(a, b) || (eq([a, b]) as boolean) },
  gt: { builtin: true, in: ['reflect.Value', 'reflect.Value'], call: ([a, b]) => !(lt(a, b) || (eq([a, b]) as boolean)) },
  ge: { builtin: true, in: ['reflect.Value', 'reflect.Value'], call: ([a, b]) => !lt(a, b) },
};

