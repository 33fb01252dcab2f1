/** decodingStrategy (ESO v2.9.0 runtime/decoding/decoding.go) with Go encoding/base64's strict, padded rules. */
import { EsiError } from '../core/index.ts';
import { newDataMap, type SecretDataMap } from './provider.ts';
import type { DecodingStrategy } from './types.ts';

const STD = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * Go's base64.Encoding.DecodeString with padding: '\r' and '\n' are skipped anywhere; any other byte
 * outside the alphabet, a misplaced '=' or a short final quantum is `illegal base64 data at input byte N`
 * where N is Go's offset.
 */
export function goBase64Decode(input: Uint8Array, alphabet: 'std' | 'url'): Uint8Array {
  const table = alphabet === 'std' ? STD : URL;
  const out: number[] = [];
  let si = 0;
  const n = input.length;
  const illegal = (at: number): never => {
    throw new EsiError('base64', `illegal base64 data at input byte ${at}`);
  };
  while (si < n) {
    const dbuf = [0, 0, 0, 0];
    let dlen = 4;
    let j = 0;
    for (; j < 4; j++) {
      if (si === n) {
        if (j === 0) return Uint8Array.from(out);
        // Go: j==1 or padding expected → error at si - j
        return illegal(si - j);
      }
      const c = input[si]!;
      si++;
      if (c === 0x0a || c === 0x0d) {
        j--;
        continue;
      }
      const v = table.indexOf(String.fromCharCode(c));
      if (v >= 0 && c < 0x80) {
        dbuf[j] = v;
        continue;
      }
      if (c !== 0x3d /* = */) return illegal(si - 1);
      // padding
      switch (j) {
        case 0:
        case 1:
          return illegal(si - 1);
        case 2: {
          // skip newlines, expect a second '='
          while (si < n && (input[si] === 0x0a || input[si] === 0x0d)) si++;
          if (si === n) return illegal(n);
          if (input[si] !== 0x3d) return illegal(si - 1);
          si++;
        }
      }
      while (si < n && (input[si] === 0x0a || input[si] === 0x0d)) si++;
      if (si < n) return illegal(si);
      dlen = j;
      break;
    }
    const val = (dbuf[0]! << 18) | (dbuf[1]! << 12) | (dbuf[2]! << 6) | dbuf[3]!;
    const bytes = [(val >> 16) & 0xff, (val >> 8) & 0xff, val & 0xff];
    if (dlen === 4) out.push(...bytes);
    else if (dlen === 3) out.push(bytes[0]!, bytes[1]!);
    else if (dlen === 2) out.push(bytes[0]!);
    if (dlen < 4) return Uint8Array.from(out);
  }
  return Uint8Array.from(out);
}

export function decode(strategy: DecodingStrategy, value: Uint8Array): Uint8Array {
  switch (strategy) {
    case '':
    case 'None':
      return value;
    case 'Base64':
      return goBase64Decode(value, 'std');
    case 'Base64URL':
      return goBase64Decode(value, 'url');
    case 'Auto':
      for (const a of ['std', 'url'] as const) {
        try {
          return goBase64Decode(value, a);
        } catch {
          /* next */
        }
      }
      return value;
    default:
      throw new EsiError('decoding', `decoding strategy ${String(strategy)} is not supported`);
  }
}

export function decodeMap(strategy: DecodingStrategy, data: SecretDataMap): SecretDataMap {
  const out = newDataMap();
  for (const [k, v] of Object.entries(data)) {
    try {
      out[k] = decode(strategy, v);
    } catch (e) {
      throw new EsiError('decoding', `failure decoding key ${k}: ${(e as Error).message}`, { cause: e });
    }
  }
  return out;
}
