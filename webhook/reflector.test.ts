import { describe, expect, it } from 'vitest';
import { olderVersion, reflectorBackoff } from './reflector.ts';
import { podRecord, recordInputs } from './pod-record.ts';
import { esoRecord } from './cache.ts';

describe('reflector helpers', () => {
  it('backs off from 0.8 s doubling to 30 s, jittered up to 100 %', () => {
    expect([1, 2, 3, 6, 7, 20].map((n) => reflectorBackoff(n, 0))).toEqual([800, 1600, 3200, 25_600, 30_000, 30_000]);
    expect(reflectorBackoff(1, 0.5)).toBe(1200);
    expect(reflectorBackoff(9, 0.99)).toBe(30_000);
  });

  it('compares etcd revisions numerically and nothing else', () => {
    expect(olderVersion('99', '100')).toBe(true);
    expect(olderVersion('100', '99')).toBe(false);
    expect(olderVersion('100', '100')).toBe(false);
    expect(olderVersion('abc', '100')).toBe(false);
    expect(olderVersion(undefined, '1')).toBe(false);
  });
});

describe('cache records keep what reconciling reads', () => {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'p',
      namespace: 'ns',
      uid: 'u',
      resourceVersion: '7',
      labels: { app: 'web', 'esi.dev/inject': 'true', 'pod-template-hash': 'abc' },
      annotations: { 'esi.dev/external-secrets': 'db', 'esi.dev/agent-config': '{}', 'kubectl.kubernetes.io/restartedAt': 'x' },
      managedFields: [{ manager: 'kubectl', fieldsV1: { 'f:spec': {} } }],
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'r', controller: true, blockOwnerDeletion: true }],
    },
    spec: { containers: [{ name: 'app', image: 'x' }] },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [{ name: 'app' }] },
  };

  it('a pod: identity, deletion mark, phase, the agent config, and the inputs of re-resolving it; no spec, labels, managedFields or other status', () => {
    const rec = podRecord(pod);
    expect(rec).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'ns', uid: 'u', resourceVersion: '7' },
      phase: 'Running',
      agentConfig: '{}',
      inputs: rec.inputs,
    });
    expect(recordInputs(rec)).toEqual({
      namespace: 'ns',
      serviceAccountName: 'default',
      settings: { 'esi.dev/external-secrets': 'db' },
      otherAnnotationBytes: 'esi.dev/external-secrets'.length + 2 + 'kubectl.kubernetes.io/restartedAt'.length + 1,
      storeSpec: '|',
    });
    expect(JSON.stringify(rec)).not.toContain('containers');
  });

  it('an ESO object: no status, no managedFields, no last-applied copy', () => {
    const es = {
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      metadata: { name: 'db', namespace: 'ns', generation: 2, resourceVersion: '9', managedFields: [{}], annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{...}' } },
      spec: { refreshInterval: '1h' },
      status: { conditions: [] },
    };
    expect(esoRecord(es)).toEqual({
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      metadata: { name: 'db', namespace: 'ns', generation: 2, resourceVersion: '9' },
      spec: { refreshInterval: '1h' },
    });
  });
});
