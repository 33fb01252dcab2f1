/**
 * Kubernetes resource quantities (k8s.io/apimachinery/pkg/api/resource, quantity.go): a decimal number
 * with a binary (Ki…Ei), decimal SI (n…E) or decimal-exponent (e3, E-2) suffix. Held exactly, as a
 * fraction of big integers, so `1e400` is a number too large rather than Infinity, and request ≤ limit
 * compares exactly.
 */

/** value = num / den, both ≥ 0. */
export interface Quantity {
  num: bigint;
  den: bigint;
}

const QUANTITY = /^\+?([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][-+]?[0-9]+)?$/;
const BINARY: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
/** Kubernetes keeps resource values as int64 (Quantity.Value saturates beyond it). */
const INT64_MAX = 2n ** 63n - 1n;

/** Parses quantity text; undefined when it is not one, or its value does not fit Kubernetes' int64. */
export function parseQuantity(text: string): Quantity | undefined {
  const m = QUANTITY.exec(text);
  if (!m) return undefined;
  const [int, frac = ''] = m[1]!.split('.') as [string, string?];
  const suffix = m[2] ?? '';
  let num = BigInt((int || '0') + frac);
  let den = 10n ** BigInt(frac.length);
  let exp10: number;
  if (suffix in BINARY) {
    num *= 2n ** BigInt(BINARY[suffix]!);
    exp10 = 0;
  } else if (suffix in DECIMAL) exp10 = DECIMAL[suffix]!;
  else {
    exp10 = Number(suffix.slice(1));
    // Beyond ±100 the value is either far above int64 or below a nano-unit: no resource request means that.
    if (!Number.isSafeInteger(exp10) || Math.abs(exp10) > 100) return undefined;
  }
  if (exp10 >= 0) num *= 10n ** BigInt(exp10);
  else den *= 10n ** BigInt(-exp10);
  if (num / den > INT64_MAX) return undefined;
  return { num, den };
}

export function compareQuantities(a: Quantity, b: Quantity): number {
  const l = a.num * b.den;
  const r = b.num * a.den;
  return l < r ? -1 : l > r ? 1 : 0;
}

export function isPositive(q: Quantity): boolean {
  return q.num > 0n;
}
