/** The function map ESO v2 templates see: Go builtins, sprig (as ESO vendors it) and ESO's additions. */
import { builtins } from './builtins.ts';
import { esoFuncs } from './eso-funcs.ts';
import type { FuncDef } from './exec.ts';
import { type SprigEnv, sprigFuncs } from './sprig.ts';

export function esoFuncMap(env: SprigEnv): Map<string, FuncDef> {
  // User functions shadow builtins in text/template (sprig's `slice` replaces the builtin one).
  return new Map(Object.entries({ ...builtins, ...sprigFuncs(env), ...esoFuncs() }));
}
