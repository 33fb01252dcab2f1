/**
 * Value selection and serialisation shared by the providers (ESO-SEMANTICS §7, §9).
 * Interim: a plain JSON walk. The gjson-exact implementation (eso/gjson, eso/gojson) replaces the
 * internals of these two functions; their signatures are the contract the providers use.
 */
import { EsiError } from '../core/index.ts';
import type { SecretDataMap } from './provider.ts';

export type PropertyMode = 'plain' | 'aws' | 'vault';

/** Selects `property` from a JSON document; undefined when it does not exist. */
export function getProperty(json: string, property: string, _mode: PropertyMode): string | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch {
    return undefined;
  }
  let cur: unknown = doc;
  for (const part of property.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    if (!Object.prototype.hasOwnProperty.call(cur, part)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  if (typeof cur === 'string') return cur;
  if (cur === null) return '';
  return JSON.stringify(cur);
}

/** `extract` of a JSON object into a key map, AWS/fake style (strings unquoted, raw text otherwise). */
export function extractJsonMap(bytes: Uint8Array, wrap: (err: string) => string): SecretDataMap {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (e) {
    throw new EsiError('unmarshal', wrap((e as Error).message));
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new EsiError('unmarshal', wrap('json: cannot unmarshal into Go value of type map[string]json.RawMessage'));
  }
  const out: SecretDataMap = {};
  for (const [k, v] of Object.entries(doc as Record<string, unknown>)) {
    out[k] = Buffer.from(typeof v === 'string' ? v : v === null ? '' : JSON.stringify(v), 'utf8');
  }
  return out;
}
