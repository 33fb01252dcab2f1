// The esi webhook called by the real kube-apiserver: labelled pods get the plan, unlabelled pods never
// reach it, denials reach the client with the annotation's name, stores are confined to the pod's
// namespace (and ClusterSecretStore conditions), and ExternalSecret changes reach running pods.
import { randomInt } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { get } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentCommand } from '../../cli/commands/agent.ts';
import type { Pod } from '../../core/index.ts';
import { AGENT_CONFIG_ANNOTATION, type AgentConfig } from '../../contract/index.ts';
import { injectManifests } from '../../injector/index.ts';
import { adminAccess, kubeApi, kubeRaw, scratchPath, sha256 } from '../harness/index.ts';
import { create, ESO, externalSecret, fakeStore, namespace, register, startTestWebhook, untilCached, unregister, webhookConfiguration, type TestWebhook } from './webhook-helpers.ts';

let hook: TestWebhook;
let ns: string;
const CANARY = 'esi-e2e-canary-not-a-secret';

const podBody = (name: string, annotations: Record<string, string>, labels: Record<string, string> = { 'esi.dev/inject': 'true' }, spec: Partial<Pod['spec']> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels, annotations },
  spec: { containers: [{ name: 'app', image: 'example/app:1' }], ...spec },
});

beforeAll(async () => {
  hook = await startTestWebhook('admission');
  ns = await namespace('wh', hook.selector);
  await create(`/apis/${ESO}/namespaces/${ns}/secretstores`, fakeStore('fake', [{ key: 'db', value: CANARY }, { key: 'api', value: CANARY }]));
  await create(`/apis/${ESO}/namespaces/${ns}/externalsecrets`, externalSecret('db', 'fake', [{ secretKey: 'password', key: 'db' }]));
  // the webhook's cache must have seen them before pods reference them
  await untilCached(hook, 'ExternalSecret db', (l) => !!l.externalSecret(ns, 'db'));
});

afterAll(async () => {
  await hook?.close();
});

