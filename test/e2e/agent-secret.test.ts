// esi.dev/sync-secret on the real apiserver with the pod's OWN service account: a Role that allows only
// what the README documents (get/update on the one Secret name, create secrets, create events), the
// init agent writing the ESO-compatible Secret before "the app starts", several replicas converging on
// one Secret, and the Secret equal to what `esi render` prints for the same ExternalSecret.
import { writeFileSync } from 'node:fs';
import { beforeAll, expect, test } from 'vitest';
import { stringify } from 'yaml';
import { renderCommand } from '../../cli/commands/render.ts';
import type { Secret } from '../../core/index.ts';
import { agentConfig, podServiceAccount, syncSecretRules, metricValue, startAgent } from './agent-helpers.ts';
import { adminAccess, kubeApi, type KubeAccess, awsEnv, freshNamespace, harness, putAwsSecret, scratchPath, sentinel, sha256 } from '../harness/index.ts';

let ns: string;
let admin: KubeAccess;
let kubeconfig: string;
let esUid: string;
const TARGET = 'db-credentials';

function externalSecret(key: string) {
  return {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: { name: 'db', namespace: ns, labels: { team: 'payments' } },
    spec: {
      secretStoreRef: { name: 'aws', kind: 'SecretStore' },
      refreshInterval: '1h',
      target: { name: TARGET, creationPolicy: 'Owner', deletionPolicy: 'Retain' },
      data: [
        { secretKey: 'username', remoteRef: { key, property: 'username' } },
        { secretKey: 'password', remoteRef: { key, property: 'password' } },
      ],
    },
  };
}

const store = () => ({
  apiVersion: 'external-secrets.io/v1',
  kind: 'SecretStore',
  metadata: { name: 'aws', namespace: ns },
  spec: { controller: 'esi', provider: { aws: { service: 'SecretsManager', region: harness().awsRegion } } },
});

let key: string;
let password: string;

beforeAll(async () => {
  admin = adminAccess();
  ns = await freshNamespace('agent-secret');
  key = `${ns}/db`;
  password = sentinel('agent-secret-pw');
  await putAwsSecret(key, JSON.stringify({ username: 'app', password }));
  // The RBAC the README documents for esi.dev/sync-secret.
  kubeconfig = await podServiceAccount(ns, 'app', syncSecretRules(TARGET), 'agent-secret');
  const created = await kubeApi<{ metadata: { uid: string } }>(admin, 'POST', `/apis/external-secrets.io/v1/namespaces/${ns}/externalsecrets`, externalSecret(key));
  esUid = created.body.metadata.uid;
});

function config() {
  const c = agentConfig(ns, { name: 'aws', controller: 'esi', provider: store().spec.provider }, [], { controllerClass: 'esi' });
  const es = externalSecret(key) as Record<string, any>;
  es['metadata'].uid = esUid;
  c.externalSecrets = [{ dir: 'db', syncSecret: true, externalSecret: es as never }];
  return c;
}

