// Clean-up (issue 14) on the real apiserver: (1) an ExternalSecret dropped from a running agent's config
// has its files' directory removed while the others stay; (2) when the last pod writing a target Secret
// (esi.dev/sync-secret) is gone, the webhook's leader applies the ExternalSecret's deletionPolicy as ESO
// does when a sync leaves no data: Delete deletes the Secret it created, Merge keeps the Secret without
// the keys this ExternalSecret manages, Retain keeps it as it is; a pod still writing it keeps it.
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { AGENT_CONFIG_ANNOTATION, type AgentConfig } from '../../contract/index.ts';
import type { Secret } from '../../core/index.ts';
import { KubeClient, kubeconfigAccess } from '../../kube/index.ts';
import { runWebhook, type RunningWebhook } from '../../webhook/index.ts';
import { jsonLogger } from '../../core/log.ts';
import { startAgent } from './agent-helpers.ts';
import { adminAccess, harness, issueServingCertificate, kubeApi, kubeRaw, logFile, scratchPath } from '../harness/index.ts';
import { injectPod } from '../../injector/index.ts';
import type { Pod } from '../../core/index.ts';

const ESO = '/apis/external-secrets.io/v1';
let webhook: RunningWebhook;
let ns: string;

const api = <T>(method: string, path: string, body?: unknown) => kubeApi<T>(adminAccess(), method, path, body);

async function until<T>(what: string, get: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms; last: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function externalSecret(name: string, deletionPolicy: string) {
  return {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: { name },
    spec: {
      secretStoreRef: { name: 'fake', kind: 'SecretStore' },
      refreshInterval: '1h',
      target: { name: `${name}-secret`, creationPolicy: 'Owner', deletionPolicy },
      data: [{ secretKey: 'value', remoteRef: { key: 'k' } }],
    },
  };
}

beforeAll(async () => {
  const tls = await issueServingCertificate('esi-cleanup');
  const stream = createWriteStream(logFile('esi-webhook-cleanup.log'), { flags: 'a' });
  ns = `cleanup-${randomBytes(3).toString('hex')}`;
  webhook = await runWebhook({
    client: new KubeClient(await kubeconfigAccess(harness().kubeconfigPath)),
    host: '127.0.0.1',
    port: 0,
    tls: { certFile: tls.cert, keyFile: tls.key },
    log: jsonLogger({ base: { component: 'esi-webhook' }, write: (line) => void stream.write(line) }),
    nativeSidecars: true,
    controllerNamespaceSelector: { 'esi-e2e-cleanup': ns },
    cleanupGraceMs: 500,
  });
  await webhook.synced;
  await api('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { 'esi-e2e-cleanup': ns } } });
  await api('POST', `${ESO}/namespaces/${ns}/secretstores`, { apiVersion: 'external-secrets.io/v1', kind: 'SecretStore', metadata: { name: 'fake' }, spec: { controller: 'esi', provider: { fake: { data: [{ key: 'k', value: 'v1' }] } } } });
  for (const [name, policy] of [['del', 'Delete'], ['merge', 'Merge'], ['keep', 'Retain'], ['shared', 'Delete']] as const) {
    await api('POST', `${ESO}/namespaces/${ns}/externalsecrets`, externalSecret(name, policy));
  }
});

afterAll(async () => {
  await webhook?.close();
});

/** A pod as admission leaves it (the webhook's own cache resolves it), created in the apiserver; its agent config. */
async function admittedPod(name: string, externalSecrets: string): Promise<AgentConfig> {
  const lookup = webhook.cache.lookup();
  await until('the webhook cache has the ExternalSecrets', async () => externalSecrets.split(',').every((e) => lookup.externalSecret(ns, e)) && lookup.secretStore(ns, 'fake') !== undefined, (x) => x);
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels: { 'esi.dev/inject': 'true' }, annotations: { 'esi.dev/external-secrets': externalSecrets, 'esi.dev/sync-secret': 'true' } },
    spec: { containers: [{ name: 'app', image: 'app' }] },
  } as Pod;
  const injected = injectPod(pod, { eso: lookup, namespace: ns, cluster: { nativeSidecars: true } }).pod;
  await api('POST', `/api/v1/namespaces/${ns}/pods`, injected);
  return JSON.parse(injected.metadata.annotations![AGENT_CONFIG_ANNOTATION]!) as AgentConfig;
}

