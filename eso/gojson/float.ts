/**
 * Go's float64 text conversions, as far as ESO's output depends on them:
 * `strconv.ParseFloat(s, 64)`, `strconv.FormatFloat(f, 'f', -1, 64)` and the float64 branch of
 * `encoding/json`'s encoder. JavaScript's `String(x)` already yields the shortest round-tripping digits
 * (the same digits Go's shortest formatting picks); only the layout differs.
 */

const DECIMAL = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;
const HEX = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?[0-9]+)$/;

/**
 * `strconv.ParseFloat(s, 64)` ignoring the error: the value Go returns, which is 0 on a syntax error and
 * ±Inf on overflow. Accepts what Go accepts: decimal, `inf`/`infinity` (any case, signed), `nan` (any case,
 * unsigned) and hexadecimal mantissas with a `p` exponent. Digit-separating underscores (valid in Go only
 * after a base prefix) are not supported and read as a syntax error.
 */
export function parseFloatGo(s: string): number {
  if (DECIMAL.test(s)) return Number(s);
  const lower = s.toLowerCase();
  const unsigned = lower[0] === '+' || lower[0] === '-' ? lower.slice(1) : lower;
  if (unsigned === 'inf' || unsigned === 'infinity') return lower[0] === '-' ? -Infinity : Infinity;
  if (lower === 'nan') return NaN;
  const m = HEX.exec(s);
  if (m) {
    const intDigits = m[2] ?? '';
    const fracDigits = m[3] ?? '';
    if (intDigits === '' && fracDigits === '') return 0;
    const mantissa = BigInt('0x' + (intDigits + fracDigits || '0'));
    const exp = Number(m[4]) - 4 * fracDigits.length;
    let v = Number(mantissa);
    // Scale in steps so that intermediate results neither overflow nor underflow early.
    let e = exp;
    while (e > 0) {
      const step = Math.min(e, 1000);
      v *= 2 ** step;
      e -= step;
    }
    while (e < 0) {
      const step = Math.max(e, -1000);
      v *= 2 ** step;
      e -= step;
    }
    return m[1] === '-' ? -v : v;
  }
  return 0;
}

/** Shortest digits and decimal exponent of a finite non-zero |x|: x = 0.d1d2... × 10^point. */
function shortestDigits(x: number): { digits: string; point: number } {
  const s = String(Math.abs(x));
  const e = s.indexOf('e');
  const mant = e < 0 ? s : s.slice(0, e);
  const exp = e < 0 ? 0 : Number(s.slice(e + 1));
  const dot = mant.indexOf('.');
  let digits = dot < 0 ? mant : mant.slice(0, dot) + mant.slice(dot + 1);
  let point = (dot < 0 ? mant.length : dot) + exp;
  const lead = digits.length - digits.replace(/^0+/, '').length;
  digits = digits.slice(lead);
  point -= lead;
  digits = digits.replace(/0+$/, '');
  return { digits, point };
}

/** `strconv.FormatFloat(x, 'f', -1, 64)`: `1.5`, `1000`, `12345678901234567000`, `-0`, `NaN`, `+Inf`. */
export function formatFloatF(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  if (x === 0) return sign + '0';
  const { digits, point } = shortestDigits(x);
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return sign + digits + '0'.repeat(point - digits.length);
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/**
 * How Go's `encoding/json` prints a float64: `'f'` layout for 1e-6 <= |x| < 1e21, otherwise `'e'` with a
 * two-digit minimum exponent trimmed for negative exponents (`1e-7`, `1e+21`). NaN and ±Inf are not
 * representable (Go returns an UnsupportedValueError; callers never produce them from parsed JSON).
 */
export function formatFloatJSON(x: number): string {
  const abs = Math.abs(x);
  if (abs === 0 || (abs >= 1e-6 && abs < 1e21)) return formatFloatF(x);
  const { digits, point } = shortestDigits(x);
  const exp = point - 1;
  const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const expText = exp < 0 ? `-${-exp}` : `+${String(exp).padStart(2, '0')}`;
  return `${x < 0 ? '-' : ''}${mant}e${expText}`;
}