test('init agents (three replicas at once) write one ESO-compatible Secret with the pod\'s own service account; it equals esi render\'s', async () => {
  const env = { ...(await awsEnv('static')), ESI_KUBECONFIG: kubeconfig, ESI_POD_NAME: 'app-0' };
  const agents = await Promise.all([1, 2, 3].map((i) => startAgent(`secret-init-${i}`, { config: config(), env, mode: 'init' })));
  const codes = await Promise.all(agents.map((a) => a.done));
  expect(codes).toEqual([0, 0, 0]);
  const results = await Promise.all(agents.map(async (a) => ({
    created: await metricValue(a.metrics, 'esi_agent_secret_writes_total', { result: 'created' }),
    errors: await metricValue(a.metrics, 'esi_agent_secret_writes_total', { result: 'error' }),
  })));
  expect(results.reduce((n, r) => n + r.created, 0)).toBe(1);
  expect(results.every((r) => r.errors === 0)).toBe(true);
  for (const a of agents) await a.stop().catch(() => undefined);

  const live = (await kubeApi<Secret>(admin, 'GET', `/api/v1/namespaces/${ns}/secrets/${TARGET}`)).body;
  expect(sha256(Buffer.from(live.data!['password']!, 'base64'))).toBe(sha256(password));
  expect(live.metadata.ownerReferences).toEqual([
    { apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', name: 'db', uid: esUid, controller: true, blockOwnerDeletion: true },
  ]);
  expect((live.metadata['managedFields'] as { manager?: string }[] | undefined)?.some((f) => f.manager === 'externalsecrets.external-secrets.io/db')).toBe(true);

  // `esi render` for the same ExternalSecret and store, same credentials.
  const esFile = scratchPath(`agent-secret-es-${ns}.yaml`);
  const storeFile = scratchPath(`agent-secret-store-${ns}.yaml`);
  writeFileSync(esFile, stringify({ ...externalSecret(key), metadata: { ...externalSecret(key).metadata, uid: esUid } }));
  writeFileSync(storeFile, stringify(store()));
  const out: string[] = [];
  const err: string[] = [];
  const code = await renderCommand(['--external-secret', esFile, '--store', storeFile, '--controller-class', 'esi', '-o', 'json'], {
    stdout: (t) => void out.push(t),
    stderr: (t) => void err.push(t),
    env: await awsEnv('static'),
  });
  expect(code, err.join('')).toBe(0);
  const rendered = JSON.parse(out.join('')) as Secret;
  expect(live.data).toEqual(rendered.data);
  expect(live.type).toBe(rendered.type);
  expect(live.metadata.labels).toEqual(rendered.metadata.labels);
  expect(live.metadata.annotations).toEqual(rendered.metadata.annotations);
  expect(live.metadata.ownerReferences).toEqual(rendered.metadata.ownerReferences);
});

test('a rotation updates the Secret in place (resourceVersion-checked PUT); an unchanged refresh writes nothing', async () => {
  const env = { ...(await awsEnv('static')), ESI_KUBECONFIG: kubeconfig, ESI_POD_NAME: 'app-0' };
  const before = (await kubeApi<Secret>(admin, 'GET', `/api/v1/namespaces/${ns}/secrets/${TARGET}`)).body;
  const unchanged = await startAgent('secret-unchanged', { config: config(), env, mode: 'init' });
  expect(await unchanged.done).toBe(0);
  expect(await metricValue(unchanged.metrics, 'esi_agent_secret_writes_total', { result: 'unchanged' })).toBe(1);
  expect((await kubeApi<Secret>(admin, 'GET', `/api/v1/namespaces/${ns}/secrets/${TARGET}`)).body.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
  const pw2 = sentinel('agent-secret-pw2');
  await putAwsSecret(key, JSON.stringify({ username: 'app', password: pw2 }));
  const rotate = await startAgent('secret-rotate', { config: config(), env, mode: 'init' });
  expect(await rotate.done).toBe(0);
  const after = (await kubeApi<Secret>(admin, 'GET', `/api/v1/namespaces/${ns}/secrets/${TARGET}`)).body;
  expect(sha256(Buffer.from(after.data!['password']!, 'base64'))).toBe(sha256(pw2));
  expect(after.metadata.resourceVersion).not.toBe(before.metadata.resourceVersion);
  expect(after.metadata.annotations?.['reconcile.external-secrets.io/data-hash']).not.toBe(before.metadata.annotations?.['reconcile.external-secrets.io/data-hash']);
});

test('without RBAC on another Secret name the agent fails with the API\'s 403, naming the Secret', async () => {
  const env = { ...(await awsEnv('static')), ESI_KUBECONFIG: kubeconfig, ESI_POD_NAME: 'app-0' };
  const c = config();
  (c.externalSecrets[0]!.externalSecret.spec.target as unknown as Record<string, unknown>)['name'] = 'not-allowed';
  const agent = await startAgent('secret-forbidden', { config: c, env, mode: 'init', initAttempts: 1 });
  await expect(agent.done).rejects.toThrow(/kube-apiserver GET \/api\/v1\/namespaces\/[^/]+\/secrets\/not-allowed: HTTP 403/);
});
