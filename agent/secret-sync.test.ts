import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../core/log.ts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ANNOTATION_DATA_HASH, LABEL_CREATED_BY, LABEL_MANAGED, buildSecret, dataHash } from '../eso/index.ts';
import { runAgent } from './index.ts';
import { fakeConfig } from '../test/helpers/agent-fixtures.ts';
import { startFakeApiserver, type FakeApiserver } from '../test/helpers/fake-apiserver.ts';
import { KubeClient } from '../kube/index.ts';
import { fieldManagerFor, syncTargetSecret } from './secret-sync.ts';
import { podEvent } from './events.ts';
import type { Secret } from '../core/index.ts';
import type { AgentConfig } from '../contract/index.ts';

let api: FakeApiserver;
let kube: KubeClient;
beforeEach(async () => {
  api = await startFakeApiserver();
  kube = new KubeClient({ server: api.url });
});
afterEach(async () => {
  await api.close();
});

const log = silentLogger;
/** ESO's writing semantics over fixed provider data, as the agent's render callback gives them. */
const rendered = (es: AgentConfig['externalSecrets'][number], data: Record<string, Uint8Array>) => async (existing?: Secret) =>
  buildSecret({ es: es.externalSecret, ...(existing ? { existing } : {}) }, data);
const b = (s: string) => Buffer.from(s);

function esiConfig(controller = 'esi'): AgentConfig {
  const c = fakeConfig({ data: [{ key: 'db-user', value: 'alice' }, { key: 'db-pass', value: 'pw-1' }] });
  c.externalSecrets[0]!.syncSecret = true;
  c.externalSecrets[0]!.externalSecret.metadata.uid = 'es-uid-1';
  c.stores['SecretStore/fake']!.spec.controller = controller;
  return c;
}

