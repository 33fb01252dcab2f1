// templateFrom from the cluster in the agent (issue 14): the ConfigMap and Secret an ExternalSecret's
// template names are read with the pod's OWN service account, holding only the Role the README
// documents (get on those names, create events), on the real apiserver; the files equal what
// `esi render -f <the same objects>` prints; an object the Role does not grant fails with the API
// server's 403 under ESO's prefixes, and a missing one with ESO's own "not found" text.
import { readFile } from 'node:fs/promises';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, test } from 'vitest';
import { stringify } from 'yaml';
import { renderCommand } from '../../cli/commands/render.ts';
import type { Secret } from '../../core/index.ts';
import { agentConfig, podServiceAccount, startAgent } from './agent-helpers.ts';
import { adminAccess, awsEnv, freshNamespace, harness, kubeApi, putAwsSecret, scratchPath, sentinel, sha256, type KubeAccess } from '../harness/index.ts';

let ns: string;
let admin: KubeAccess;
let kubeconfig: string;
let key: string;
let password: string;

const store = () => ({
  apiVersion: 'external-secrets.io/v1',
  kind: 'SecretStore',
  metadata: { name: 'aws', namespace: ns },
  spec: { provider: { aws: { service: 'SecretsManager', region: harness().awsRegion } } },
});

function externalSecret(templateFrom: unknown[]) {
  return {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: { name: 'db', namespace: ns },
    spec: {
      secretStoreRef: { name: 'aws', kind: 'SecretStore' },
      refreshInterval: '1h0m0s',
      target: { creationPolicy: 'Owner', deletionPolicy: 'Retain', template: { engineVersion: 'v2', mergePolicy: 'Replace', templateFrom } },
      data: [
        { secretKey: 'username', remoteRef: { key, property: 'username' } },
        { secretKey: 'password', remoteRef: { key, property: 'password' } },
      ],
    },
  };
}

const CONFIG_MAP = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'dsn-template' },
  data: { dsn: 'postgres://{{ .username }}:{{ .password }}@db:5432/app', 'pool.yaml': 'size: 5' },
};
const TEMPLATE_SECRET = {
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'extra-template' },
  data: { banner: Buffer.from('user={{ .username }}').toString('base64') },
};

beforeAll(async () => {
  admin = adminAccess();
  ns = await freshNamespace('templatefrom');
  key = `${ns}/db`;
  password = sentinel('templatefrom-pw');
  await putAwsSecret(key, JSON.stringify({ username: 'app', password }));
  await kubeApi(admin, 'POST', `/api/v1/namespaces/${ns}/configmaps`, CONFIG_MAP);
  await kubeApi(admin, 'POST', `/api/v1/namespaces/${ns}/configmaps`, { ...CONFIG_MAP, metadata: { name: 'not-granted' } });
  await kubeApi(admin, 'POST', `/api/v1/namespaces/${ns}/secrets`, TEMPLATE_SECRET);
  // The Role the README documents for templateFrom: get on the named objects only.
  kubeconfig = await podServiceAccount(ns, 'app', [
    { apiGroups: [''], resources: ['configmaps'], resourceNames: ['dsn-template', 'missing'], verbs: ['get'] },
    { apiGroups: [''], resources: ['secrets'], resourceNames: ['extra-template'], verbs: ['get'] },
    { apiGroups: [''], resources: ['events'], verbs: ['create'] },
  ], 'templatefrom');
});

function config(templateFrom: unknown[]) {
  const c = agentConfig(ns, { name: 'aws', provider: store().spec.provider }, []);
  c.externalSecrets = [{ dir: 'db', syncSecret: false, externalSecret: externalSecret(templateFrom) as never }];
  return c;
}

const TEMPLATE_FROM = [
  { configMap: { name: 'dsn-template', items: [{ key: 'dsn' }, { key: 'pool.yaml', templateAs: 'KeysAndValues' }] } },
  { secret: { name: 'extra-template', items: [{ key: 'banner' }] } },
];

test('the agent reads templateFrom ConfigMap and Secret with the pod\'s own identity; its files equal esi render\'s Secret', async () => {
  const env = { ...(await awsEnv('static')), ESI_KUBECONFIG: kubeconfig, ESI_POD_NAME: 'app-0' };
  const agent = await startAgent('templatefrom-ok', { config: config(TEMPLATE_FROM), env, mode: 'init' });
  expect(await agent.done).toBe(0);
  const files: Record<string, string> = {};
  for (const k of ['dsn', 'size', 'banner']) files[k] = await readFile(join(agent.dir('db'), k), 'utf8');
  expect(sha256(files['dsn']!)).toBe(sha256(`postgres://app:${password}@db:5432/app`));
  expect(files['size']).toBe('5');
  expect(files['banner']).toBe('user=app');
  await expect(readFile(join(agent.dir('db'), 'password'))).rejects.toThrow(/ENOENT/); // mergePolicy Replace

  const esFile = scratchPath(`templatefrom-es-${ns}.yaml`);
  const storeFile = scratchPath(`templatefrom-store-${ns}.yaml`);
  const objectsFile = scratchPath(`templatefrom-objects-${ns}.yaml`);
  writeFileSync(esFile, stringify(externalSecret(TEMPLATE_FROM)));
  writeFileSync(storeFile, stringify(store()));
  writeFileSync(objectsFile, [CONFIG_MAP, TEMPLATE_SECRET].map((o) => stringify({ ...o, metadata: { ...o.metadata, namespace: ns } })).join('---\n'));
  const out: string[] = [];
  const err: string[] = [];
  const code = await renderCommand(['--external-secret', esFile, '--store', storeFile, '-f', objectsFile, '-o', 'json'], {
    stdout: (t) => void out.push(t),
    stderr: (t) => void err.push(t),
    env: await awsEnv('static'),
  });
  expect(code, err.join('')).toBe(0);
  const rendered = JSON.parse(out.join('')) as Secret;
  expect(Object.keys(rendered.data!).sort()).toEqual(Object.keys(files).sort());
  for (const [k, v] of Object.entries(files)) expect(sha256(Buffer.from(rendered.data![k]!, 'base64'))).toBe(sha256(v));
});

test('a templateFrom ConfigMap the pod\'s Role does not grant fails with the API server\'s 403 under ESO\'s prefixes; a missing one with ESO\'s text', async () => {
  const env = { ...(await awsEnv('static')), ESI_KUBECONFIG: kubeconfig, ESI_POD_NAME: 'app-0' };
  const forbidden = await startAgent('templatefrom-403', { config: config([{ configMap: { name: 'not-granted', items: [{ key: 'dsn' }] } }]), env, mode: 'init', initAttempts: 1 });
  await expect(forbidden.done).rejects.toThrow(
    `db: could not apply template: error fetching templateFrom data: configmaps "not-granted" is forbidden: User "system:serviceaccount:${ns}:app" cannot get resource "configmaps" in API group "" in the namespace "${ns}"`,
  );
  const missing = await startAgent('templatefrom-404', { config: config([{ configMap: { name: 'missing', items: [{ key: 'dsn' }] } }]), env, mode: 'init', initAttempts: 1 });
  await expect(missing.done).rejects.toThrow('db: could not apply template: error fetching templateFrom data: configmaps "missing" not found');
});
