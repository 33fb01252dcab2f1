/** ESO's `refreshInterval` and sync-window durations: Go's time.ParseDuration (core/go/time.ts), in milliseconds. */
import { parseDurationMs, timeQuote } from '../core/go/time.ts';

/** Go duration text (`1h0m0s`, `90s`, `1.5h`, `0`) in milliseconds; throws `time: invalid duration "…"` on bad input. */
export function parseGoDuration(s: string): number {
  try {
    return parseDurationMs(s);
  } catch {
    throw new Error(`time: invalid duration ${timeQuote(s)}`);
  }
}
