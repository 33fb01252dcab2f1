/**
 * gjson v1.18.0 property paths as ESO uses them, byte for byte (see get.ts for the supported syntax).
 *
 * General API: `get(json, path)` → `GjsonResult` (`exists`, `type`, `raw`, `str`, `num`, `string()` =
 * gjson's `String()`, `...Bytes` exact-byte variants, `get(path)` = `Result.Get`, `forEach` = `Result.ForEach`).
 *
 * Provider helpers (bytes ESO writes, or undefined where ESO reports "not found"):
 * - `awsPropertyOf(secretString, property)`   AWS GetSecret with property: literal dotted key first, then path.
 * - `azurePropertyOf(value, property)`        Azure Key Vault getProperty: path first, then the literal dotted key.
 * - `fakePropertyOf(value, property)`         fake provider: plain gjson.
 * - `vaultValueOf(kvData, property?)`         Vault: whole JSON / top-level key / gjson path.
 * - `vaultExtractMap(bytes)`                  Vault dataFrom.extract (float64 re-decoding).
 * - `awsExtractMap(bytes)`                    AWS and fake dataFrom.extract (RawMessage decoding).
 * - `awsTagsJSON(tags)`                       AWS metadataPolicy Fetch: the tags object property paths select from.
 * ESO itself never iterates gjson results (extract goes through encoding/json: use the helpers above).
 */
export { get, GjsonResult } from './result.ts';
export { GjsonTooDeepError, type GjsonType } from './get.ts';
export { awsPropertyOf, azurePropertyOf, awsTagsJSON, fakePropertyOf, vaultValueOf, vaultExtractMap, awsExtractMap } from './eso.ts';