describe('esi webhook with the real kube-apiserver', () => {
  it('gives a labelled pod the agent as a native sidecar, the volumes, mounts and the agent config', async () => {
    const pod = await create<Pod>(`/api/v1/namespaces/${ns}/pods`, podBody('labelled', { 'esi.dev/external-secrets': 'db' }, undefined, { initContainers: [{ name: 'migrate', image: 'm' }] }));
    const init = pod.spec.initContainers!;
    expect(init.map((c) => c.name)).toEqual(['esi-agent', 'migrate']);
    expect(init[0]!.restartPolicy).toBe('Always');
    expect(init[0]!.startupProbe?.httpGet?.path).toBe('/startupz');
    expect(init[0]!.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    expect(pod.spec.volumes!.find((v) => v.name === 'esi-secrets')!.emptyDir).toEqual({ medium: 'Memory' });
    expect(pod.spec.containers[0]!.volumeMounts).toContainEqual({ name: 'esi-secrets', mountPath: '/var/run/secrets/esi', readOnly: true });
    const config = JSON.parse(pod.metadata.annotations![AGENT_CONFIG_ANNOTATION]!) as AgentConfig;
    expect(config.pod.namespace).toBe(ns);
    expect(config.externalSecrets.map((e) => e.externalSecret.metadata.name)).toEqual(['db']);
    // dry-run requests are honoured (sideEffects: None) and mutate the same way
    const dry = (await kubeApi<Pod>(adminAccess(), 'POST', `/api/v1/namespaces/${ns}/pods?dryRun=All`, podBody('dry', { 'esi.dev/external-secrets': 'db' }))).body;
    expect(dry.spec.initContainers![0]!.name).toBe('esi-agent');
    expect((await kubeRaw(adminAccess(), 'GET', `/api/v1/namespaces/${ns}/pods/dry`)).status).toBe(404);
  });

  it('admits a pod whose agent, run as `esi agent --pod` on the admitted manifest, writes the files', async () => {
    const pod = (await kubeApi<Pod>(adminAccess(), 'GET', `/api/v1/namespaces/${ns}/pods/labelled`)).body;
    const dir = await mkdtemp(scratchPath('webhook-agent-'));
    const manifest = join(dir, 'pod.json');
    await writeFile(manifest, JSON.stringify(pod));
    let stderr = '';
    const code = await agentCommand(['--pod', manifest, '--root', join(dir, 'root'), '--mode', 'init'], { stdout: () => {}, stderr: (t) => (stderr += t), env: { PATH: process.env['PATH'] ?? '' } });
    expect({ code, stderr: stderr.includes(CANARY) }).toEqual({ code: 0, stderr: false });
    const value = await readFile(join(dir, 'root', '/var/run/secrets/esi', 'db', 'password'), 'utf8');
    expect(sha256(value)).toBe(sha256(CANARY));
  });

  it('leaves an unlabelled pod untouched, and admits it even while the webhook is down', async () => {
    const plain = await create<Pod>(`/api/v1/namespaces/${ns}/pods`, podBody('plain', { 'esi.dev/external-secrets': 'db' }, { app: 'plain' }));
    expect(plain.spec.initContainers).toBeUndefined();
    expect(plain.metadata.annotations![AGENT_CONFIG_ANNOTATION]).toBeUndefined();

    // A second configuration pointing at a port nobody listens on, failurePolicy Fail.
    const downSelector = { 'esi-e2e-webhook-down': hook.configName };
    const downNs = await namespace('down', downSelector);
    const name = `${hook.configName}-down`;
    await register(webhookConfiguration(name, 'https://127.0.0.1:1/mutate', hook.ca, downSelector));
    try {
      // labelled pods now fail loudly (proves the dead webhook is active) …
      const deadline = Date.now() + 60_000;
      let status = 0;
      do {
        const r = await kubeRaw(adminAccess(), 'POST', `/api/v1/namespaces/${downNs}/pods?dryRun=All`, podBody('probe', { 'esi.dev/external-secrets': 'db' }));
        status = r.status;
        if (status >= 500 || status === 400 || status === 403) break;
        await new Promise((r2) => setTimeout(r2, 250));
      } while (Date.now() < deadline);
      expect(status).toBeGreaterThanOrEqual(400);
      // … while pods that did not opt in never reach it
      const created = await create<Pod>(`/api/v1/namespaces/${downNs}/pods`, podBody('unlabelled', {}, { app: 'x' }));
      expect(created.metadata.name).toBe('unlabelled');
      expect(created.spec.initContainers).toBeUndefined();
    } finally {
      await unregister(name);
    }
  });

  it('denies a bad annotation with the annotation named in the message the client sees', async () => {
    const r = await kubeRaw<{ message: string; code: number }>(adminAccess(), 'POST', `/api/v1/namespaces/${ns}/pods`, podBody('bad', { 'esi.dev/external-secrets': 'db', 'esi.dev/mode': 'sidekick' }));
    expect(r.status).toBe(400);
    expect(r.body.message).toBe('admission webhook "inject.esi.dev" denied the request: esi.dev/mode: "sidekick" is not valid: use init, sidecar or both');
    const missing = await kubeRaw<{ message: string }>(adminAccess(), 'POST', `/api/v1/namespaces/${ns}/pods`, podBody('missing', { 'esi.dev/external-secrets': 'nope' }));
    expect(missing.status).toBe(403);
    expect(missing.body.message).toContain('esi.dev/external-secrets: ExternalSecret "nope" not found in namespace');
  });

  it('refuses a store from another namespace and a ClusterSecretStore whose conditions exclude the namespace', async () => {
    const other = await namespace('other', hook.selector);
    await create(`/apis/${ESO}/namespaces/${other}/secretstores`, fakeStore('elsewhere', [{ key: 'db', value: CANARY }]));
    await create(`/apis/${ESO}/namespaces/${ns}/externalsecrets`, externalSecret('cross', 'elsewhere', [{ secretKey: 'x', key: 'db' }]));
    const cssName = `only-team-a-${ns}`;
    await create(`/apis/${ESO}/clustersecretstores`, {
      apiVersion: ESO,
      kind: 'ClusterSecretStore',
      metadata: { name: cssName },
      spec: { conditions: [{ namespaces: ['team-a'] }], provider: { fake: { data: [{ key: 'db', value: CANARY }] } } },
    });
    await create(`/apis/${ESO}/namespaces/${ns}/externalsecrets`, externalSecret('conditioned', cssName, [{ secretKey: 'x', key: 'db' }], 'ClusterSecretStore'));
    const until = async (f: () => boolean) => {
      const deadline = Date.now() + 30_000;
      while (!f()) {
        if (Date.now() > deadline) throw new Error('cache never caught up');
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const lookup = hook.webhook.cache.lookup();
    await until(() => !!lookup.externalSecret(ns, 'cross') && !!lookup.externalSecret(ns, 'conditioned') && !!lookup.clusterSecretStore(cssName));

    const cross = await kubeRaw<{ message: string }>(adminAccess(), 'POST', `/api/v1/namespaces/${ns}/pods`, podBody('cross', { 'esi.dev/external-secrets': 'cross' }));
    expect(cross.status).toBe(403);
    expect(cross.body.message).toContain('could not get SecretStore "elsewhere": not found');
    const cond = await kubeRaw<{ message: string }>(adminAccess(), 'POST', `/api/v1/namespaces/${ns}/pods`, podBody('cond', { 'esi.dev/external-secrets': 'conditioned' }));
    expect(cond.status).toBe(403);
    expect(cond.body.message).toContain(`using cluster store "${cssName}" is not allowed from namespace "${ns}": denied by spec.condition`);
    const ref = await kubeRaw<{ message: string }>(adminAccess(), 'POST', `/api/v1/namespaces/${ns}/pods`, podBody('ref', { 'esi.dev/external-secrets': `${other}/db` }));
    expect(ref.body.message).toContain("names refer to the pod's own namespace");
  });

  // issue 18: on V8's backtracking RegExp this namespace never finished admission, and the webhook then
  // answered neither /healthz nor any other /mutate. Each request below must be answered.
  it('answers a pod in a namespace crafted against a ClusterSecretStore namespaceRegex, and keeps answering others', async () => {
    const letters = Array.from({ length: 4 }, () => String.fromCharCode(97 + randomInt(26))).join('');
    const crafted = `prod-${letters}${'a'.repeat(31)}1`;
    await kubeApi(adminAccess(), 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: crafted, labels: hook.selector } });
    const cssName = `prod-only-${ns}`;
    await create(`/apis/${ESO}/clustersecretstores`, {
      apiVersion: ESO,
      kind: 'ClusterSecretStore',
      metadata: { name: cssName },
      spec: { conditions: [{ namespaceRegexes: ['^prod-([a-z]+-?)+$'] }], provider: { fake: { data: [{ key: 'db', value: CANARY }] } } },
    });
    await create(`/apis/${ESO}/namespaces/${crafted}/externalsecrets`, externalSecret('db', cssName, [{ secretKey: 'x', key: 'db' }], 'ClusterSecretStore'));
    await untilCached(hook, 'the ExternalSecret and ClusterSecretStore', (l) => !!l.externalSecret(crafted, 'db') && !!l.clusterSecretStore(cssName));
    const healthz = () =>
      new Promise<number>((resolve, reject) => {
        const req = get({ host: '127.0.0.1', port: hook.webhook.port, path: '/healthz', ca: hook.ca, timeout: 10_000 }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('timeout', () => req.destroy(new Error('/healthz did not answer in 10 s')));
        req.on('error', reject);
      });
    const [craftedPod, health, other] = await Promise.all([
      kubeRaw<{ message: string }>(adminAccess(), 'POST', `/api/v1/namespaces/${crafted}/pods`, podBody('crafted', { 'esi.dev/external-secrets': 'db' })),
      healthz(),
      kubeRaw<Pod>(adminAccess(), 'POST', `/api/v1/namespaces/${ns}/pods`, podBody('beside-crafted', { 'esi.dev/external-secrets': 'db' })),
    ]);
    expect(craftedPod.status).toBe(403);
    expect(craftedPod.body.message).toContain(`using cluster store "${cssName}" is not allowed from namespace "${crafted}": denied by spec.condition`);
    expect(health).toBe(200);
    expect(other.status).toBe(201);
    expect(other.body.spec.initContainers![0]!.name).toBe('esi-agent');
    // a namespace the pattern matches is admitted by the same store
    const matching = `prod-${letters}-team`;
    await kubeApi(adminAccess(), 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: matching, labels: hook.selector } });
    await create(`/apis/${ESO}/namespaces/${matching}/externalsecrets`, externalSecret('db', cssName, [{ secretKey: 'x', key: 'db' }], 'ClusterSecretStore'));
    await untilCached(hook, 'ExternalSecret db', (l) => !!l.externalSecret(matching, 'db'));
    const admitted = await create<Pod>(`/api/v1/namespaces/${matching}/pods`, podBody('matching', { 'esi.dev/external-secrets': 'db' }));
    expect(admitted.spec.initContainers![0]!.name).toBe('esi-agent');
  });

  it('denies a pod whose ClusterSecretStore needs more regexp work than one admission may do, and /healthz keeps answering', async () => {
    const cssName = `many-regexes-${ns}`;
    await create(`/apis/${ESO}/clustersecretstores`, {
      apiVersion: ESO,
      kind: 'ClusterSecretStore',
      metadata: { name: cssName },
      // 1,000 distinct patterns: each cheap, together past the per-request bound
      spec: { conditions: [{ namespaceRegexes: Array.from({ length: 1000 }, (_, i) => `^team-${i}-([a-z]+-?)+(dev|prod)$`) }], provider: { fake: { data: [{ key: 'db', value: CANARY }] } } },
    });
    await create(`/apis/${ESO}/namespaces/${ns}/externalsecrets`, externalSecret('many', cssName, [{ secretKey: 'x', key: 'db' }], 'ClusterSecretStore'));
    await untilCached(hook, 'the ExternalSecret and ClusterSecretStore', (l) => !!l.externalSecret(ns, 'many') && !!l.clusterSecretStore(cssName));
    const r = await kubeRaw<{ message: string }>(adminAccess(), 'POST', `/api/v1/namespaces/${ns}/pods`, podBody('many', { 'esi.dev/external-secrets': 'many' }));
    expect(r.status).toBe(403);
    expect(r.body.message).toContain(`esi.dev/external-secrets: ClusterSecretStore "${cssName}"`);
    expect(r.body.message).toContain("exceed esi's bound on regexp work per request");
    const health = await new Promise<number>((resolve, reject) => get({ host: '127.0.0.1', port: hook.webhook.port, path: '/healthz', ca: hook.ca }, (res) => (res.resume(), resolve(res.statusCode ?? 0))).on('error', reject));
    expect(health).toBe(200);
  });

  it('updates the agent config annotation of a running pod when its ExternalSecret changes', async () => {
    await create(`/apis/${ESO}/namespaces/${ns}/externalsecrets`, externalSecret('live', 'fake', [{ secretKey: 'password', key: 'db' }]));
    await untilCached(hook, 'ExternalSecret live', (l) => !!l.externalSecret(ns, 'live'));
    await create(`/api/v1/namespaces/${ns}/pods`, podBody('live', { 'esi.dev/external-secrets': 'live' }));
    await kubeApi(adminAccess(), 'PATCH', `/apis/${ESO}/namespaces/${ns}/externalsecrets/live`, { spec: { data: [{ secretKey: 'password', remoteRef: { key: 'db' } }, { secretKey: 'token', remoteRef: { key: 'api' } }] } }, { contentType: 'application/merge-patch+json' });
    const deadline = Date.now() + 30_000;
    let keys: string[] = [];
    while (Date.now() < deadline) {
      const pod = (await kubeApi<Pod>(adminAccess(), 'GET', `/api/v1/namespaces/${ns}/pods/live`)).body;
      const cfg = JSON.parse(pod.metadata.annotations![AGENT_CONFIG_ANNOTATION]!) as AgentConfig;
      keys = (cfg.externalSecrets[0]!.externalSecret.spec.data ?? []).map((d) => d.secretKey);
      if (keys.length === 2) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(keys).toEqual(['password', 'token']);
  });

  it('admits a Deployment template injected by esi inject unchanged: one code path, idempotent on reinvocation', async () => {
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: ns },
      spec: {
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web', 'esi.dev/inject': 'true' }, annotations: { 'esi.dev/external-secrets': 'db' } }, spec: { containers: [{ name: 'app', image: 'a' }] } },
      },
    };
    const esoObjects = [
      { ...fakeStore('fake', [{ key: 'db', value: CANARY }]), metadata: { name: 'fake', namespace: ns } },
      { ...externalSecret('db', 'fake', [{ secretKey: 'password', key: 'db' }]), metadata: { name: 'db', namespace: ns } },
    ];
    const [injected] = injectManifests([deployment], esoObjects);
    const template = (injected as typeof deployment).spec.template as { metadata: Pod['metadata']; spec: Pod['spec'] };
    // no kubelet or controller-manager here: create the pod a ReplicaSet would create from the template
    const pod = await create<Pod>(`/api/v1/namespaces/${ns}/pods`, { apiVersion: 'v1', kind: 'Pod', metadata: { ...template.metadata, name: 'web-1' }, spec: template.spec });
    expect(pod.spec.initContainers!.map((c) => c.name)).toEqual(['esi-agent']);
    expect(pod.spec.volumes!.map((v) => v.name)).toEqual(['esi-secrets', 'esi-config']);
    expect(pod.spec.containers[0]!.volumeMounts!.filter((m) => m.name === 'esi-secrets')).toHaveLength(1);
  });

  it('copies EKS Pod Identity env and token mounts another webhook wrote into the agent', async () => {
    const pod = await create<Pod>(
      `/api/v1/namespaces/${ns}/pods`,
      podBody('identity', { 'esi.dev/external-secrets': 'db' }, undefined, {
        serviceAccountName: 'default',
        containers: [
          {
            name: 'app',
            image: 'a',
            env: [
              { name: 'AWS_CONTAINER_CREDENTIALS_FULL_URI', value: 'http://169.254.170.23/v1/credentials' },
              { name: 'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE', value: '/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token' },
            ],
            volumeMounts: [{ name: 'eks-pod-identity-token', mountPath: '/var/run/secrets/pods.eks.amazonaws.com/serviceaccount', readOnly: true }],
          },
        ],
        volumes: [{ name: 'eks-pod-identity-token', projected: { sources: [{ serviceAccountToken: { audience: 'pods.eks.amazonaws.com', expirationSeconds: 86400, path: 'eks-pod-identity-token' } }] } }],
      }),
    );
    const agent = pod.spec.initContainers![0]!;
    expect(agent.env!.map((e) => e.name)).toEqual(expect.arrayContaining(['AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE']));
    expect(agent.volumeMounts!.map((m) => m.name)).toContain('eks-pod-identity-token');
  });
});
