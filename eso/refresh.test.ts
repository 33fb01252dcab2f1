import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { isSecretValid, needsSync, parseCron, parseGoDuration, refreshAllowedByWindows, requeueAfter, resourceVersionOf, shouldRefresh, withinSyncWindow } from './refresh.ts';
import { dataHash } from './hash.ts';
import { existingSecret, makeES } from './testkit.test-util.ts';
import { ANNOTATION_DATA_HASH, LABEL_MANAGED } from './secret.ts';

const now = new Date('2026-01-01T12:00:00Z');
const ago = (ms: number) => new Date(now.getTime() - ms).toISOString();
const d = [{ secretKey: 'k', remoteRef: { key: 'k' } }];
const es = (spec: Record<string, unknown> = {}, meta: Record<string, unknown> = {}) => makeES({ data: d, ...spec }, { generation: 3, ...meta });

describe('resourceVersion (util.GetResourceVersion)', () => {
  it('is generation plus sha3 of Go\'s %+v of {annotations, labels}', () => {
    const e = es({}, { labels: { b: '2', a: '1' }, annotations: { x: 'y' } });
    expect(resourceVersionOf(e)).toBe(`3-${createHash('sha3-224').update('{annotations:map[x:y] labels:map[a:1 b:2]}').digest('hex')}`);
    expect(resourceVersionOf(es())).toBe(`3-${createHash('sha3-224').update('{annotations:map[] labels:map[]}').digest('hex')}`);
  });
});

describe('shouldRefresh (§2.2)', () => {
  const e = es();
  const rv = resourceVersionOf(e);
  const cases: { name: string; es: ReturnType<typeof es>; status: { refreshTime?: string; syncedResourceVersion?: string }; want: boolean }[] = [
    { name: 'Periodic: never synced', es: e, status: {}, want: true },
    { name: 'Periodic: synced recently', es: e, status: { refreshTime: ago(60_000), syncedResourceVersion: rv }, want: false },
    { name: 'Periodic: interval elapsed', es: e, status: { refreshTime: ago(3_600_001), syncedResourceVersion: rv }, want: true },
    { name: 'Periodic: exactly at the interval is not yet', es: e, status: { refreshTime: ago(3_600_000), syncedResourceVersion: rv }, want: false },
    { name: 'Periodic: spec/metadata changed', es: e, status: { refreshTime: ago(1000), syncedResourceVersion: 'old' }, want: true },
    { name: 'Periodic: refreshTime in the future', es: e, status: { refreshTime: new Date(now.getTime() + 60_000).toISOString(), syncedResourceVersion: rv }, want: true },
    { name: 'Periodic: synced but no refreshTime', es: e, status: { syncedResourceVersion: rv }, want: true },
    { name: 'Periodic: interval 0 and synced → never, even after edits', es: es({ refreshInterval: '0' }), status: { refreshTime: ago(1e9), syncedResourceVersion: 'old' }, want: false },
    { name: 'Periodic: interval 0 and never synced', es: es({ refreshInterval: '0s' }), status: {}, want: true },
    { name: 'Periodic explicit', es: es({ refreshPolicy: 'Periodic', refreshInterval: '1m' }), status: { refreshTime: ago(61_000), syncedResourceVersion: resourceVersionOf(es({ refreshPolicy: 'Periodic', refreshInterval: '1m' })) }, want: true },
    { name: 'CreatedOnce: never synced', es: es({ refreshPolicy: 'CreatedOnce' }), status: {}, want: true },
    { name: 'CreatedOnce: synced once → never again', es: es({ refreshPolicy: 'CreatedOnce' }), status: { refreshTime: ago(1e9), syncedResourceVersion: 'old' }, want: false },
    { name: 'OnChange: unchanged', es: es({ refreshPolicy: 'OnChange' }), status: { refreshTime: ago(1e9), syncedResourceVersion: resourceVersionOf(es({ refreshPolicy: 'OnChange' })) }, want: false },
    { name: 'OnChange: label edit (force-sync) triggers', es: es({ refreshPolicy: 'OnChange' }, { annotations: { 'external-secrets.io/force-sync': '1' } }), status: { refreshTime: ago(1), syncedResourceVersion: resourceVersionOf(es({ refreshPolicy: 'OnChange' })) }, want: true },
    { name: 'OnChange: never synced', es: es({ refreshPolicy: 'OnChange' }), status: {}, want: true },
  ];
  for (const c of cases) it(c.name, () => expect(shouldRefresh(c.es, c.status, now)).toBe(c.want));
});

