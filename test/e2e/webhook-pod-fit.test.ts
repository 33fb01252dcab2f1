// What a real cluster needs of the injected pod spec, checked on pods the real kube-apiserver stored
// after calling the esi webhook: the spec esi emits is the spec the apiserver keeps (no drift, no
// "restart the pod" warning on every change), the agent's health port is declared and differs between
// hostNetwork workloads, endpoint env reaches the agent only through the allow-list, readiness follows
// staleness when the pod asks, and the agent's termination reason reaches the pod status.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Container, Pod } from '../../core/index.ts';
import { AGENT_CONFIG_ANNOTATION, ENV, HEALTH, type AgentConfig } from '../../contract/index.ts';
import { desiredAgentConfig } from '../../webhook/controller.ts';
import { injectPod } from '../../injector/index.ts';
import { adminAccess, kubeApi, kubeRaw } from '../harness/index.ts';
import { create, ESO, externalSecret, fakeStore, namespace, startTestWebhook, untilCached, type TestWebhook } from './webhook-helpers.ts';

let hook: TestWebhook;
let ns: string;

const podBody = (name: string, annotations: Record<string, string>, spec: Partial<Pod['spec']> = {}, generateName?: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { ...(generateName ? { generateName } : { name }), labels: { 'esi.dev/inject': 'true' }, annotations: { 'esi.dev/external-secrets': 'db', ...annotations } },
  spec: { containers: [{ name: 'app', image: 'example/app:1' }], ...spec },
});

const agentOf = (pod: Pod): Container => [...(pod.spec.initContainers ?? []), ...pod.spec.containers].find((c) => c.name === 'esi-agent')!;
const envOf = (c: Container) => Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]));

beforeAll(async () => {
  hook = await startTestWebhook('podfit');
  ns = await namespace('podfit', hook.selector);
  await create(`/apis/${ESO}/namespaces/${ns}/secretstores`, fakeStore('fake', [{ key: 'db', value: 'not-a-secret' }, { key: 'api', value: 'not-a-secret' }]));
  await create(`/apis/${ESO}/namespaces/${ns}/externalsecrets`, externalSecret('db', 'fake', [{ secretKey: 'password', key: 'db' }]));
  await untilCached(hook, 'ExternalSecret db', (l) => !!l.externalSecret(ns, 'db'));
});

afterAll(async () => {
  await hook?.close();
});

