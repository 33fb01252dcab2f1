/**
 * Go's time.Duration text (Go's time package: ParseDuration, Duration.String, and the quoting its error
 * messages use), the one port of it: ESO's `refreshInterval` and sync windows, the agent's config, the
 * injector's `esi.dev/refresh-interval` and the template functions (sprig's `duration`, `dateModify`)
 * all read durations here. Exact integer nanoseconds, as Go computes them (src/time/format.go).
 */

/** 2^63: Go's bound on the uint64 it sums before making the int64 Duration. */
const LIMIT = 1n << 63n;

const UNIT_NS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  'µs': 1_000n, // U+00B5 micro sign
  'μs': 1_000n, // U+03BC Greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

export class DurationError extends Error {}

/**
 * The quoting of Go's time package error texts (not strconv.Quote): `"` and `\` escaped, every byte of a
 * non-ASCII or control character as `\xHH`, everything else as is.
 */
export function timeQuote(s: string): string {
  let out = '"';
  for (const b of new TextEncoder().encode(s)) {
    if (b >= 0x80 || b < 0x20) out += '\\x' + b.toString(16).padStart(2, '0');
    else {
      if (b === 0x22 || b === 0x5c) out += '\\';
      out += String.fromCharCode(b);
    }
  }
  return out + '"';
}

/**
 * time.ParseDuration: a signed sequence of decimal numbers, each with an optional fraction and a unit
 * (`300ms`, `-1.5h`, `2h45m`, `0`), to nanoseconds; throws DurationError with Go's message. Go's
 * arithmetic: uint64 sums bounded by 2^63, the fraction scaled through float64.
 */
export function parseDuration(text: string): bigint {
  const invalid = () => new DurationError(`time: invalid duration ${timeQuote(text)}`);
  let s = text;
  let neg = false;
  if (s[0] === '-' || s[0] === '+') {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') throw invalid();
  let d = 0n;
  while (s !== '') {
    // [0-9]*(\.[0-9]*)? with at least one digit.
    const num = /^([0-9]*)(?:\.([0-9]*))?/.exec(s)!;
    const whole = num[1]!;
    const frac = num[2] ?? '';
    if (whole === '' && frac === '') throw invalid();
    s = s.slice(num[0].length);
    const unitText = /^[^0-9.]*/.exec(s)![0];
    if (unitText === '') throw new DurationError(`time: missing unit in duration ${timeQuote(text)}`);
    const unit = UNIT_NS[unitText];
    if (unit === undefined) throw new DurationError(`time: unknown unit ${timeQuote(unitText)} in duration ${timeQuote(text)}`);
    s = s.slice(unitText.length);
    let v = BigInt(whole || '0');
    if (v > LIMIT || v > LIMIT / unit) throw invalid();
    v *= unit;
    const { f, scale } = leadingFraction(frac);
    if (f > 0n) {
      v += BigInt(Math.trunc(Number(f) * (Number(unit) / scale)));
      if (v > LIMIT) throw invalid();
    }
    d += v;
    if (d > LIMIT) throw invalid();
  }
  if (neg) return -d;
  if (d > LIMIT - 1n) throw invalid();
  return d;
}

/** Go's leadingFraction: the digits that fit below 2^63, and their float64 scale (10^count). */
function leadingFraction(digits: string): { f: bigint; scale: number } {
  let f = 0n;
  let scale = 1;
  for (const c of digits) {
    if (f > (LIMIT - 1n) / 10n) break;
    const y = f * 10n + BigInt(c.charCodeAt(0) - 48);
    if (y > LIMIT) break;
    f = y;
    scale *= 10;
  }
  return { f, scale };
}

/** parseDuration in milliseconds (fractions kept), for timers. */
export function parseDurationMs(text: string): number {
  return Number(parseDuration(text)) / 1e6;
}

/** Go duration text of the refresh kind: `0`, or unsigned, without spaces, within Go's range (`1h30m`, `90s`). */
export function isUnsignedDuration(text: string): boolean {
  if (text[0] === '-' || text[0] === '+') return false;
  try {
    parseDuration(text);
    return true;
  } catch {
    return false;
  }
}

/** time.Duration.String() of nanoseconds: `1h30m0s`, `1.5s`, `250ms`, `0s`. */
export function durationString(ns: bigint): string {
  if (ns === 0n) return '0s';
  const neg = ns < 0n;
  let u = neg ? -ns : ns;
  let out: string;
  if (u < 1_000_000_000n) {
    if (u < 1000n) return (neg ? '-' : '') + u.toString() + 'ns';
    out = u < 1_000_000n ? fracString(u, 1000n) + 'µs' : fracString(u, 1_000_000n) + 'ms';
  } else {
    const h = u / 3_600_000_000_000n;
    u -= h * 3_600_000_000_000n;
    const m = u / 60_000_000_000n;
    u -= m * 60_000_000_000n;
    out = fracString(u, 1_000_000_000n) + 's';
    if (h > 0n) out = `${h}h${m}m${out}`;
    else if (m > 0n) out = `${m}m${out}`;
  }
  return (neg ? '-' : '') + out;
}

function fracString(v: bigint, div: bigint): string {
  const whole = v / div;
  const frac = v % div;
  if (frac === 0n) return whole.toString();
  const width = div.toString().length - 1;
  return whole.toString() + '.' + frac.toString().padStart(width, '0').replace(/0+$/, '');
}