describe('syncTargetSecret (esi.dev/sync-secret)', () => {
  it('creates the Secret exactly as eso/ builds it, then leaves it alone while the data-hash matches', async () => {
    const c = esiConfig();
    const entry = c.externalSecrets[0]!;
    const data = { username: b('alice'), password: b('pw-1') };
    expect(await syncTargetSecret(entry, rendered(entry, data), c, { kube, log })).toBe('created');
    const s = api.secrets.get('default/app')!;
    const want = buildSecret(entry.externalSecret, data);
    expect(want.action).toBe('write');
    if (want.action !== 'write') return;
    expect(s['data']).toEqual(want.secret.data);
    expect(s['metadata'].labels[LABEL_MANAGED]).toBe('true');
    expect(s['metadata'].labels[LABEL_CREATED_BY]).toBe(want.secret.metadata.labels![LABEL_CREATED_BY]);
    expect(s['metadata'].annotations[ANNOTATION_DATA_HASH]).toBe(dataHash(data));
    expect(s['metadata'].ownerReferences).toEqual([{ apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', name: 'app', uid: 'es-uid-1', controller: true, blockOwnerDeletion: true }]);
    expect(api.requests).toContain('POST /api/v1/namespaces/default/secrets');
    const writes = api.requests.filter((r) => !r.startsWith('GET')).length;
    expect(await syncTargetSecret(entry, rendered(entry, data), c, { kube, log })).toBe('unchanged');
    expect(api.requests.filter((r) => !r.startsWith('GET')).length).toBe(writes);
    expect(await syncTargetSecret(entry, rendered(entry, { ...data, password: b('pw-2') }), c, { kube, log })).toBe('updated');
    expect(Buffer.from(api.secrets.get('default/app')!['data'].password, 'base64').toString()).toBe('pw-2');
  });

  it('re-reads and retries on 409 Conflict, with backoff', async () => {
    const c = esiConfig();
    const delays: number[] = [];
    api.conflictNext(2);
    const r = await syncTargetSecret(c.externalSecrets[0]!, rendered(c.externalSecrets[0]!, { password: b('x') }), c, { kube, log, sleep: async (ms) => void delays.push(ms), random: () => 0 });
    expect(r).toBe('created');
    expect(delays).toEqual([25, 50]);
  });

  it('gives up with the API error after the retries are used', async () => {
    const c = esiConfig();
    api.conflictNext(10);
    await expect(syncTargetSecret(c.externalSecrets[0]!, rendered(c.externalSecrets[0]!, { password: b('x') }), c, { kube, log, sleep: async () => undefined, maxAttempts: 3 })).rejects.toThrow(/HTTP 409/);
  });

  it('labels a pre-existing target Secret managed first, as ESO does, even when creationPolicy None leaves its data', async () => {
    const c = esiConfig();
    const entry = c.externalSecrets[0]!;
    entry.externalSecret.spec.target.creationPolicy = 'None';
    const foreign = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'app', namespace: 'default', resourceVersion: '7', labels: { team: 'a' } }, data: { kept: b('old').toString('base64') } };
    api.secrets.set('default/app', structuredClone(foreign));
    expect(await syncTargetSecret(entry, rendered(entry, { password: b('x') }), c, { kube, log })).toBe('none');
    const s = api.secrets.get('default/app')!;
    expect(s['metadata'].labels).toEqual({ team: 'a', [LABEL_MANAGED]: 'true' });
    expect(s['data']).toEqual(foreign.data);
    // Labelled once: the next sync writes nothing.
    const writes = api.requests.filter((r) => r.startsWith('PUT')).length;
    expect(writes).toBe(1);
    expect(await syncTargetSecret(entry, rendered(entry, { password: b('x') }), c, { kube, log })).toBe('none');
    expect(api.requests.filter((r) => r.startsWith('PUT')).length).toBe(writes);
  });

  it('several replicas writing at once converge on one Secret', async () => {
    const c = esiConfig();
    const data = { password: b('same') };
    const results = await Promise.all([1, 2, 3, 4].map(() => syncTargetSecret(c.externalSecrets[0]!, rendered(c.externalSecrets[0]!, data), c, { kube, log, sleep: async () => undefined })));
    expect(results.filter((r) => r === 'created')).toHaveLength(1);
    expect(results.every((r) => r === 'created' || r === 'unchanged')).toBe(true);
    expect(api.secrets.size).toBe(1);
  });

  it('refuses to write for a store ESO\'s controller manages, and says how to hand it over', async () => {
    const c = esiConfig('');
    await expect(syncTargetSecret(c.externalSecrets[0]!, rendered(c.externalSecrets[0]!, { password: b('x') }), c, { kube, log })).rejects.toThrow(
      /store SecretStore\/fake has spec.controller other than "esi", so ESO's controller manages that Secret; set the store's spec.controller to "esi"/,
    );
    expect(api.secrets.size).toBe(0);
  });

  it('uses ESO\'s field manager, hashed past 63 characters', () => {
    expect(fieldManagerFor('app')).toBe('externalsecrets.external-secrets.io/app');
    expect(fieldManagerFor('x'.repeat(40))).toMatch(/^externalsecrets\.external-secrets\.io\/sha3\/[0-9a-f]{56}$/);
  });
});

describe('the agent with the API server', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'esi-agent-kube-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('init mode writes files and the Secret before exiting; failures become Events on the Pod', async () => {
    const c = esiConfig();
    expect(await runAgent({ config: c, root: dir, mode: 'init', env: { ESI_POD_NAME: 'app-7d9f', ESI_POD_UID: 'pod-uid' }, logger: log, health: false, kube })).toBe(0);
    expect(api.secrets.has('default/app')).toBe(true);
    const broken = fakeConfig({ data: [{ key: 'db-user', value: 'alice' }] });
    await expect(runAgent({ config: broken, root: dir, mode: 'init', env: { ESI_POD_NAME: 'app-7d9f', ESI_POD_UID: 'pod-uid' }, logger: log, health: false, kube, initAttempts: 1 })).rejects.toThrow(/first sync failed/);
    // The esi-class ExternalSecret's sync is reported on the ExternalSecret itself, with ESO's Event (issue 14).
    const onEs = api.events.filter((x) => x['involvedObject'].kind === 'ExternalSecret');
    expect(onEs.map((x) => [x['type'], x['reason'], x['message'], x['source']])).toEqual([['Normal', 'Created', 'secret created', { component: 'esi-agent' }]]);
    expect(onEs[0]!['metadata'].annotations).toMatchObject({ 'esi.dev/pod': 'app-7d9f', 'esi.dev/ready': 'True', 'esi.dev/condition-reason': 'SecretSynced', 'esi.dev/condition-message': 'secret synced', 'esi.dev/binding': 'app' });
    const onPod = api.events.filter((x) => x['involvedObject'].kind === 'Pod');
    expect(onPod).toHaveLength(1);
    const e = onPod[0]!;
    expect(e['reason']).toBe('SecretSyncFailed');
    expect(e['type']).toBe('Warning');
    expect(e['involvedObject']).toEqual({ apiVersion: 'v1', kind: 'Pod', name: 'app-7d9f', namespace: 'default', uid: 'pod-uid' });
    expect(e['message']).toContain('Secret does not exist');
  });

  it('Events are capped at 1024 characters', () => {
    const ev = podEvent({ type: 'Warning', reason: 'SecretSyncFailed', externalSecret: 'x', message: 'm'.repeat(5000) }, { namespace: 'n', name: 'p' }, new Date(0));
    expect((ev['message'] as string).length).toBe(1024);
    expect(ev['firstTimestamp']).toBe('1970-01-01T00:00:00Z');
  });
});
