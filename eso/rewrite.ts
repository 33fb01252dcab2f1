/**
 * dataFrom[].rewrite (ESO v2.9.0 runtime/esutils/utils.go RewriteMap): regexp (Go RE2 + Go replacement
 * expansion), transform (Go template, no missingkey=error) and merge (JSON objects, all policies).
 * Operations apply in order, each to the previous output.
 */
import { EsiError } from '../core/index.ts';
import { EsoError, wrapError } from './errors.ts';
import { compareBytes } from './hash.ts';
import { compileGoRegexp, goReplaceAllString } from './goregexp.ts';
import { goQuote } from '../core/go/strconv.ts';
import { goByteValue, marshal, unmarshalObject, type GoValue } from './gojson/index.ts';
import { newDataMap, type SecretDataMap } from './provider.ts';
import type { TemplateEngine } from './templating.ts';
import type { Rewrite, RewriteMerge, RewriteRegexp, RewriteTransform } from './types.ts';
import { requireTemplateEngine } from './templating.ts';

const fail = (message: string): never => {
  throw new EsoError('rewrite', message);
};

function sortedKeys(m: SecretDataMap): string[] {
  return Object.keys(m).sort(compareBytes);
}

export function rewriteRegexp(op: RewriteRegexp, input: SecretDataMap): SecretDataMap {
  let re;
  try {
    re = compileGoRegexp(op.source ?? '');
  } catch (e) {
    throw wrapError('regexp failed with failed to compile: ', e);
  }
  const out = newDataMap();
  for (const k of sortedKeys(input)) out[goReplaceAllString(re, k, op.target ?? '')] = input[k]!;
  return out;
}

export function rewriteTransform(op: RewriteTransform, input: SecretDataMap, engine: TemplateEngine | undefined): SecretDataMap {
  const e = requireTemplateEngine(engine, 'rewrite transform');
  let render: (key: string) => string;
  try {
    render = e.compileTransform(op.template ?? '');
  } catch (err) {
    throw wrapError('transform failed with failed to parse template: ', err);
  }
  const out = newDataMap();
  for (const k of sortedKeys(input)) {
    let nk: string;
    try {
      nk = render(k);
    } catch (err) {
      throw wrapError(`transform failed with failed to execute template for key ${goQuote(k)}: `, err);
    }
    out[nk] = input[k]!;
  }
  return out;
}

export function rewriteMerge(op: RewriteMerge, input: SecretDataMap): SecretDataMap {
  const priority = op.priority ?? [];
  const keys = sortedKeys(input).filter((k) => !priority.includes(k));
  keys.push(...priority);
  const merged = new Map<string, GoValue>();
  const conflicts: string[] = [];
  for (const key of keys) {
    if (!Object.prototype.hasOwnProperty.call(input, key)) {
      if (op.priorityPolicy === 'IgnoreNotFound') continue;
      fail(`merge failed with key ${goQuote(key)} not found in input map`);
    }
    let obj: Map<string, GoValue>;
    try {
      obj = unmarshalObject(input[key]!);
    } catch (e) {
      throw wrapError('merge failed with failed to unmarshal JSON: ', e);
    }
    for (const [k, v] of obj) {
      if (merged.has(k)) conflicts.push(k);
      merged.set(k, v);
    }
  }
  if (op.conflictPolicy !== 'Ignore' && conflicts.length > 0) {
    fail(`merge failed with conflicts: ${conflicts.join(', ')}`);
  }
  const strategy = op.strategy ?? '';
  if (strategy === 'Extract' || strategy === '') {
    const out = newDataMap();
    for (const [k, v] of merged) out[k] = goByteValue(v);
    return out;
  }
  if (strategy === 'JSON') {
    if (!op.into) fail("merge failed with missing 'into' field");
    let text: string;
    try {
      text = marshal(merged, { escapeHTML: false });
    } catch (e) {
      throw wrapError('merge failed with failed to marshal merged map: ', e);
    }
    const out = newDataMap();
    Object.assign(out, input);
    out[op.into!] = Buffer.from(text, 'utf8');
    return out;
  }
  return newDataMap();
}

/** RewriteMap: `failed rewrite operation[%v]: %w`. An operation with nothing set passes keys through. */
export function applyRewrites(rewrites: Rewrite[], data: SecretDataMap, engine?: TemplateEngine): SecretDataMap {
  let cur = data;
  for (const [i, op] of rewrites.entries()) {
    try {
      if (op.merge) cur = rewriteMerge(op.merge, cur);
      else if (op.regexp) cur = rewriteRegexp(op.regexp, cur);
      else if (op.transform) cur = rewriteTransform(op.transform, cur, engine);
    } catch (e) {
      if (!(e instanceof EsiError)) throw e;
      if (e.code === 'not-available') throw e;
      throw wrapError(`failed rewrite operation[${i}]: `, e);
    }
  }
  return cur;
}
