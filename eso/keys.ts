/** Key conversion and validation after fetching (ESO-SEMANTICS §4.2, §4.3). */
import { EsiError } from '../core/index.ts';
import type { SecretDataMap } from './provider.ts';
import type { ConversionStrategy } from './types.ts';

const KEPT = /^[\p{L}\p{N}\-._]$/u;

function convertKey(strategy: ConversionStrategy, key: string): string {
  let out = '';
  for (const ch of key) {
    if (KEPT.test(ch)) out += ch;
    else if (strategy === 'Unicode') out += `_U${ch.codePointAt(0)!.toString(16).padStart(4, '0')}_`;
    else out += '_';
  }
  return out;
}

export function convertKeys(strategy: ConversionStrategy, data: SecretDataMap): SecretDataMap {
  if (strategy !== '' && strategy !== 'Default' && strategy !== 'Unicode') {
    throw new EsiError('conversion', `conversion strategy ${strategy} is not supported`);
  }
  const out: SecretDataMap = {};
  for (const [k, v] of Object.entries(data)) {
    const nk = convertKey(strategy, k);
    if (Object.prototype.hasOwnProperty.call(out, nk)) {
      throw new EsiError('conversion', `secret name collision during conversion: ${nk}`);
    }
    out[nk] = v;
  }
  return out;
}

const VALID_KEY_CHAR = /^[\p{L}\p{N}\-._]$/u;

/** Deletes empty keys silently; rejects keys too long or with invalid characters, as ESO does. */
export function validateKeys(data: SecretDataMap): SecretDataMap {
  const out: SecretDataMap = {};
  for (const [k, v] of Object.entries(data)) {
    if (k === '') continue;
    if (Buffer.byteLength(k) > 253) {
      throw new EsiError('invalid-key', `key has length ${Buffer.byteLength(k)} but max is 253: (following is truncated): ${k.slice(0, 253)}`);
    }
    for (const ch of k) {
      if (!VALID_KEY_CHAR.test(ch)) {
        throw new EsiError('invalid-key', `key has invalid character ${ch}, only alphanumeric, '-', '.' and '_' are allowed: ${k}`);
      }
    }
    out[k] = v;
  }
  return out;
}
