// Status and Events of esi-managed ExternalSecrets (issue 14), checked against ESO itself: the real ESO
// controller (v0.16.2, the oracle's own apiserver; its status and Event texts are v2.9.0's) and esi's
// webhook controller watch the same cluster. Two ExternalSecrets with the same spec and the same AWS
// secret (moto): one on a store ESO manages, one on a store with `spec.controller: esi`, synced by an esi
// agent (this process, the config admission gives the pod, reporting as that pod). Through the first
// sync, a backend failure (the secret deleted) and the recovery, both show the same Ready condition,
// status fields and Event reasons and texts; neither controller ever writes the other's objects.
import { DeleteSecretCommand } from '@aws-sdk/client-secrets-manager';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { AGENT_CONFIG_ANNOTATION, type AgentConfig } from '../../contract/index.ts';
import type { Pod } from '../../core/index.ts';
import { injectPod } from '../../injector/index.ts';
import { KubeClient, kubeconfigAccess } from '../../kube/index.ts';
import { resourceVersionOf } from '../../eso/index.ts';
import { runWebhook, type RunningWebhook } from '../../webhook/index.ts';
import { jsonLogger } from '../../core/log.ts';
import { startAgent, type RunningAgent } from './agent-helpers.ts';
import { startEsoOracle, type EsoOracle } from '../harness/eso-oracle.ts';
import { awsEnv, harness, issueServingCertificate, kubeApi, logFile, motoSecretsManager, putAwsSecret, sentinel } from '../harness/index.ts';

const ESO = '/apis/external-secrets.io/v1';
let oracle: EsoOracle;
let webhook: RunningWebhook;
let agent: RunningAgent | undefined;
const ns = 'status';
let key: string;

