/**
 * Go `encoding/json` and `strconv` behaviour that decides the bytes ESO writes (the value tables in eso/gjson/gjson.test.ts and providers/vault/eso.test.ts):
 * - `unmarshalAny` / `unmarshalObject` / `unmarshalRawObject`: `json.Unmarshal` into `interface{}`,
 *   `map[string]interface{}`, `map[string]json.RawMessage`, with Go's error messages (`GoJsonError`);
 *   `useNumber: true` keeps numbers as `GoNumber` text, the way the Vault client decodes responses.
 * - `marshal` / `marshalBytes`: `json.Marshal` (compact, keys in UTF-8 byte order, `<>&` and U+2028/9
 *   escaped; `escapeHTML: false` for an Encoder with SetEscapeHTML(false)).
 * - `goByteValue`: ESO's GetByteValue (how a decoded value becomes Secret bytes).
 * - `formatFloatF` (`FormatFloat(f,'f',-1,64)`), `formatFloatJSON` (encoding/json float64),
 *   `parseFloatGo` (`ParseFloat(s,64)` ignoring the error), `decodeUtf8Go` (bytes → text, invalid bytes → U+FFFD).
 */
export { GoNumber, type GoValue } from './value.ts';
export { GoJsonError } from './errors.ts';
export {
  unmarshalAny,
  unmarshalObject,
  unmarshalRawObject,
  unmarshalStringOrNull,
  validJSON,
  type UnmarshalOptions,
} from './decode.ts';
export { marshal, marshalBytes, quoteJSONString, compareGoStrings, type MarshalOptions } from './encode.ts';
export { parseFloatGo, formatFloatF, formatFloatJSON } from './float.ts';
export { decodeUtf8Go } from '../../core/go/utf8.ts';
export { goByteValue } from './bytevalue.ts';
