import { describe, expect, it } from 'vitest';
import { durationString, isUnsignedDuration, parseDuration, parseDurationMs, timeQuote } from './time.ts';

// Expected values are what Go (go1.26.8) returned for each input: `d, err := time.ParseDuration(s)`,
// then `int64(d)` and `d.String()`, or `err.Error()`. Facts of Go's src/time/format.go, recorded once.
const GO: [string, { ns: bigint; str: string } | { err: string }][] = [
  ["1h", { ns: 3600000000000n, str: "1h0m0s" }],
  ["-1.5h", { ns: -5400000000000n, str: "-1h30m0s" }],
  ["0", { ns: 0n, str: "0s" }],
  ["+0", { ns: 0n, str: "0s" }],
  ["-0", { ns: 0n, str: "0s" }],
  ["", { err: "time: invalid duration \"\"" }],
  ["1", { err: "time: missing unit in duration \"1\"" }],
  ["1d", { err: "time: unknown unit \"d\" in duration \"1d\"" }],
  ["1.h", { ns: 3600000000000n, str: "1h0m0s" }],
  [".5s", { ns: 500000000n, str: "500ms" }],
  [".s", { err: "time: invalid duration \".s\"" }],
  ["1h-2m", { err: "time: unknown unit \"h-\" in duration \"1h-2m\"" }],
  ["9223372036854775807ns", { ns: 9223372036854775807n, str: "2562047h47m16.854775807s" }],
  ["9223372036854775808ns", { err: "time: invalid duration \"9223372036854775808ns\"" }],
  ["-9223372036854775808ns", { ns: -9223372036854775808n, str: "-2562047h47m16.854775808s" }],
  ["2562047h47m16.854775807s", { ns: 9223372036854775807n, str: "2562047h47m16.854775807s" }],
  ["2562047h47m16.854775808s", { err: "time: invalid duration \"2562047h47m16.854775808s\"" }],
  ["1.0000000000000000000001s", { ns: 1000000000n, str: "1s" }],
  ["0.3333333333333333333333h", { ns: 1200000000000n, str: "20m0s" }],
  ["1µs", { ns: 1000n, str: "1µs" }],
  ["1μs", { ns: 1000n, str: "1µs" }],
  ["3us", { ns: 3000n, str: "3µs" }],
  ["é", { err: "time: invalid duration \"\\xc3\\xa9\"" }],
  ["1é", { err: "time: unknown unit \"\\xc3\\xa9\" in duration \"1\\xc3\\xa9\"" }],
  ["1h\n", { err: "time: unknown unit \"h\\x0a\" in duration \"1h\\x0a\"" }],
  ["\u0001", { err: "time: invalid duration \"\\x01\"" }],
  ["1.123456789123456789h", { ns: 4044444440844n, str: "1h7m24.444440844s" }],
  ["5m0.5s", { ns: 300500000000n, str: "5m0.5s" }],
  ["00001s", { ns: 1000000000n, str: "1s" }],
  ["1e3s", { err: "time: unknown unit \"e\" in duration \"1e3s\"" }],
  [" 1s", { err: "time: invalid duration \" 1s\"" }],
  ["1.5.5s", { err: "time: missing unit in duration \"1.5.5s\"" }],
  ["1..s", { err: "time: missing unit in duration \"1..s\"" }],
];

describe('time.ParseDuration and Duration.String as Go', () => {
  it.each(GO)('%j', (input, want) => {
    if ('err' in want) {
      expect(() => parseDuration(input)).toThrow(want.err);
      return;
    }
    const ns = parseDuration(input);
    expect(ns).toBe(want.ns);
    expect(durationString(ns)).toBe(want.str);
  });
});

describe('the helpers around it', () => {
  it('milliseconds keep fractions', () => {
    expect(parseDurationMs('1.5s')).toBe(1500);
    expect(parseDurationMs('250us')).toBe(0.25);
  });
  it('unsigned durations for refresh intervals', () => {
    expect(['0', '1h30m', '90s', '1.5h'].every(isUnsignedDuration)).toBe(true);
    expect(['-1s', '+1s', '1d', '', ' 1s', '9999999999h'].some(isUnsignedDuration)).toBe(false);
  });
  it("quotes as Go's time package does, byte by byte", () => {
    expect(timeQuote('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(timeQuote('é\n')).toBe('"\\xc3\\xa9\\x0a"');
  });
});
