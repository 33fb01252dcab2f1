import { describe, expect, it } from 'vitest';
import { checkTiming, DEFAULT_LEADER_TIMING, mayAcquire, microTime, nextRecord } from './leader-election.ts';

describe('leader election records (client-go semantics)', () => {
  it('writes MicroTime with six fractional digits', () => {
    expect(microTime(Date.UTC(2026, 0, 2, 3, 4, 5, 678))).toBe('2026-01-02T03:04:05.678000Z');
  });

  it('a first acquire starts at transition 0; a takeover increments it and sets acquireTime; a renewal keeps both', () => {
    const t0 = Date.UTC(2026, 0, 1);
    const first = nextRecord(undefined, 'a', 10_000, t0);
    expect(first).toEqual({ holderIdentity: 'a', leaseDurationSeconds: 10, acquireTime: microTime(t0), renewTime: microTime(t0), leaseTransitions: 0 });
    const renewed = nextRecord(first, 'a', 10_000, t0 + 2000);
    expect(renewed).toMatchObject({ acquireTime: microTime(t0), renewTime: microTime(t0 + 2000), leaseTransitions: 0 });
    const taken = nextRecord(renewed, 'b', 10_000, t0 + 20_000);
    expect(taken).toMatchObject({ holderIdentity: 'b', acquireTime: microTime(t0 + 20_000), leaseTransitions: 1 });
  });

  it('a held lease is free only after leaseDurationSeconds of local time without a change; a released one at once', () => {
    const spec = { holderIdentity: 'a', leaseDurationSeconds: 10 };
    expect(mayAcquire(spec, 'b', 1000, 1000 + 10_000)).toBe(false);
    expect(mayAcquire(spec, 'b', 1000, 1000 + 10_001)).toBe(true);
    expect(mayAcquire(spec, 'a', 1000, 1001)).toBe(true); // its own
    expect(mayAcquire({ holderIdentity: '', leaseDurationSeconds: 1 }, 'b', 1000, 1000)).toBe(true); // released
  });

  it('validates timing as client-go does', () => {
    expect(() => checkTiming(DEFAULT_LEADER_TIMING)).not.toThrow();
    expect(() => checkTiming({ leaseDurationMs: 5000, renewDeadlineMs: 5000, retryPeriodMs: 1000 })).toThrow(/leaseDuration must be greater than renewDeadline/);
    expect(() => checkTiming({ leaseDurationMs: 5000, renewDeadlineMs: 2000, retryPeriodMs: 2000 })).toThrow(/renewDeadline must be greater than retryPeriod\*1.2/);
  });
});
