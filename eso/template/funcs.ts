/** The function map ESO v2 templates see: Go builtins, sprig (as ESO vendors it) and ESO's additions. */
import { builtins } from './builtins.ts';
import { esoFuncs } from './eso-funcs.ts';
import type { FuncDef } from './exec.ts';
import { type SprigEnv, sprigFuncs } from './sprig.ts';

const cache = new WeakMap<(...a: never[]) => unknown, Map<string, FuncDef>>();
let pure: Map<string, FuncDef> | undefined;

function build(env: SprigEnv): Map<string, FuncDef> {
  // User functions shadow builtins in text/template (sprig's `slice` replaces the builtin one).
  return new Map(Object.entries({ ...builtins, ...sprigFuncs(env), ...esoFuncs(env) }));
}

/** The function map for a clock/random environment, built once per environment. */
export function esoFuncMap(env: SprigEnv): Map<string, FuncDef> {
  const key = env.randomBytes ?? env.now;
  if (!key) return (pure ??= build({}));
  let m = cache.get(key);
  if (!m) {
    m = build({ now: env.now, randomBytes: env.randomBytes });
    cache.set(key, m);
  }
  return m;
}
