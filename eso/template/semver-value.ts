/**
 * sprig's `semver` result: a `*semver.Version` (Masterminds/semver v3.4.0, version.go) with the methods a
 * template can call on it. Methods with a pointer receiver (Original, LessThan, Compare, …) exist only
 * on the pointer; IncPatch, SetPrerelease and the like return a `semver.Version` value, whose method set has the value-receiver
 * methods alone, as Go's reflection sees it.
 */
import { toText, fromText } from '../../core/go/utf8.ts';
import { CallError, type FuncDef, type ParamType } from './exec.ts';
import { compareVersions, newVersion, SemverError, type Version } from './semver.ts';
import { GoInt, GoObject, GoSlice, type GoValue, NO_VALUE, type Value } from './value.ts';

const PTR = '*semver.Version';
const VAL = 'semver.Version';

function versionString(v: Version): string {
  return `${v.major}.${v.minor}.${v.patch}${v.pre ? '-' + v.pre : ''}${v.metadata ? '+' + v.metadata : ''}`;
}

const ALLOWED = /^[A-Za-z0-9-]+$/;

/** version.go validatePrerelease */
function validatePrerelease(p: string): void {
  for (const part of p.split('.')) {
    if (part === '') throw new CallError('invalid prerelease string');
    if (/^[0-9]+$/.test(part)) {
      if (part.length > 1 && part[0] === '0') throw new CallError('version segment starts with 0');
    } else if (!ALLOWED.test(part)) throw new CallError('invalid prerelease string');
  }
}

/** version.go validateMetadata */
function validateMetadata(m: string): void {
  for (const part of m.split('.')) if (part === '' || !ALLOWED.test(part)) throw new CallError('invalid metadata string');
}

function method(inTypes: ParamType[], call: (args: GoValue[]) => Value): FuncDef {
  return { in: inTypes, call: (args) => call(args.map((a) => (a === NO_VALUE ? null : (a as GoValue)))) };
}

/** the receiver's next version keeps a leading lower-case `v` of the original (originalVPrefix) */
function next(v: Version, change: Partial<Version>): GoObject {
  const n: Version = { ...v, ...change };
  n.original = (v.original.startsWith('v') ? 'v' : '') + versionString(n);
  return semverObject(n, false);
}

function other(o: GoValue): Version {
  // a nil *Version argument: Go dereferences it and panics
  if (!(o instanceof GoObject) || !versionOf.has(o)) throw new CallError('runtime error: invalid memory address or nil pointer dereference');
  return versionOf.get(o)!;
}

const versionOf = new WeakMap<GoObject, Version>();

/** The template value for a parsed version: `*semver.Version` (pointer) or `semver.Version` (value). */
export function semverObject(v: Version, pointer = true): GoObject {
  const str = versionString(v);
  const methods = new Map<string, FuncDef>([
    ['String', method([], () => str)],
    ['Major', method([], () => new GoInt('uint64', v.major))],
    ['Minor', method([], () => new GoInt('uint64', v.minor))],
    ['Patch', method([], () => new GoInt('uint64', v.patch))],
    ['Prerelease', method([], () => v.pre)],
    ['Metadata', method([], () => v.metadata)],
    ['IncPatch', method([], () => (v.pre !== '' ? next(v, { pre: '', metadata: '' }) : next(v, { pre: '', metadata: '', patch: v.patch + 1n })))],
    ['IncMinor', method([], () => next(v, { pre: '', metadata: '', patch: 0n, minor: v.minor + 1n }))],
    ['IncMajor', method([], () => next(v, { pre: '', metadata: '', patch: 0n, minor: 0n, major: v.major + 1n }))],
    ['SetPrerelease', method(['string'], ([p]) => {
      if ((p as string).length > 0) validatePrerelease(p as string);
      return next(v, { pre: p as string });
    })],
    ['SetMetadata', method(['string'], ([m]) => {
      if ((m as string).length > 0) validateMetadata(m as string);
      return next(v, { metadata: m as string });
    })],
    ['MarshalJSON', method([], () => bytesOf(JSON.stringify(str)))],
    ['MarshalText', method([], () => bytesOf(str))],
  ]);
  if (pointer) {
    const cmp = (o: GoValue) => compareVersions(v, other(o));
    methods.set('Original', method([], () => v.original));
    methods.set('LessThan', method([PTR], ([o]) => cmp(o!) < 0));
    methods.set('LessThanEqual', method([PTR], ([o]) => cmp(o!) <= 0));
    methods.set('GreaterThan', method([PTR], ([o]) => cmp(o!) > 0));
    methods.set('GreaterThanEqual', method([PTR], ([o]) => cmp(o!) >= 0));
    methods.set('Equal', method([PTR], ([o]) => o instanceof GoObject && cmp(o) === 0));
    methods.set('Compare', method([PTR], ([o]) => BigInt(cmp(o!))));
  }
  const obj = new GoObject(pointer ? PTR : VAL, pointer ? 'ptr' : 'struct', new Map(), methods, () => str, () => JSON.stringify(str), [
    'major', 'minor', 'patch', 'pre', 'metadata', 'original',
  ]);
  versionOf.set(obj, v);
  return obj;
}

function bytesOf(s: string): GoSlice {
  return new GoSlice('uint8', [...s].map((c) => new GoInt('uint8', BigInt(c.charCodeAt(0)))));
}

/** sprig `semver`: semver.NewVersion. */
export function semverFunc(version: string): GoObject {
  try {
    const v = newVersion(toText(version));
    return semverObject({ ...v, pre: fromText(v.pre), metadata: fromText(v.metadata), original: version });
  } catch (e) {
    if (e instanceof SemverError) throw new CallError(e.message);
    throw e;
  }
}
