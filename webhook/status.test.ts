import { describe, expect, it } from 'vitest';
import { externalSecretVersion, STATUS_REPORT } from '../contract/index.ts';
import { parseExternalSecret, setCondition } from '../eso/index.ts';
import { parseAgentConfig } from '../agent/config.ts';
import { nextExternalSecretStatus, nextStoreStatus, reportOf, type SyncReport } from './status.ts';

const T0 = Date.parse('2026-12-07T10:00:00Z');
const ok = (pod: string, syncedAt: string, o: Partial<SyncReport> = {}): SyncReport => ({ pod, ready: true, reason: 'SecretSynced', message: 'secret synced', version: 'v1', syncedAt, order: '10', ...o });
const failed = (pod: string, syncedAt: string): SyncReport => ({ pod, ready: false, reason: 'SecretSyncedError', message: 'could not get secret data from provider', version: 'v1', syncedAt, order: '11' });
const live = { version: 'v1', resourceVersion: '3-abc' };

describe('ExternalSecret status from the agents\' reports (ESO markAsDone / markAsFailed)', () => {
  it('all pods synced: Ready True SecretSynced, refreshTime the latest sync, syncedResourceVersion of the live object, binding', () => {
    const s = nextExternalSecretStatus(undefined, [ok('a', '2026-12-07T09:00:00Z'), ok('b', '2026-12-07T09:30:00Z', { binding: 'db' })], live, T0);
    expect(s).toEqual({
      conditions: [{ type: 'Ready', status: 'True', reason: 'SecretSynced', message: 'secret synced', lastTransitionTime: '2026-12-07T10:00:00Z' }],
      refreshTime: '2026-12-07T09:30:00Z',
      syncedResourceVersion: '3-abc',
      binding: { name: 'db' },
    });
  });

  it('one pod failing: Ready False with ESO\'s reason and message; refreshTime and syncedResourceVersion stay (markAsFailed touches neither)', () => {
    const before = nextExternalSecretStatus(undefined, [ok('a', '2026-12-07T09:00:00Z')], live, T0);
    const s = nextExternalSecretStatus(before, [ok('a', '2026-12-07T09:00:00Z'), failed('b', '2026-12-07T09:10:00Z')], { version: 'v2', resourceVersion: '4-def' }, T0 + 60_000);
    expect(s.conditions).toEqual([{ type: 'Ready', status: 'False', reason: 'SecretSyncedError', message: 'could not get secret data from provider', lastTransitionTime: '2026-12-07T10:01:00Z' }]);
    expect(s.refreshTime).toBe('2026-12-07T09:00:00Z');
    expect(s.syncedResourceVersion).toBe('3-abc');
  });

  it('a report of an older ExternalSecret version does not claim the current one; refreshTime never moves back', () => {
    const before = { refreshTime: '2026-12-07T09:50:00Z', syncedResourceVersion: '2-old' };
    const s = nextExternalSecretStatus(before, [ok('a', '2026-12-07T09:40:00Z', { version: 'v0' })], live, T0);
    expect(s.syncedResourceVersion).toBe('2-old');
    expect(s.refreshTime).toBe('2026-12-07T09:50:00Z');
  });

  it('setCondition keeps lastTransitionTime when only the reason or message changes, and leaves an equal condition alone', () => {
    const c1 = setCondition(undefined, { type: 'Ready', status: 'True', reason: 'SecretSynced', message: 'secret synced' }, T0);
    expect(setCondition(c1, { type: 'Ready', status: 'True', reason: 'SecretSynced', message: 'secret synced' }, T0 + 5000)).toEqual(c1);
    const c2 = setCondition(c1, { type: 'Ready', status: 'True', reason: 'SecretSynced', message: 'secret retained due to DeletionPolicy=Retain' }, T0 + 5000);
    expect(c2[0]!.lastTransitionTime).toBe('2026-12-07T10:00:00Z');
    expect(c2[0]!.message).toBe('secret retained due to DeletionPolicy=Retain');
  });

  it('store status: Valid "store validated" and ReadWrite, or InvalidProviderConfig "unable to create client"', () => {
    expect(nextStoreStatus(undefined, [], T0)).toEqual({ capabilities: 'ReadWrite', conditions: [{ type: 'Ready', status: 'True', reason: 'Valid', message: 'store validated', lastTransitionTime: '2026-12-07T10:00:00Z' }] });
    expect(nextStoreStatus(undefined, ['spec.provider.aws.region: required'], T0).conditions).toEqual([
      { type: 'Ready', status: 'False', reason: 'InvalidProviderConfig', message: 'unable to create client', lastTransitionTime: '2026-12-07T10:00:00Z' },
    ]);
  });

  it('reads a report from an agent Event and ignores other Events', () => {
    const a = STATUS_REPORT.annotations;
    const e = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'db.1', namespace: 'ns', resourceVersion: '42', annotations: { [a.pod]: 'app-0', [a.version]: 'v1', [a.ready]: 'False', [a.reason]: 'SecretSyncedError', [a.message]: 'could not update secret', [a.syncedAt]: '2026-12-07T09:00:00Z' } },
      involvedObject: { kind: 'ExternalSecret', name: 'db', namespace: 'ns' },
    };
    expect(reportOf(e)).toEqual({ namespace: 'ns', externalSecret: 'db', report: { pod: 'app-0', ready: false, reason: 'SecretSyncedError', message: 'could not update secret', version: 'v1', syncedAt: '2026-12-07T09:00:00Z', order: '42' } });
    expect(reportOf({ ...e, involvedObject: { kind: 'Pod', name: 'app-0' } })).toBeUndefined();
  });
});

describe('externalSecretVersion', () => {
  it('is the same for the agent config\'s copy (parsed twice, last-applied dropped) and the cached object', () => {
    const raw = {
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      metadata: { name: 'db', namespace: 'ns', uid: 'u1', generation: 3, labels: { b: '1', a: '2' }, annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}', 'force-sync': '1' } },
      spec: { secretStoreRef: { name: 's', kind: 'SecretStore' }, data: [{ secretKey: 'k', remoteRef: { key: 'x' } }] },
    };
    const viaConfig = parseAgentConfig(
      JSON.stringify({ version: 1, pod: { namespace: 'ns', serviceAccountName: 'app' }, mountPath: '/var/run/secrets/esi', fileMode: 0o444, stores: {}, externalSecrets: [{ dir: 'db', syncSecret: false, externalSecret: { ...parseExternalSecret(raw as never), metadata: { name: 'db', namespace: 'ns', uid: 'u1', labels: { a: '2', b: '1' }, annotations: { 'force-sync': '1' } } } }] }),
      'test',
    ).externalSecrets[0]!.externalSecret;
    expect(externalSecretVersion(viaConfig)).toBe(externalSecretVersion(parseExternalSecret(raw as never)));
    const forced = { ...raw, metadata: { ...raw.metadata, annotations: { 'force-sync': '2' } } };
    expect(externalSecretVersion(parseExternalSecret(forced as never))).not.toBe(externalSecretVersion(parseExternalSecret(raw as never)));
  });
});
