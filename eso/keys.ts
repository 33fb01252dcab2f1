/** Key conversion and validation after fetching (ESO v2.9.0 runtime/esutils/utils.go ConvertKeys, ValidateKeys). */
import { EsoError } from './errors.ts';
import { compareBytes } from './hash.ts';
import { newDataMap, type SecretDataMap } from './provider.ts';
import type { ConversionStrategy } from './types.ts';

const KEPT = /^[\p{L}\p{N}\-._]$/u;

/** ESO's `convert` for one key: letters, numbers, `-`, `.`, `_` kept; others `_` (Default) or `_U%04x_` (Unicode). */
export function convertKey(strategy: ConversionStrategy | string, key: string): string {
  let out = '';
  for (const ch of key) {
    if (KEPT.test(ch)) out += ch;
    else if (strategy === 'Default' || strategy === '') out += '_';
    else if (strategy === 'Unicode') {
      const c = ch.codePointAt(0)!;
      out += `_U${(c >= 0xd800 && c < 0xe000 ? 0xfffd : c).toString(16).padStart(4, '0')}_`;
    } else out += ch;
  }
  return out;
}

/** ConvertKeys: `secret name collision during conversion: %s` when two keys convert to the same one. */
export function convertKeys(strategy: ConversionStrategy | string, data: SecretDataMap): SecretDataMap {
  const out = newDataMap();
  for (const k of Object.keys(data).sort(compareBytes)) {
    const nk = convertKey(strategy, k);
    if (Object.prototype.hasOwnProperty.call(out, nk)) {
      throw new EsoError('conversion', `secret name collision during conversion: ${nk}`);
    }
    out[nk] = data[k]!;
  }
  return out;
}

/** Deletes empty keys silently; rejects keys too long (in bytes) or with invalid characters, as ESO does. */
export function validateKeys(data: SecretDataMap): SecretDataMap {
  const out = newDataMap();
  for (const k of Object.keys(data).sort(compareBytes)) {
    if (k === '') continue;
    const bytes = Buffer.from(k, 'utf8');
    if (bytes.length > 253) {
      throw new EsoError('invalid-key', `key has length ${bytes.length} but max is 253: (following is truncated): ${bytes.subarray(0, 253).toString('utf8')}`);
    }
    for (const ch of k) {
      if (!KEPT.test(ch)) {
        const shown = ch.length === 1 && ch.charCodeAt(0) >= 0xd800 && ch.charCodeAt(0) < 0xe000 ? '\uFFFD' : ch;
        throw new EsoError('invalid-key', `key has invalid character ${shown}, only alphanumeric, '-', '.' and '_' are allowed: ${k}`);
      }
    }
    out[k] = data[k]!;
  }
  return out;
}
