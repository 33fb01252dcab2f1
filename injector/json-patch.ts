/**
 * RFC 6902 JSON Patch: the operation type the webhook returns, and an applier. The injector applies
 * every operation it emits to a working copy as it goes, so later operations see the indices the
 * apiserver will see, and the mutated pod it returns is exactly "the patch applied".
 */
import { isObject } from '../core/index.ts';

export type PatchOp =
  | { op: 'add' | 'replace' | 'test'; path: string; value: unknown }
  | { op: 'remove'; path: string }
  | { op: 'move' | 'copy'; from: string; path: string };

export class PatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PatchError';
  }
}

/** Deep copy of JSON data (objects, arrays, primitives): several times faster than structuredClone. */
export function cloneJson<T>(v: T): T {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(cloneJson) as T;
  if (v instanceof Date) return new Date(v.getTime()) as T;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) out[k] = cloneJson((v as Record<string, unknown>)[k]);
  return out as T;
}

export function escapePointer(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function pointer(...tokens: (string | number)[]): string {
  return tokens.map((t) => '/' + escapePointer(String(t))).join('');
}

function parsePointer(p: string): string[] {
  if (p === '') return [];
  if (!p.startsWith('/')) throw new PatchError(`invalid JSON pointer ${JSON.stringify(p)}`);
  return p
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function arrayIndex(arr: unknown[], token: string, forAdd: boolean): number {
  if (forAdd && token === '-') return arr.length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw new PatchError(`invalid array index ${JSON.stringify(token)}`);
  const i = Number(token);
  if (i > arr.length || (!forAdd && i === arr.length)) throw new PatchError(`array index ${i} out of bounds`);
  return i;
}

function parentOf(doc: unknown, tokens: string[], path: string): unknown {
  let cur = doc;
  for (const t of tokens.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(cur, t, false)];
    else if (isObject(cur) && Object.prototype.hasOwnProperty.call(cur, t)) cur = cur[t];
    else throw new PatchError(`path ${path}: parent does not exist`);
  }
  return cur;
}

function get(doc: unknown, path: string): unknown {
  let cur = doc;
  for (const t of parsePointer(path)) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(cur, t, false)];
    else if (isObject(cur) && Object.prototype.hasOwnProperty.call(cur, t)) cur = cur[t];
    else throw new PatchError(`path ${path} does not exist`);
  }
  return cur;
}

/** Deep equality that ignores object key order (the apiserver reorders keys). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/** Applies one operation in place; returns the (possibly new) document root. */
export function applyOp(doc: unknown, op: PatchOp): unknown {
  const tokens = parsePointer(op.path);
  switch (op.op) {
    case 'test':
      if (!deepEqual(get(doc, op.path), op.value)) throw new PatchError(`test failed at ${op.path}`);
      return doc;
    case 'copy':
    case 'move': {
      const value = cloneJson(get(doc, op.from));
      if (op.op === 'move') {
        if (op.path.startsWith(op.from + '/')) throw new PatchError(`cannot move ${op.from} into itself`);
        doc = applyOp(doc, { op: 'remove', path: op.from });
      }
      return applyOp(doc, { op: 'add', path: op.path, value });
    }
    default:
  }
  if (tokens.length === 0) {
    if (op.op === 'remove') throw new PatchError('cannot remove the document root');
    return cloneJson(op.value);
  }
  const parent = parentOf(doc, tokens, op.path);
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) {
    const i = arrayIndex(parent, last, op.op === 'add');
    if (op.op === 'add') parent.splice(i, 0, cloneJson(op.value));
    else if (op.op === 'replace') parent[i] = cloneJson(op.value);
    else parent.splice(i, 1);
    return doc;
  }
  if (!isObject(parent)) throw new PatchError(`path ${op.path}: parent is not a container`);
  const exists = Object.prototype.hasOwnProperty.call(parent, last);
  if (op.op === 'add') parent[last] = cloneJson(op.value);
  else if (!exists) throw new PatchError(`path ${op.path} does not exist`);
  else if (op.op === 'replace') parent[last] = cloneJson(op.value);
  else delete parent[last];
  return doc;
}

/** Applies a whole patch to a deep copy: all or nothing, like the apiserver. */
export function applyPatch<T>(doc: T, ops: readonly PatchOp[]): T {
  let out: unknown = cloneJson(doc);
  for (const op of ops) out = applyOp(out, op);
  return out as T;
}