describe('the injected pod spec in a real cluster', () => {
  it('is stored as esi emits it: re-injecting the stored pod needs no spec change, so ExternalSecret changes never warn "restart the pod"', async () => {
    const stored = await create<Pod>(`/api/v1/namespaces/${ns}/pods`, podBody('stored', {}, { hostNetwork: false }));
    const ctx = { eso: hook.webhook.cache.lookup(), namespace: ns, cluster: { nativeSidecars: true } };
    expect(injectPod(stored, ctx).patch.filter((op) => !op.path.startsWith('/metadata/annotations'))).toEqual([]);
    const want = desiredAgentConfig(stored, ctx);
    expect(want.error).toBeUndefined();
    expect(want.value).toBe(stored.metadata.annotations![AGENT_CONFIG_ANNOTATION]);
    expect(want.specDrift).toBe(false);

    // The controller's decision after an ExternalSecret change: a new config, and no spec drift (before,
    // the downward-API item the apiserver stored differed from esi's and every change warned "restart the pod").
    const name = `changing-${Math.random().toString(16).slice(2, 8)}`;
    await create(`/apis/${ESO}/namespaces/${ns}/externalsecrets`, externalSecret(name, 'fake', [{ secretKey: 'password', key: 'db' }]));
    await untilCached(hook, `ExternalSecret ${name}`, (l) => !!l.externalSecret(ns, name));
    const before = await create<Pod>(`/api/v1/namespaces/${ns}/pods`, podBody(name, { 'esi.dev/external-secrets': name }));
    await kubeApi(adminAccess(), 'PATCH', `/apis/${ESO}/namespaces/${ns}/externalsecrets/${name}`, { spec: { data: [{ secretKey: 'password', remoteRef: { key: 'db' } }, { secretKey: 'token', remoteRef: { key: 'api' } }] } }, { contentType: 'application/merge-patch+json' });
    await untilCached(hook, `the change of ExternalSecret ${name}`, (l) => ((l.externalSecret(ns, name)?.['spec'] as { data?: unknown[] } | undefined)?.data ?? []).length === 2);
    const changed = desiredAgentConfig(before, { eso: hook.webhook.cache.lookup(), namespace: ns, cluster: { nativeSidecars: true } });
    expect(changed.value).toBeDefined();
    expect(changed.value).not.toBe(before.metadata.annotations![AGENT_CONFIG_ANNOTATION]);
    expect(changed.specDrift).toBe(false);
  });

  it('declares the agent health port, and gives hostNetwork pods of different workloads different host ports', async () => {
    const plain = await create<Pod>(`/api/v1/namespaces/${ns}/pods`, podBody('plain', {}));
    const agent = agentOf(plain);
    expect(agent.ports).toEqual([{ name: HEALTH.portName, containerPort: HEALTH.port, protocol: 'TCP' }]);
    expect(envOf(agent)[ENV.healthAddr]).toBe(`0.0.0.0:${HEALTH.port}`);

    const a = await create<Pod>(`/api/v1/namespaces/${ns}/pods`, podBody('', {}, { hostNetwork: true }, 'web-a-'));
    const b = await create<Pod>(`/api/v1/namespaces/${ns}/pods`, podBody('', {}, { hostNetwork: true }, 'web-b-'));
    const [pa, pb] = [agentOf(a), agentOf(b)].map((c) => c.ports![0]!);
    // the apiserver makes a hostNetwork pod's container ports host ports: the scheduler keeps clashes apart
    expect(pa!.hostPort).toBe(pa!.containerPort);
    expect(pa!.containerPort).not.toBe(pb!.containerPort);
    for (const [pod, port] of [[a, pa!], [b, pb!]] as const) {
      const c = agentOf(pod);
      expect(c.startupProbe?.httpGet?.port).toBe(port.containerPort);
      expect(envOf(c)[ENV.healthAddr]).toBe(`0.0.0.0:${port.containerPort}`);
    }
    // esi.dev/agent-port wins, and a port an app container declares is refused with the annotation named
    const chosen = await create<Pod>(`/api/v1/namespaces/${ns}/pods`, podBody('chosen', { 'esi.dev/agent-port': '9123' }));
    expect(agentOf(chosen).ports![0]!.containerPort).toBe(9123);
    const clash = await kubeRaw<{ message: string }>(adminAccess(), 'POST', `/api/v1/namespaces/${ns}/pods`, podBody('clash', {}, { containers: [{ name: 'app', image: 'a', ports: [{ containerPort: HEALTH.port }] }] }));
    expect(clash.status).toBe(403); // a collision with the user's spec, not a malformed annotation
    expect(clash.body.message).toContain('esi.dev/agent-port');
  });

  it('gives the agent endpoint env from the app, the cluster default and esi.dev/agent-env, and nothing outside the allow-list', async () => {
    const pod = await create<Pod>(
      `/api/v1/namespaces/${ns}/pods`,
      podBody('endpoints', { 'esi.dev/agent-env': 'AWS_ENDPOINT_URL_STS=https://sts.example.test' }, {
        containers: [{ name: 'app', image: 'a', env: [{ name: 'AWS_ENDPOINT_URL', value: 'https://vpce.example.test' }, { name: 'APP_SETTING', value: 'x' }] }],
      }),
    );
    const env = envOf(agentOf(pod));
    expect(env['AWS_ENDPOINT_URL']).toBe('https://vpce.example.test');
    expect(env['AWS_ENDPOINT_URL_STS']).toBe('https://sts.example.test');
    expect(env['APP_SETTING']).toBeUndefined();
    const denied = await kubeRaw<{ message: string }>(adminAccess(), 'POST', `/api/v1/namespaces/${ns}/pods`, podBody('node-options', { 'esi.dev/agent-env': 'NODE_OPTIONS=--require=/tmp/x.js' }));
    expect(denied.status).toBe(400);
    expect(denied.body.message).toContain('esi.dev/agent-env');
    expect(denied.body.message).toContain('NODE_OPTIONS is not an agent setting a pod may change');
  });

  it('lets the agent report why it stopped, and makes readiness follow staleness only when the pod asks', async () => {
    const plain = await create<Pod>(`/api/v1/namespaces/${ns}/pods`, podBody('reason', {}));
    expect(agentOf(plain).terminationMessagePolicy).toBe('FallbackToLogsOnError');
    expect(agentOf(plain).readinessProbe).toBeUndefined();
    const strict = await create<Pod>(`/api/v1/namespaces/${ns}/pods`, podBody('strict', { 'esi.dev/unready-when-stale': 'true' }));
    expect(agentOf(strict).readinessProbe?.httpGet).toMatchObject({ path: HEALTH.readyPath, port: HEALTH.port });
    const initOnly = await kubeRaw<{ message: string }>(adminAccess(), 'POST', `/api/v1/namespaces/${ns}/pods`, podBody('init-stale', { 'esi.dev/unready-when-stale': 'true', 'esi.dev/mode': 'init' }));
    expect(initOnly.status).toBe(400);
    expect(initOnly.body.message).toContain('esi.dev/unready-when-stale');
  });
});
