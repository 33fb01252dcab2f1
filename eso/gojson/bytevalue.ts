import { formatFloatF } from './float.ts';
import { marshal } from './encode.ts';
import { GoNumber, type GoValue } from './value.ts';

/**
 * ESO's `esutils.GetByteValue` for decoded JSON values: strings as their bytes, float64 via
 * `FormatFloat('f', -1)` (`1.50`→`1.5`, `1e3`→`1000`), `json.Number` as its text, bools as
 * `true`/`false`, nil as empty, maps and slices via `json.Marshal` (sorted, compact, HTML-escaped).
 */
export function goByteValue(v: GoValue): Uint8Array {
  if (v === null) return new Uint8Array(0);
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  if (typeof v === 'number') return Buffer.from(formatFloatF(v), 'latin1');
  if (typeof v === 'boolean') return Buffer.from(v ? 'true' : 'false', 'latin1');
  if (v instanceof GoNumber) return Buffer.from(v.text, 'utf8');
  return Buffer.from(marshal(v), 'utf8');
}
