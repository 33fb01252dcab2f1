/**
 * The exact value lookups ESO's providers perform (ESO v2.9.0 providers/v1/aws/secretsmanager, providers/v1/vault, providers/v1/fake). Each returns the bytes
 * ESO would put in the Secret, or `undefined` where ESO reports "not found"; the caller raises the
 * provider's own error (AWS: `key %s does not exist in secret %s`; Vault: `cannot find secret data for
 * key: %q`; fake: NoSecretErr). Decoding failures throw GoJsonError carrying Go's message, which callers
 * wrap as ESO does (`unable to unmarshal secret %s: %w`, ...).
 */
import {
  goByteValue,
  marshal,
  unmarshalObject,
  unmarshalRawObject,
  unmarshalStringOrNull,
  type GoValue,
} from '../gojson/index.ts';
import { exists, getRaw, resultString } from './get.ts';
import { byteStringToBytes, toByteString } from './result.ts';

/**
 * AWS Secrets Manager `GetSecret` with a `property` (§7.1 step 4). `payload` is the SecretString (or the
 * SecretBinary bytes). A property containing `.` is first tried as one literal key (every `.` escaped),
 * then as a gjson path. Value = gjson `Result.String()`.
 */
export function awsPropertyOf(payload: string | Uint8Array, property: string): Uint8Array | undefined {
  const json = toByteString(payload);
  const path = toByteString(property);
  if (path.includes('.')) {
    const literal = getRaw(json, path.replaceAll('.', '\\.'));
    if (exists(literal)) return byteStringToBytes(resultString(literal));
  }
  const r = getRaw(json, path);
  return exists(r) ? byteStringToBytes(resultString(r)) : undefined;
}

/**
 * Azure Key Vault `getProperty` (ESO providers/v1/azure/keyvault/keyvault.go): gjson first; only when that
 * finds nothing and the property contains `.`, the property as one literal key (every `.` escaped) —
 * the reverse of AWS's order. Value = gjson `Result.String()`.
 */
export function azurePropertyOf(payload: string | Uint8Array, property: string): Uint8Array | undefined {
  const json = toByteString(payload);
  const path = toByteString(property);
  const r = getRaw(json, path);
  if (exists(r)) return byteStringToBytes(resultString(r));
  if (!path.includes('.')) return undefined;
  const literal = getRaw(json, path.replaceAll('.', '\\.'));
  return exists(literal) ? byteStringToBytes(resultString(literal)) : undefined;
}

/**
 * AWS `metadataPolicy: Fetch` (§7.1 step 5): the secret's tags as `json.Marshal(map[string]string)`
 * (sorted keys, HTML-escaped; a repeated key keeps its last value). Select a tag from it with
 * `awsPropertyOf(tagsJSON, property)`.
 */
export function awsTagsJSON(tags: Iterable<readonly [string, string]>): Uint8Array {
  return Buffer.from(marshal(new Map<string, GoValue>(tags)), 'utf8');
}

/** The fake provider's `property` (§7.3): plain `gjson.Get(value, property).String()`. */
export function fakePropertyOf(value: string | Uint8Array, property: string): Uint8Array | undefined {
  const r = getRaw(toByteString(value), toByteString(property));
  return exists(r) ? byteStringToBytes(resultString(r)) : undefined;
}

/**
 * Vault KV `GetSecret` value selection (§7.2 getSecretValue). `data` is the KV data map decoded the way
 * the Vault client decodes it (`unmarshalObject(text, { useNumber: true })`, or the metadata map of
 * strings for `metadataPolicy: Fetch`).
 * 1. no property → `json.Marshal(data)`;
 * 2. property is a top-level key (dots and all) → GetByteValue of that value;
 * 3. otherwise gjson over the step-1 JSON → `Result.String()`; missing → undefined.
 */
export function vaultValueOf(data: Map<string, GoValue>, property?: string): Uint8Array | undefined {
  const whole = marshal(data);
  if (!property) return Buffer.from(whole, 'utf8');
  if (data.has(property)) return goByteValue(data.get(property)!);
  const r = getRaw(toByteString(whole), toByteString(property));
  return exists(r) ? byteStringToBytes(resultString(r)) : undefined;
}

/** A key map that is safe for any key (including `__proto__`). */
function keyMap(): Record<string, Uint8Array> {
  return Object.create(null) as Record<string, Uint8Array>;
}

/**
 * Vault `GetSecretMap` (§7.2 extract): the bytes from `vaultValueOf` decoded again into
 * `map[string]interface{}` *without* UseNumber (numbers become float64: `1.50`→`1.5`,
 * `12345678901234567890`→`12345678901234567000`), each value through GetByteValue. Throws GoJsonError
 * (e.g. `json: cannot unmarshal string into Go value of type map[string]interface {}`).
 */
export function vaultExtractMap(secretValue: Uint8Array): Record<string, Uint8Array> {
  const m = unmarshalObject(secretValue);
  const out = keyMap();
  for (const [k, v] of m) out[k] = goByteValue(v);
  return out;
}

/**
 * AWS (and fake) `GetSecretMap` value decoding (§7.1): `map[string]json.RawMessage`; a JSON string value
 * becomes its decoded text, `null` becomes empty, anything else keeps its raw JSON bytes verbatim.
 * Throws GoJsonError (e.g. `json: cannot unmarshal array into Go value of type map[string]json.RawMessage`).
 */
export function awsExtractMap(secretValue: Uint8Array | string): Record<string, Uint8Array> {
  const m = unmarshalRawObject(secretValue);
  const out = keyMap();
  for (const [k, raw] of m) {
    const s = unmarshalStringOrNull(raw);
    out[k] = s === undefined ? raw : Buffer.from(s, 'utf8');
  }
  return out;
}
