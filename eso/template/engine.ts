/**
 * Executing one template as ESO does (`runtime/template/v2` execute) and ESO's v2.Execute over a
 * template map (scopes Values / KeysAndValues, targets Data / Labels / Annotations).
 */
import { fromBytes, fromText, toBytes, toText } from '../../core/go/utf8.ts';
import { TemplateError, TemplateExecError } from './errors.ts';
import { Executor } from './exec.ts';
import { esoFuncMap } from './funcs.ts';
import { parseTemplate } from './parse.ts';
import type { SprigEnv } from './sprig.ts';
import { GoMap, GoSlice, type GoValue, type Value } from './value.ts';

export interface ExecuteOptions extends SprigEnv {
  /** Template name used in Go's messages (`template: NAME:…`). ESO uses the Secret key. Default `t`. */
  name?: string;
  /** `error` (ESO's data/labels/annotations/templateFrom) or `default` (`<no value>`, rewrite transform). */
  missingKey?: 'error' | 'default';
  leftDelim?: string;
  rightDelim?: string;
  /** Output bound in bytes (default 1 MiB). */
  maxOutputBytes?: number;
  /** Execution step bound (default 1,000,000). */
  maxSteps?: number;
}

export const DEFAULT_MAX_OUTPUT_BYTES = 1 << 20;
export const DEFAULT_MAX_STEPS = 1_000_000;
const MAX_TEMPLATE_DEPTH = 1000;

/** Converts caller data to Go values. A record of strings/bytes becomes map[string]string, as ESO's root. */
export function toGoData(data: unknown): Value {
  if (data instanceof GoMap || data instanceof GoSlice) return data;
  if (data !== null && typeof data === 'object' && !Array.isArray(data) && !(data instanceof Uint8Array)) {
    const entries = Object.entries(data as Record<string, unknown>);
    if (entries.every(([, v]) => typeof v === 'string' || v instanceof Uint8Array)) {
      return new GoMap(
        'string',
        new Map(entries.map(([k, v]) => [fromText(k), typeof v === 'string' ? fromText(v) : fromBytes(v as Uint8Array)])),
      );
    }
  }
  const conv = (v: unknown): GoValue => {
    if (v === null || v === undefined) return null;
    if (typeof v === 'string') return fromText(v);
    if (v instanceof Uint8Array) return fromBytes(v);
    if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v) : v;
    if (typeof v === 'bigint' || typeof v === 'boolean') return v;
    if (Array.isArray(v)) return new GoSlice('interface {}', v.map(conv));
    return new GoMap('interface {}', new Map(Object.entries(v as object).map(([k, x]) => [fromText(k), conv(x)])));
  };
  return conv(data);
}

/**
 * Parses and executes one Go template (source is UTF-8 text; data as toGoData) with ESO's function map.
 * Returns the output bytes. Throws TemplateParseError / TemplateExecError with Go's message, or
 * TemplateLimitError when a bound is exceeded.
 */
export function renderTemplate(
  source: string | Uint8Array,
  data: unknown,
  opts: ExecuteOptions = {},
  parseOnly = false,
): Uint8Array {
  const name = opts.name ?? 't';
  const text = typeof source === 'string' ? fromText(source) : fromBytes(source);
  const funcs = esoFuncMap(opts);
  const bname = fromText(name);
  const trees = parseTemplate(bname, text, {
    leftDelim: opts.leftDelim,
    rightDelim: opts.rightDelim,
    hasFunction: (n) => funcs.has(n),
  });
  if (parseOnly) return new Uint8Array();
  const exec = new Executor(
    trees,
    funcs,
    {
      maxOutputBytes: opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES,
      maxSteps: opts.maxSteps ?? DEFAULT_MAX_STEPS,
      maxDepth: MAX_TEMPLATE_DEPTH,
      missingKey: opts.missingKey ?? 'error',
    },
    bname,
  );
  try {
    return toBytes(exec.run(toGoData(data)));
  } catch (e) {
    if (e instanceof TemplateError) throw e;
    // Anything else is a bug in the engine; surface it as an EsiError rather than a raw exception.
    throw new TemplateExecError(`template: ${name}: internal error: ${(e as Error).message}`);
  }
}

/** renderTemplate, decoded as UTF-8 text (invalid bytes become U+FFFD). */
export function executeTemplate(source: string, data: unknown, opts: ExecuteOptions = {}): string {
  return toText(fromBytes(renderTemplate(source, data, opts)));
}

