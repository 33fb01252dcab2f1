/**
 * The gjson calls the AWS and Vault providers make (`gjson.Get(json, path)` → `Exists()`, `String()`).
 *
 * Interim adapter: `eso/gjson` (the project's gjson v1.18.0 port, written in parallel) replaces the body
 * of `gjsonGet` once it lands; this file then only re-exports it. Until then it covers the common subset
 * of the path syntax: `.`-separated keys, `\` escapes, array indexes and `#` (array length). Anything else
 * (wildcards, queries, modifiers) is reported as not existing. Pure: no I/O.
 */
import { formatFloatF, goParseTree, GoNumber, type Node } from './vault-gojson.ts';

export interface GjsonResult {
  exists: boolean;
  /** gjson `Result.String()`. */
  string: string;
}

const NONE: GjsonResult = { exists: false, string: '' };

function splitPath(path: string): string[] | undefined {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < path.length; i++) {
    const c = path[i];
    if (c === '\\' && i + 1 < path.length) {
      cur += path[++i];
      continue;
    }
    if (c === '*' || c === '?' || c === '|' || c === '@' || c === '(' || c === '!' || c === '=') return undefined;
    if (c === '.') {
      parts.push(cur);
      cur = '';
      continue;
    }
    cur += c;
  }
  parts.push(cur);
  return parts;
}

/** gjson `Result.String()` of a node of `bytes`. */
function resultString(bytes: Uint8Array, n: Node): string {
  const v = n.value;
  if (v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v instanceof GoNumber) {
    // gjson keeps an all-digit raw number as written; anything else goes through float64.
    return /^-?[0-9]+$/.test(v.text) ? v.text : formatFloatF(Number(v.text));
  }
  return Buffer.from(bytes.subarray(n.start, n.end)).toString('utf8');
}

export function gjsonGet(json: string | Uint8Array, path: string): GjsonResult {
  const bytes = typeof json === 'string' ? Buffer.from(json, 'utf8') : json;
  const parts = splitPath(path);
  if (!parts || path === '') return NONE;
  let node: Node;
  try {
    node = goParseTree(bytes);
  } catch {
    return NONE;
  }
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (node.entries) {
      // gjson scans the object and stops at the first matching key.
      const hit = node.entries.find((e) => e.key === part);
      if (!hit) return NONE;
      node = hit.node;
    } else if (node.items) {
      if (part === '#') {
        if (i !== parts.length - 1) return NONE;
        return { exists: true, string: String(node.items.length) };
      }
      if (!/^[0-9]+$/.test(part)) return NONE;
      const item = node.items[Number(part)];
      if (!item) return NONE;
      node = item;
    } else return NONE;
  }
  return { exists: true, string: resultString(bytes, node) };
}
