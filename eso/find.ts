/**
 * `dataFrom[].find.name.regexp` as ESO compiles it (`find.New` in ESO's pkg/find): Go's regexp.Compile.
 * Shared by every provider's find.
 */
import { wrapError } from './errors.ts';
import { compileGoRegexp, goMatchString } from './goregexp.ts';

/** find.name.regexp compiled: `test` is Go's MatchString (unanchored). */
export interface FindRegexp {
  test(name: string): boolean;
}

/** Compile errors are `could not compile find.name.regexp [%s]: %w` with Go's text. */
export function compileFindRegexp(source: string): FindRegexp {
  try {
    const re = compileGoRegexp(source);
    return { test: (name) => goMatchString(re, name) };
  } catch (e) {
    throw wrapError(`could not compile find.name.regexp [${source}]: `, e);
  }
}
