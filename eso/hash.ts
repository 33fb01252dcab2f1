import { createHash } from 'node:crypto';
import type { SecretDataMap } from './provider.ts';

const sha3_224 = (s: string | Uint8Array): string => createHash('sha3-224').update(s).digest('hex');

/**
 * ESO's ObjectHash of a Secret's data: sha3-224 of Go's `fmt.Sprintf("%+v", map[string][]byte)`,
 * i.e. `map[k1:[1 2 3] k2:[]]` with keys in Go's sorted (byte) order.
 */
export function dataHash(data: SecretDataMap): string {
  const keys = Object.keys(data).sort(compareBytes);
  const entries = keys.map((k) => `${k}:[${Array.from(data[k]!).join(' ')}]`);
  return sha3_224(`map[${entries.join(' ')}]`);
}

/** Value of label `reconcile.external-secrets.io/created-by`: hex sha3-224 of `<namespace>/<name>`. */
export function createdByHash(namespace: string, name: string): string {
  return sha3_224(`${namespace}/${name}`);
}

/** Go sorts map keys as byte strings; JS sorts UTF-16 code units. They differ above the BMP. */
export function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
