/**
 * The float64 text conversions of ESO's output: the ParseFloat and FormatFloat uses of Go's
 * `encoding/json` (decoding numbers, the encoder's float64 branch) and gjson, on core/go/strconv.ts.
 */
import { formatFloat, parseFloat64 } from '../../core/go/strconv.ts';

/** `strconv.ParseFloat(s, 64)` ignoring the error: the value Go returns (0 on a syntax error, ±Inf on overflow). */
export function parseFloatGo(s: string): number {
  return parseFloat64(s).value;
}

/** `strconv.FormatFloat(x, 'f', -1, 64)`: `1.5`, `1000`, `12345678901234567000`, `-0`, `NaN`, `+Inf`. */
export function formatFloatF(x: number): string {
  return formatFloat(x, 'f', -1);
}

/**
 * How Go's `encoding/json` prints a float64: `'f'` layout for 1e-6 <= |x| < 1e21, otherwise `'e'` with a
 * two-digit minimum exponent trimmed for negative exponents (`1e-7`, `1e+21`). NaN and ±Inf are not
 * representable (Go returns an UnsupportedValueError; callers never produce them from parsed JSON).
 */
export function formatFloatJSON(x: number): string {
  const abs = Math.abs(x);
  if (abs === 0 || (abs >= 1e-6 && abs < 1e21)) return formatFloat(x, 'f', -1);
  return formatFloat(x, 'e', -1).replace(/e-0(\d)$/, 'e-$1');
}