interface Es {
  metadata: { name: string; uid: string; generation?: number; labels?: Record<string, string>; annotations?: Record<string, string>; managedFields?: { manager: string; subresource?: string }[] };
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string }[]; refreshTime?: string; syncedResourceVersion?: string; binding?: { name?: string } };
}
interface Ev {
  type: string;
  reason: string;
  message: string;
  involvedObject: { name: string; kind: string; uid?: string };
  source?: { component?: string };
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const api = <T>(method: string, path: string, body?: unknown) => kubeApi<T>(oracle.access, method, path, body);

function externalSecret(name: string, store: string) {
  return {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: { name, namespace: ns },
    spec: {
      secretStoreRef: { name: store, kind: 'SecretStore' },
      refreshInterval: '2s',
      target: { name: `${name}-secret`, creationPolicy: 'Owner', deletionPolicy: 'Retain' },
      data: [{ secretKey: 'password', remoteRef: { key, property: 'password' } }],
    },
  };
}

async function until<T>(what: string, get: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await get();
    if (ok(last)) return last;
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const getEs = async (name: string) => (await api<Es>('GET', `${ESO}/namespaces/${ns}/externalsecrets/${name}`)).body;
const ready = (es: Es) => es.status?.conditions?.find((c) => c.type === 'Ready');
const condition = (es: Es) => {
  const c = ready(es);
  return c ? { status: c.status, reason: c.reason, message: c.message } : undefined;
};
async function events(name: string): Promise<Ev[]> {
  const r = await api<{ items: Ev[] }>('GET', `/api/v1/namespaces/${ns}/events?fieldSelector=${encodeURIComponent(`involvedObject.kind=ExternalSecret,involvedObject.name=${name}`)}`);
  return r.body.items;
}
/** Event type, reason and message, as `kubectl describe externalsecret` lists them (esi's own status-only reports aside). */
const described = (evs: Ev[]) => [...new Set(evs.filter((e) => e.reason !== 'Synced').map((e) => `${e.type} ${e.reason} ${e.message}`))].sort();

beforeAll(async () => {
  const h = harness();
  oracle = await startEsoOracle(h);
  const tls = await issueServingCertificate('esi-status');
  const stream = createWriteStream(logFile('esi-webhook-status.log'), { flags: 'a' });
  webhook = await runWebhook({
    client: new KubeClient(await kubeconfigAccess(oracle.kubeconfigPath)),
    host: '127.0.0.1',
    port: 0,
    tls: { certFile: tls.cert, keyFile: tls.key },
    log: jsonLogger({ base: { component: 'esi-webhook' }, write: (line) => void stream.write(line) }),
    nativeSidecars: true,
  });
  await webhook.synced;
  key = `status/${randomBytes(4).toString('hex')}`;
  await putAwsSecret(key, JSON.stringify({ password: sentinel('status-pw1') }));
  await api('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  await api('POST', `/api/v1/namespaces/${ns}/secrets`, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'aws-creds' }, data: { 'access-key': b64('test'), 'secret-key': b64('test') } });
  const aws = { service: 'SecretsManager', region: h.awsRegion };
  await api('POST', `${ESO}/namespaces/${ns}/secretstores`, {
    apiVersion: 'external-secrets.io/v1',
    kind: 'SecretStore',
    metadata: { name: 'eso' },
    spec: { provider: { aws: { ...aws, auth: { secretRef: { accessKeyIDSecretRef: { name: 'aws-creds', key: 'access-key' }, secretAccessKeySecretRef: { name: 'aws-creds', key: 'secret-key' } } } } } },
  });
  await api('POST', `${ESO}/namespaces/${ns}/secretstores`, { apiVersion: 'external-secrets.io/v1', kind: 'SecretStore', metadata: { name: 'esi' }, spec: { controller: 'esi', provider: { aws } } });
  await api('POST', `${ESO}/namespaces/${ns}/externalsecrets`, externalSecret('by-eso', 'eso'));
  await api('POST', `${ESO}/namespaces/${ns}/externalsecrets`, externalSecret('by-esi', 'esi'));
}, 180_000);

afterAll(async () => {
  await agent?.stop().catch(() => undefined);
  await webhook?.close();
  await oracle?.stop();
});

test('first sync, backend failure and recovery: the esi-managed ExternalSecret\'s status and Events equal ESO\'s; neither controller writes the other\'s', async () => {
  // The pod as admission leaves it (the config from the webhook's own cache), and its agent reporting as that pod.
  const lookup = webhook.cache.lookup();
  await until('the webhook cache has the ExternalSecret', async () => lookup.externalSecret(ns, 'by-esi'), (x) => x !== undefined && lookup.secretStore(ns, 'esi') !== undefined);
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'app-0', namespace: ns, labels: { 'esi.dev/inject': 'true' }, annotations: { 'esi.dev/external-secrets': 'by-esi', 'esi.dev/sync-secret': 'true' } },
    spec: { serviceAccountName: 'default', containers: [{ name: 'app', image: 'app' }] },
  } as Pod;
  const injected = injectPod(pod, { eso: lookup, namespace: ns, cluster: { nativeSidecars: true } }).pod;
  await api('POST', `/api/v1/namespaces/${ns}/pods`, injected);
  const config = JSON.parse(injected.metadata.annotations![AGENT_CONFIG_ANNOTATION]!) as AgentConfig;
  agent = await startAgent('status', { config, env: { ...(await awsEnv('static')), ESI_KUBECONFIG: oracle.kubeconfigPath, ESI_POD_NAME: 'app-0' }, mode: 'sidecar', minRefreshIntervalMs: 1000 });

  // 1. First sync.
  const synced = (es: Es) => ready(es)?.status === 'True' && !!es.status?.refreshTime && !!es.status.binding?.name;
  const esoSynced = await until('ESO synced by-eso', () => getEs('by-eso'), synced);
  const esiSynced = await until('esi synced by-esi', () => getEs('by-esi'), synced);
  expect(condition(esiSynced)).toEqual(condition(esoSynced));
  expect(condition(esiSynced)).toEqual({ status: 'True', reason: 'SecretSynced', message: 'secret synced' });
  expect(Object.keys(esiSynced.status!).sort()).toEqual(Object.keys(esoSynced.status!).sort());
  expect(esiSynced.status!.syncedResourceVersion).toBe(resourceVersionOf(esiSynced as never));
  expect(esoSynced.status!.syncedResourceVersion).toBe(resourceVersionOf(esoSynced as never));
  expect(esiSynced.status!.binding).toEqual({ name: 'by-esi-secret' });
  expect(esoSynced.status!.binding).toEqual({ name: 'by-eso-secret' });
  expect(described(await until('esi Events', () => events('by-esi'), (e) => e.length > 0))).toEqual(described(await events('by-eso')));
  expect(described(await events('by-esi'))).toEqual(['Normal Created secret created']);

  // 2. The backend loses the secret: both fail with ESO's condition and the same error text.
  const sm = motoSecretsManager();
  try {
    await sm.send(new DeleteSecretCommand({ SecretId: key, ForceDeleteWithoutRecovery: true }));
  } finally {
    sm.destroy();
  }
  const failing = (es: Es) => ready(es)?.status === 'False';
  const esoFailed = await until('ESO reports the failure', () => getEs('by-eso'), failing);
  const esiFailed = await until('esi reports the failure', () => getEs('by-esi'), failing);
  expect(condition(esiFailed)).toEqual(condition(esoFailed));
  expect(condition(esiFailed)).toEqual({ status: 'False', reason: 'SecretSyncedError', message: 'could not get secret data from provider' });
  const warnings = async (name: string) => (await events(name)).filter((e) => e.type === 'Warning').map((e) => `${e.reason} ${e.message}`);
  const esiWarnings = await until('esi UpdateFailed Event', () => warnings('by-esi'), (w) => w.length > 0);
  expect(esiWarnings[0]).toMatch(/^UpdateFailed .*Secret does not exist/);
  expect(new Set(esiWarnings)).toEqual(new Set(await until('ESO UpdateFailed Event', () => warnings('by-eso'), (w) => w.length > 0)));
  // markAsFailed leaves refreshTime and syncedResourceVersion as they were (ESO's keeps moving only on success).
  expect(esiFailed.status!.syncedResourceVersion).toBe(esiSynced.status!.syncedResourceVersion);
  expect(esiFailed.status!.refreshTime! >= esiSynced.status!.refreshTime!).toBe(true);

  // 3. Recovery with a new value: Ready again, the Secret updated, refreshTime later.
  await putAwsSecret(key, JSON.stringify({ password: sentinel('status-pw2') }));
  const esoBack = await until('ESO recovers', () => getEs('by-eso'), (es) => ready(es)?.status === 'True');
  const esiBack = await until('esi recovers', () => getEs('by-esi'), (es) => ready(es)?.status === 'True');
  expect(condition(esiBack)).toEqual(condition(esoBack));
  expect(esiBack.status!.refreshTime! > esiSynced.status!.refreshTime!).toBe(true);
  // The Ready transition times moved with the status, as SetExternalSecretCondition does.
  expect(ready(esiBack)!.lastTransitionTime! >= ready(esiFailed)!.lastTransitionTime!).toBe(true);
  await until('esi Updated Event', () => events('by-esi'), (e) => e.some((x) => x.reason === 'Updated'));
  await until('ESO Updated Event', () => events('by-eso'), (e) => e.some((x) => x.reason === 'Updated'));
  const normal = async (name: string) => described(await events(name)).filter((e) => e.startsWith('Normal'));
  expect(await normal('by-esi')).toEqual(await normal('by-eso'));
  expect(await normal('by-esi')).toEqual(['Normal Created secret created', 'Normal Updated secret updated']);

  // Nobody wrote the other's: status writers by managedFields, Events by their source.
  const statusManagers = (es: Es) => (es.metadata.managedFields ?? []).filter((f) => f.subresource === 'status').map((f) => f.manager);
  const esoFinal = await getEs('by-eso');
  const esiFinal = await getEs('by-esi');
  expect(statusManagers(esoFinal).length).toBeGreaterThan(0);
  expect(statusManagers(esoFinal).every((m) => !m.startsWith('esi'))).toBe(true);
  expect(statusManagers(esiFinal)).toEqual(['esi']);
  expect((await events('by-eso')).every((e) => e.source?.component !== 'esi-agent')).toBe(true);
  expect((await events('by-esi')).every((e) => e.source?.component === 'esi-agent')).toBe(true);
}, 240_000);

test('store status: the esi-class store gets ESO\'s Ready/Valid condition and capabilities; ESO\'s store is left to ESO', async () => {
  const getStore = async (name: string) => (await api<{ status?: { capabilities?: string; conditions?: { type: string; status: string; reason: string; message: string }[] }; metadata: { managedFields?: { manager: string; subresource?: string }[] } }>('GET', `${ESO}/namespaces/${ns}/secretstores/${name}`)).body;
  const esoStore = await until('ESO validated its store', () => getStore('eso'), (s) => !!s.status?.conditions?.length);
  const esiStore = await until('esi validated its store', () => getStore('esi'), (s) => !!s.status?.conditions?.length);
  const view = (s: typeof esoStore) => ({ capabilities: s.status!.capabilities, conditions: s.status!.conditions!.map(({ type, status, reason, message }) => ({ type, status, reason, message })) });
  expect(view(esiStore)).toEqual(view(esoStore));
  expect(view(esiStore)).toEqual({ capabilities: 'ReadWrite', conditions: [{ type: 'Ready', status: 'True', reason: 'Valid', message: 'store validated' }] });
  const managers = (s: typeof esoStore) => (s.metadata.managedFields ?? []).filter((f) => f.subresource === 'status').map((f) => f.manager);
  expect(managers(esiStore)).toEqual(['esi']);
  expect(managers(esoStore).every((m) => !m.startsWith('esi'))).toBe(true);
}, 120_000);