describe('sync windows (§2.2)', () => {
  const due = (sw: unknown) => {
    const e = es({ syncWindows: sw });
    return shouldRefresh(e, { refreshTime: ago(3_600_001), syncedResourceVersion: resourceVersionOf(e) }, now);
  };
  it('deny blocks while a window is open', () => expect(due({ kind: 'deny', windows: [{ schedule: '0 12 * * *', duration: '1h' }] })).toBe(false));
  it('deny allows outside windows', () => expect(due({ kind: 'deny', windows: [{ schedule: '0 3 * * *', duration: '1h' }] })).toBe(true));
  it('allow permits inside a window', () => expect(due({ kind: 'allow', windows: [{ schedule: '30 11 * * *', duration: '1h' }] })).toBe(true));
  it('allow blocks outside windows', () => expect(due({ kind: 'allow', windows: [{ schedule: '0 3 * * *', duration: '1h' }] })).toBe(false));
  it('unparseable schedules are ignored', () => expect(due({ kind: 'allow', windows: [{ schedule: 'nonsense', duration: '1h' }] })).toBe(false));
  it('unparseable deny schedule does not block', () => expect(due({ kind: 'deny', windows: [{ schedule: 'bad bad', duration: '1h' }] })).toBe(true));
  it('windows do not apply to changed specs (they only gate the periodic branch)', () => {
    const e = es({ syncWindows: { kind: 'deny', windows: [{ schedule: '0 12 * * *', duration: '1h' }] } });
    expect(shouldRefresh(e, { refreshTime: ago(1), syncedResourceVersion: 'old' }, now)).toBe(true);
  });
  it('cron: day-of-week names, steps, ranges, descriptors', () => {
    expect(withinSyncWindow(parseCron('0 12 * * THU'), 0, now)).toBe(true); // 2026-01-01 is a Thursday
    expect(withinSyncWindow(parseCron('*/15 * * * *'), 0, now)).toBe(true);
    expect(withinSyncWindow(parseCron('0 9-11 * * *'), 3_600_000, now)).toBe(true);
    expect(withinSyncWindow(parseCron('0 9-10 * * *'), 3_600_000, now)).toBe(false);
    expect(withinSyncWindow(parseCron('@daily'), 12 * 3_600_000, now)).toBe(true);
    expect(withinSyncWindow(parseCron('0 12 2 * MON'), 0, now)).toBe(false);
    expect(withinSyncWindow(parseCron('0 12 1 * MON'), 0, now)).toBe(true);
  });
  it('refreshAllowedByWindows without windows', () => expect(refreshAllowedByWindows(es(), now)).toBe(true));
});

describe('isSecretValid / needsSync (§2.2)', () => {
  const data = { a: 'b' };
  const hash = dataHash({ a: Buffer.from('b') });
  const valid = existingSecret(data, { labels: { [LABEL_MANAGED]: 'true' }, annotations: { [ANNOTATION_DATA_HASH]: hash } });
  it('valid Secret', () => expect(isSecretValid(es(), valid)).toBe(true));
  it('missing Secret', () => expect(isSecretValid(es(), undefined)).toBe(false));
  it('missing managed label', () => expect(isSecretValid(es(), existingSecret(data, { annotations: { [ANNOTATION_DATA_HASH]: hash } }))).toBe(false));
  it('drifted data (hash mismatch)', () => expect(isSecretValid(es(), existingSecret({ a: 'changed' }, { labels: { [LABEL_MANAGED]: 'true' }, annotations: { [ANNOTATION_DATA_HASH]: hash } }))).toBe(false));
  it('Orphan targets are always valid', () => expect(isSecretValid(es({ target: { creationPolicy: 'Orphan' } }), undefined)).toBe(true));
  it('needsSync forces a sync for an invalid Secret even when the policy says no', () => {
    const e = es({ refreshPolicy: 'CreatedOnce' });
    expect(needsSync(e, { refreshTime: ago(1), syncedResourceVersion: 'x' }, undefined, now)).toBe(true);
    expect(needsSync(e, { refreshTime: ago(1), syncedResourceVersion: 'x' }, valid, now)).toBe(false);
  });
});

describe('requeue and durations', () => {
  it('requeue after the remaining interval', () => expect(requeueAfter(es(), { refreshTime: ago(600_000) }, now)).toBe(3_000_000));
  it('no requeue for interval 0', () => expect(requeueAfter(es({ refreshInterval: '0' }), {}, now)).toBeUndefined());
  it('never refreshed: full interval', () => expect(requeueAfter(es(), {}, now)).toBe(3_600_000));
  it('overdue: immediately', () => expect(requeueAfter(es(), { refreshTime: ago(4_000_000) }, now)).toBe(0));
  const durations: [string, number][] = [['1h0m0s', 3_600_000], ['90s', 90_000], ['1.5h', 5_400_000], ['0', 0], ['1m30s', 90_000], ['500ms', 500], ['-1s', -1000]];
  for (const [s, ms] of durations) it(`duration ${s}`, () => expect(parseGoDuration(s)).toBe(ms));
  it('bad duration', () => expect(() => parseGoDuration('1d')).toThrow('time: invalid duration "1d"'));
});
