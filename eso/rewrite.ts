/** dataFrom[].rewrite (ESO-SEMANTICS §4.1). */
import { EsiError, NotAvailableError } from '../core/index.ts';
import type { SecretDataMap } from './provider.ts';
import type { Rewrite } from './types.ts';

/** Expands Go's regexp replacement template: $1, ${1}, ${name}; `$name` takes the longest word run. */
function expandGoTemplate(template: string, m: RegExpExecArray): string {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    if (c !== '$' || i + 1 >= template.length) {
      out += c;
      continue;
    }
    const next = template[i + 1]!;
    if (next === '$') {
      out += '$';
      i++;
      continue;
    }
    let name: string | undefined;
    let end = i + 1;
    if (next === '{') {
      const close = template.indexOf('}', i + 2);
      const candidate = close > 0 ? template.slice(i + 2, close) : '';
      if (close > 0 && /^[A-Za-z0-9_]+$/.test(candidate)) {
        name = candidate;
        end = close + 1;
      }
    } else {
      const word = /^[A-Za-z0-9_]+/.exec(template.slice(i + 1));
      if (word) {
        name = word[0];
        end = i + 1 + word[0].length;
      }
    }
    if (name === undefined) {
      out += c;
      continue;
    }
    if (/^[0-9]+$/.test(name)) out += m[Number(name)] ?? '';
    else out += m.groups?.[name] ?? '';
    i = end - 1;
  }
  return out;
}

function replaceAllGo(re: RegExp, key: string, target: string): string {
  const g = new RegExp(re.source, re.flags.includes('g') ? re.flags : re.flags + 'g');
  let out = '';
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = g.exec(key)) !== null) {
    out += key.slice(last, m.index) + expandGoTemplate(target, m);
    last = m.index + m[0].length;
    if (m[0].length === 0) g.lastIndex++;
  }
  return out + key.slice(last);
}

export function applyRewrites(rewrites: Rewrite[], data: SecretDataMap): SecretDataMap {
  let cur = data;
  for (const [i, op] of rewrites.entries()) {
    try {
      if (op.regexp) {
        let re: RegExp;
        try {
          re = new RegExp(op.regexp.source, 'u');
        } catch (e) {
          throw new EsiError('rewrite', `regexp failed with failed to compile: ${(e as Error).message}`);
        }
        const next: SecretDataMap = {};
        for (const [k, v] of Object.entries(cur)) next[replaceAllGo(re, k, op.regexp.target)] = v;
        cur = next;
      } else if (op.transform) {
        throw new NotAvailableError('rewrite transform');
      } else if (op.merge) {
        throw new NotAvailableError('rewrite merge');
      }
    } catch (e) {
      throw new EsiError(e instanceof EsiError ? e.code : 'rewrite', `failed rewrite operation[${i}]: ${(e as Error).message}`, { cause: e });
    }
  }
  return cur;
}
