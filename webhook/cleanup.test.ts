import { describe, expect, it } from 'vitest';
import { syncedTargets } from './cleanup.ts';

const config = JSON.stringify({
  externalSecrets: [
    { syncSecret: true, externalSecret: { metadata: { name: 'db', uid: 'u1' }, spec: { target: { name: 'db-creds', deletionPolicy: 'Delete' } } } },
    { syncSecret: false, externalSecret: { metadata: { name: 'files-only' }, spec: { target: { deletionPolicy: 'Delete' } } } },
    { syncSecret: true, externalSecret: { metadata: { name: 'api' }, spec: { target: {} } } },
  ],
});

describe('syncedTargets', () => {
  it('lists the Secrets a pod\'s agent writes (sync-secret entries only), from the pod record or the annotation', () => {
    const want = [
      { externalSecret: 'db', uid: 'u1', secret: 'db-creds', deletionPolicy: 'Delete' },
      { externalSecret: 'api', secret: 'api', deletionPolicy: 'Retain' },
    ];
    expect(syncedTargets({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, agentConfig: config })).toEqual(want);
    expect(syncedTargets({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', annotations: { 'esi.dev/agent-config': config } } })).toEqual(want);
  });

  it('yields nothing for a pod without a config or with one that does not parse', () => {
    expect(syncedTargets({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } })).toEqual([]);
    expect(syncedTargets({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, agentConfig: '{nope' })).toEqual([]);
  });
});