const secret = async (name: string) => {
  const r = await kubeRaw<Secret>(adminAccess(), 'GET', `/api/v1/namespaces/${ns}/secrets/${name}`);
  return r.status === 200 ? r.body : undefined;
};

test('an ExternalSecret dropped from a running agent\'s config loses its files\' directory; the others stay', async () => {
  const config = await admittedPod('files', 'del,merge');
  const configPath = scratchPath(`cleanup-config-${ns}.json`);
  await writeFile(configPath, JSON.stringify({ ...config, externalSecrets: config.externalSecrets.map((e) => ({ ...e, syncSecret: false })) }));
  const agent = await startAgent('cleanup-files', { configPath, env: {}, kube: null, mode: 'sidecar' });
  await until('both directories', async () => readdir(join(agent.root, config.mountPath)).catch((): string[] => []), (d) => d.includes('del') && d.includes('merge'));
  const next = { ...config, externalSecrets: config.externalSecrets.filter((e) => e.externalSecret.metadata.name === 'merge').map((e) => ({ ...e, syncSecret: false })) };
  // As the kubelet replaces a downward-API file: a new file renamed over the old one.
  await writeFile(`${configPath}.tmp`, JSON.stringify(next));
  await rename(`${configPath}.tmp`, configPath);
  const left = await until('the dropped directory removed', async () => readdir(join(agent.root, config.mountPath)), (d) => !d.includes('del'));
  expect(left.filter((n) => !n.startsWith('..'))).toEqual(['merge']);
  expect(await readFile(join(agent.dir('merge'), 'value'), 'utf8')).toBe('v1');
  await agent.stop();
  await api('DELETE', `/api/v1/namespaces/${ns}/pods/files`);
});

test('the last pod writing a target Secret goes: Delete deletes it, Merge drops its keys, Retain keeps it, a pod still writing it keeps it', async () => {
  const a = await admittedPod('app-a', 'del,merge,keep,shared');
  await admittedPod('app-b', 'shared');
  const env = { ESI_KUBECONFIG: harness().kubeconfigPath, ESI_POD_NAME: 'app-a' };
  const agent = await startAgent('cleanup-secrets', { config: a, env, mode: 'init' });
  expect(await agent.done).toBe(0);
  for (const n of ['del', 'merge', 'keep', 'shared']) expect((await secret(`${n}-secret`))?.data?.['value']).toBe(Buffer.from('v1').toString('base64'));
  const kept = await secret('keep-secret');

  await api('DELETE', `/api/v1/namespaces/${ns}/pods/app-a`);
  await until('Delete: the Secret deleted', () => secret('del-secret'), (s) => s === undefined);
  const merged = await until('Merge: the ExternalSecret\'s keys dropped', () => secret('merge-secret'), (s) => s !== undefined && !s.data?.['value']);
  expect(merged!.metadata.labels?.['reconcile.external-secrets.io/managed']).toBe('true');
  // Nothing more happens to the others: app-b still writes `shared`, Retain keeps `keep`.
  await new Promise((r) => setTimeout(r, 2000));
  expect((await secret('keep-secret'))?.metadata.resourceVersion).toBe(kept!.metadata.resourceVersion);
  expect((await secret('shared-secret'))?.data?.['value']).toBe(Buffer.from('v1').toString('base64'));

  await api('DELETE', `/api/v1/namespaces/${ns}/pods/app-b`);
  await until('Delete: the shared Secret deleted once its last pod went', () => secret('shared-secret'), (s) => s === undefined);
});
