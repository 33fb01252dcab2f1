import { describe, expect, it } from 'vitest';
import { backoffDelay, defaultStaleAfter, firstRefreshDelay, jitteredInterval, parseGoDuration } from './timing.ts';
import { envFileContent, envName } from './envfile.ts';

describe('parseGoDuration', () => {
  const cases: [string, number][] = [
    ['1h0m0s', 3_600_000],
    ['30s', 30_000],
    ['0', 0],
    ['0s', 0],
    ['1.5h', 5_400_000],
    ['2m30s', 150_000],
    ['500ms', 500],
    ['1h30m', 5_400_000],
    ['10us', 0.01],
    ['-1s', -1000],
    ['.5s', 500],
  ];
  it.each(cases)('%s → %d ms', (text, ms) => expect(parseGoDuration(text)).toBeCloseTo(ms, 6));
  it.each(['', '1', 'h', '1d', '1h 2m', 'abc', '1.h.'])('rejects %j', (text) => expect(() => parseGoDuration(text)).toThrow(/invalid duration/));
});

describe('backoffDelay', () => {
  const p = { baseMs: 1000, capMs: 60_000 };
  it('doubles per failure with equal jitter, between half and all of the step', () => {
    for (const [n, step] of [[1, 1000], [2, 2000], [3, 4000], [6, 32_000]] as const) {
      expect(backoffDelay(n, p, 0)).toBe(step / 2);
      expect(backoffDelay(n, p, 0.999999)).toBeCloseTo(step, -1);
    }
  });
  it('is capped, also after very many failures', () => {
    expect(backoffDelay(7, p, 0.999999)).toBeLessThanOrEqual(60_000);
    expect(backoffDelay(10_000, p, 0.5)).toBe(45_000);
  });
  it('treats 0 failures like the first', () => expect(backoffDelay(0, p, 0)).toBe(500));
});

describe('refresh jitter and staleness bound', () => {
  it('jitter only ever makes a refresh up to 10% earlier', () => {
    expect(jitteredInterval(60_000, 0)).toBe(60_000);
    expect(jitteredInterval(60_000, 0.999999)).toBeGreaterThan(54_000 - 1);
  });
  it('stale after three intervals, at least five minutes, never without refresh', () => {
    expect(defaultStaleAfter(3_600_000)).toBe(10_800_000);
    expect(defaultStaleAfter(30_000)).toBe(300_000);
    expect(defaultStaleAfter(0)).toBe(Infinity);
  });
});

describe('env file', () => {
  const b = (s: string) => Buffer.from(s);
  it('quotes for POSIX shells and makes keys valid variable names', () => {
    expect(Buffer.from(envFileContent({ 'db.user': b('a b'), '1x': b("it's"), tok: b('$HOME`x`') })).toString()).toBe(
      "_1x='it'\\''s'\ndb_user='a b'\ntok='$HOME`x`'\n",
    );
    expect(envName('a-b.c')).toBe('a_b_c');
  });
  it('fails on colliding names and NUL bytes instead of writing a wrong file', () => {
    expect(() => envFileContent({ 'a-b': b('1'), a_b: b('2') })).toThrow(/both become variable a_b/);
    expect(() => envFileContent({ k: new Uint8Array([65, 0]) })).toThrow(/NUL byte/);
  });
});

describe('firstRefreshDelay', () => {
  it('spreads the refresh after an off-schedule sync over the last 90% of the interval, never later than it', () => {
    expect(firstRefreshDelay(60_000, 0)).toBe(60_000);
    expect(firstRefreshDelay(60_000, 0.5)).toBeCloseTo(33_000, 6);
    expect(firstRefreshDelay(60_000, 0.999999)).toBeGreaterThan(6000);
  });

  it('turns agents that synced in the same second into a flat load: no tenth of the interval gets more than twice its share', () => {
    // 500 agents, a deterministic low-discrepancy sequence of draws standing in for Math.random.
    const draws = Array.from({ length: 500 }, (_, i) => (i * 0.6180339887) % 1);
    const bins = new Array(10).fill(0);
    for (const r of draws) bins[Math.min(9, Math.floor(firstRefreshDelay(1, r) * 10))]++;
    expect(bins[0]).toBe(0); // nothing right after the burst
    for (const b of bins.slice(1)) expect(b).toBeLessThanOrEqual(2 * (500 / 9));
  });
});
