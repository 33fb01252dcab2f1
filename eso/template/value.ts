/**
 * Go values as the engine sees them. A Go string is a byte string (core/go/utf8.ts); `int` is a bigint; other
 * integer types are GoInt; float64 is a number; `nil` (a nil interface{}) is null; NO_VALUE is an
 * invalid reflect.Value (what `<no value>` prints). Slices and maps remember their Go element type,
 * because Go's reflection-based calls reject e.g. a map[string]string where map[string]interface{} is
 * declared.
 */
import type { FuncDef } from './exec.ts';
import { GoTime } from './time.ts';

export { GoTime };
export const NO_VALUE: unique symbol = Symbol('no value');
export type NoValue = typeof NO_VALUE;

export type IntType = 'int64' | 'int32' | 'uint8' | 'uint' | 'uint32' | 'uint64';

export class GoInt {
  constructor(
    readonly type: IntType,
    readonly v: bigint,
  ) {}
}

export type SliceElem = 'interface {}' | 'string' | 'int' | 'uint8' | '[]interface {}';
export class GoSlice {
  constructor(
    readonly elem: SliceElem,
    readonly items: GoValue[],
    /** a nil slice: prints as [] but marshals to JSON null */
    readonly isNil = false,
  ) {}
}

export type MapElem = 'interface {}' | 'string';
export class GoMap {
  constructor(
    readonly elem: MapElem,
    readonly m: Map<string, GoValue>,
    readonly isNil = false,
  ) {}
}

/** A Go function value (only the names ESO's templates could hold; the data never contains one). */
export class GoFunc {
  constructor(readonly name: string) {}
}

/**
 * A value of a named Go type that a function returned: a struct (sprig's `certificate`) or a pointer to
 * one (`*semver.Version`). Templates reach its exported fields and methods; fmt prints it through
 * `String()` when the type has one, else as `{field field}`; json uses `MarshalJSON` when given.
 */
export class GoObject {
  constructor(
    /** reflect.Type.String(), e.g. `sprig.certificate`, `*semver.Version` */
    readonly type: string,
    readonly kind: 'struct' | 'ptr',
    /** exported fields in declaration order (struct kind) */
    readonly fields: ReadonlyMap<string, GoValue>,
    /** the method set as text/template sees it for this value */
    readonly methods: ReadonlyMap<string, FuncDef>,
    /** fmt.Stringer's String(), when the type has one */
    readonly stringer?: () => string,
    /** json.Marshaler's output, when the type has one */
    readonly marshalJSON?: () => string,
    /** unexported field names, which templates may not read */
    readonly unexported: readonly string[] = [],
  ) {}
}

export type GoValue = string | bigint | number | boolean | null | GoInt | GoSlice | GoMap | GoFunc | GoTime | GoObject;
export type Value = GoValue | NoValue;

export type Kind =
  | 'invalid' | 'string' | 'int' | 'int64' | 'int32' | 'uint8' | 'uint' | 'uint64' | 'float64' | 'bool'
  | 'slice' | 'map' | 'interface' | 'func' | 'struct' | 'ptr' | 'uint32';

export function kindOf(v: Value): Kind {
  if (v === NO_VALUE) return 'invalid';
  if (v === null) return 'interface';
  switch (typeof v) {
    case 'string': return 'string';
    case 'bigint': return 'int';
    case 'number': return 'float64';
    case 'boolean': return 'bool';
  }
  if (v instanceof GoInt) return v.type;
  if (v instanceof GoSlice) return 'slice';
  if (v instanceof GoMap) return 'map';
  if (v instanceof GoTime) return 'struct';
  if (v instanceof GoObject) return v.kind;
  return 'func';
}

/** reflect.Type.String() of a value. */
export function typeName(v: Value): string {
  if (v === NO_VALUE) return '<nil>';
  if (v === null) return 'interface {}';
  switch (typeof v) {
    case 'string': return 'string';
    case 'bigint': return 'int';
    case 'number': return 'float64';
    case 'boolean': return 'bool';
  }
  if (v instanceof GoInt) return v.type;
  if (v instanceof GoSlice) return `[]${v.elem}`;
  if (v instanceof GoMap) return `map[string]${v.elem}`;
  if (v instanceof GoTime) return 'time.Time';
  if (v instanceof GoObject) return v.type;
  return 'func(...)';
}

export function isIntKind(k: Kind): boolean {
  return k === 'int' || k === 'int64' || k === 'int32';
}
export function isUintKind(k: Kind): boolean {
  return k === 'uint8' || k === 'uint' || k === 'uint32' || k === 'uint64';
}

/** The integer inside an int-like value. */
export function intOf(v: GoValue): bigint {
  if (typeof v === 'bigint') return v;
  if (v instanceof GoInt) return v.v;
  throw new Error('not an integer');
}

export function list(items: GoValue[]): GoSlice {
  return new GoSlice('interface {}', items);
}
export function strings(items: string[]): GoSlice {
  return new GoSlice('string', items);
}
export function dict(m: Map<string, GoValue>): GoMap {
  return new GoMap('interface {}', m);
}

/** Go's truth (text/template isTrue): ok=false for values if/with cannot judge. */
export function isTrue(v: Value): boolean {
  if (v === NO_VALUE || v === null) return false;
  switch (typeof v) {
    case 'string': return v.length > 0;
    case 'bigint': return v !== 0n;
    case 'number': return v !== 0;
    case 'boolean': return v;
  }
  if (v instanceof GoInt) return v.v !== 0n;
  if (v instanceof GoSlice) return v.items.length > 0;
  if (v instanceof GoMap) return v.m.size > 0;
  return true;
}

export function sortedKeys(m: GoMap): string[] {
  return [...m.m.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Wrap an int64 result the way Go int arithmetic would (two's complement overflow). */
export function int64(v: bigint): GoInt {
  return new GoInt('int64', BigInt.asIntN(64, v));
}
