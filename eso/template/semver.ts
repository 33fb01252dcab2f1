/** Masterminds/semver v3.4.0 (ESO v2.9.0's runtime/go.mod; sprig's semver and semverCompare): versions, constraints and Check. */
import { compileGoRegexp, goAllMatches, goMatchString, goReplaceAll, GoSearch, type GoRegexp } from '../goregexp.ts';

export class SemverError extends Error {}

export interface Version {
  major: bigint;
  minor: bigint;
  patch: bigint;
  pre: string;
  metadata: string;
  /** the text NewVersion parsed (Version.Original) */
  original: string;
}

const versionRe =
  /^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*))?(\+([0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*))?$/;

/** semver.NewVersion, coercing as v3.4.0 does by default ("1", "1.2", "v1.2.3" accepted; version.go coerceNewVersion). */
export function newVersion(v: string): Version {
  const m = versionRe.exec(v);
  if (!m) throw new SemverError('invalid semantic version');
  const seg = (s: string | undefined) => {
    if (s === undefined) return 0n;
    const n = BigInt(s.replace(/^\./, ''));
    if (n > 0xffffffffffffffffn) throw new SemverError(`error parsing version segment: strconv.ParseUint: parsing ${JSON.stringify(s.replace(/^\./, ''))}: value out of range`);
    return n;
  };
  const pre = m[5] ?? '';
  for (const part of pre ? pre.split('.') : []) {
    if (/^[0-9]+$/.test(part) && part.length > 1 && part[0] === '0') throw new SemverError('version segment starts with 0');
  }
  return { major: seg(m[1]), minor: seg(m[2]), patch: seg(m[3]), pre, metadata: m[8] ?? '', original: v };
}

function comparePrePart(a: string, b: string): number {
  if (a === b) return 0;
  const an = /^[0-9]+$/.test(a);
  const bn = /^[0-9]+$/.test(b);
  if (an && bn) return BigInt(a) > BigInt(b) ? 1 : -1;
  if (an) return -1;
  if (bn) return 1;
  return a > b ? 1 : -1;
}

function comparePre(a: string, b: string): number {
  if (a === b) return 0;
  if (a === '') return 1;
  if (b === '') return -1;
  const ap = a.split('.');
  const bp = b.split('.');
  for (let i = 0; i < Math.max(ap.length, bp.length); i++) {
    if (i >= ap.length) return -1;
    if (i >= bp.length) return 1;
    const d = comparePrePart(ap[i]!, bp[i]!);
    if (d !== 0) return d;
  }
  return 0;
}

export function compareVersions(a: Version, b: Version): number {
  for (const k of ['major', 'minor', 'patch'] as const) {
    if (a[k] !== b[k]) return a[k] > b[k] ? 1 : -1;
  }
  return comparePre(a.pre, b.pre);
}

interface Constraint {
  op: string;
  con: Version;
  dirty: boolean;
  minorDirty: boolean;
  patchDirty: boolean;
}

const cv = 'v?([0-9|x|X|\\*]+)(\\.[0-9|x|X|\\*]+)?(\\.[0-9|x|X|\\*]+)?(-([0-9A-Za-z\\-]+(\\.[0-9A-Za-z\\-]+)*))?(\\+([0-9A-Za-z\\-]+(\\.[0-9A-Za-z\\-]+)*))?';
const ops = '>=|=>|<=|=<|!=|~>|=|>|<|~|\\^|';
/**
 * Masterminds' constraint regexps (constraints.go), run as Go runs them: on V8's backtracking engine
 * the validity check took minutes on `1   1   1 … 1!` (spaces split three ways between the groups).
 * Compiled on first use: the regexp engine is loaded with the template engine.
 */
let regexps: { constraint: GoRegexp; range: GoRegexp; find: GoRegexp; valid: GoRegexp } | undefined;
function constraintRegexps(): NonNullable<typeof regexps> {
  return (regexps ??= {
    constraint: compileGoRegexp(`^\\s*(${ops})\\s*(${cv})\\s*$`),
    range: compileGoRegexp(`\\s*(${cv})\\s+-\\s+(${cv})\\s*`),
    find: compileGoRegexp(`(${ops})\\s*(${cv})`),
    valid: compileGoRegexp(`^(\\s*(${ops})\\s*(${cv})\\s*)((?:\\s+|,\\s*)(${ops})\\s*(${cv})\\s*)*$`),
  });
}

/** Group `n` of a match (indices from GoSearch.at), undefined when it did not take part. */
const group = (s: string, m: number[], n: number): string | undefined => (m[2 * n]! >= 0 ? s.slice(m[2 * n], m[2 * n + 1]) : undefined);

const isX = (s: string) => s === 'x' || s === 'X' || s === '*';

function parseConstraint(c: string): Constraint {
  if (c.length === 0) {
    return { op: '', con: newVersion('0.0.0'), dirty: true, minorDirty: false, patchDirty: false };
  }
  const m = new GoSearch(constraintRegexps().constraint, c).at(0);
  if (!m) throw new SemverError(`improper constraint: ${c}`);
  const [op, major, minor, patch, pre] = [1, 3, 4, 5, 6].map((n) => group(c, m, n) ?? '') as [string, string, string, string, string];
  let ver = group(c, m, 2)!;
  let dirty = false;
  let minorDirty = false;
  let patchDirty = false;
  if (isX(major) || major === '') {
    ver = `0.0.0${pre}`;
    dirty = true;
  } else if (isX(minor.replace(/^\./, '')) || minor === '') {
    minorDirty = true;
    dirty = true;
    ver = `${major}.0.0${pre}`;
  } else if (isX(patch.replace(/^\./, '')) || patch === '') {
    dirty = true;
    patchDirty = true;
    ver = `${major}${minor}.0${pre}`;
  }
  let con: Version;
  try {
    con = newVersion(ver);
  } catch {
    throw new SemverError('constraint parser error');
  }
  return { op: op!, con, dirty, minorDirty, patchDirty };
}

/**
 * semver.NewConstraint(c).Check(v). Since v3.4.0 a prerelease version can match only in an OR group where
 * some constraint names a prerelease (constraints.go Constraints.containsPre).
 */
export function semverCheck(constraint: string, version: string): boolean {
  const re = constraintRegexps();
  // rangeRegex.ReplaceAllString(c, ">= $1, <= $11 ")
  const rewritten = goReplaceAll(re.range, constraint, (m) => `>= ${group(constraint, m, 1) ?? ''}, <= ${group(constraint, m, 11) ?? ''} `);
  const groups: Constraint[][] = [];
  for (const part of rewritten.split('||')) {
    if (!goMatchString(re.valid, part)) throw new SemverError(`improper constraint: ${part}`);
    const all = goAllMatches(re.find, part, -1).map((m) => part.slice(m[0], m[1]));
    const found = all.length > 0 ? all : [part];
    groups.push(found.map((s) => parseConstraint(s)));
  }
  const v = newVersion(version);
  return groups.some((g) => {
    const includePre = g.some((c) => c.con.pre !== '');
    return g.every((c) => check(v, c, includePre));
  });
}

function check(v: Version, c: Constraint, includePre: boolean): boolean {
  if (v.pre !== '' && !includePre) return false;
  const cmp = compareVersions(v, c.con);
  switch (c.op) {
    case '':
    case '=':
      return c.dirty ? tilde(v, c) : cmp === 0;
    case '!=':
      if (c.dirty) {
        if (c.con.major !== v.major) return true;
        if (c.con.minor !== v.minor && !c.minorDirty) return true;
        if (c.minorDirty) return false;
        if (c.con.patch !== v.patch && !c.patchDirty) return true;
        if (c.patchDirty) return (v.pre !== '' || c.con.pre !== '') && comparePre(v.pre, c.con.pre) !== 0;
      }
      return cmp !== 0;
    case '>':
      if (!c.dirty) return cmp === 1;
      if (v.major > c.con.major) return true;
      if (v.major < c.con.major) return false;
      if (c.minorDirty) return false;
      if (c.patchDirty) return v.minor > c.con.minor;
      return cmp === 1;
    case '<':
      return cmp < 0;
    case '>=':
    case '=>':
      return cmp >= 0;
    case '<=':
    case '=<':
      if (!c.dirty) return cmp <= 0;
      if (v.major > c.con.major) return false;
      if (v.major === c.con.major && v.minor > c.con.minor && !c.minorDirty) return false;
      return true;
    case '~':
    case '~>':
      return tilde(v, c);
    case '^':
      if (cmp < 0) return false;
      if (c.con.major > 0n || c.minorDirty) return v.major === c.con.major;
      if (c.con.major === 0n && v.major > 0n) return false;
      if (c.con.minor > 0n || c.patchDirty) return v.minor === c.con.minor;
      if (c.con.minor === 0n && v.minor > 0n) return false;
      return c.con.patch === v.patch;
  }
  return false;
}

function tilde(v: Version, c: Constraint): boolean {
  if (compareVersions(v, c.con) < 0) return false;
  if (c.con.major === 0n && c.con.minor === 0n && c.con.patch === 0n && !c.minorDirty && !c.patchDirty) return true;
  if (v.major !== c.con.major) return false;
  if (v.minor !== c.con.minor && !c.minorDirty) return false;
  return true;
}
