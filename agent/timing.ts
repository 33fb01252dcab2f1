/**
 * Time arithmetic of the refresh loop, pure: Go duration text (ESO's `refreshInterval`), refresh jitter,
 * retry backoff, and the staleness bound.
 */
import { parseDurationMs } from '../core/go/time.ts';
import { ValidationError } from '../core/index.ts';

/** Parses Go `time.Duration` text (`1h0m0s`, `30s`, `1.5h`, `0`; core/go/time.ts) into milliseconds. */
export function parseGoDuration(text: string, field = 'refreshInterval'): number {
  try {
    return parseDurationMs(text.trim());
  } catch {
    throw new ValidationError(`${field}: invalid duration ${JSON.stringify(text)}`);
  }
}

export interface BackoffPolicy {
  /** First retry delay. */
  baseMs: number;
  /** Largest delay. */
  capMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1000, capMs: 5 * 60_000 };

/**
 * Delay before retry number `failures` (1 = after the first failure): exponential, capped, with
 * "equal jitter" (half fixed, half random) so replicas that failed together do not retry together.
 * `random` is in [0, 1).
 */
export function backoffDelay(failures: number, policy: BackoffPolicy, random: number): number {
  const n = Math.max(1, failures);
  const exp = Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(n - 1, 40));
  return exp / 2 + (exp / 2) * random;
}

/** Jitter of a periodic refresh: up to 10% earlier, never later (so the staleness bound holds). */
export function jitteredInterval(intervalMs: number, random: number): number {
  return intervalMs * (1 - 0.1 * random);
}

/**
 * The first refresh after a sync the schedule did not ask for (the pod's first sync, one a config change
 * forced, or one after failures): anywhere in the last 90% of the interval, uniformly. Pods that synced
 * together (a rollout, one change pushed to every pod, a backend outage's end) then refresh spread over the
 * interval instead of in step; the 10% jitter of later refreshes alone would keep them within 10% of it.
 * Never later than one interval (the staleness bound holds). `random` is in [0, 1).
 */
export function firstRefreshDelay(intervalMs: number, random: number): number {
  return intervalMs * (0.1 + 0.9 * (1 - random));
}

/**
 * How long the files may go without a successful refresh before readiness fails: three intervals, at
 * least five minutes; never for ExternalSecrets that do not refresh.
 */
export function defaultStaleAfter(intervalMs: number): number {
  if (intervalMs <= 0) return Infinity;
  return Math.max(3 * intervalMs, 5 * 60_000);
}
