import { afterEach, describe, expect, it } from 'vitest';
import type { KubeObject, Pod } from '../core/index.ts';
import { AGENT_CONFIG_ANNOTATION, type AgentConfig } from '../contract/index.ts';
import { applyPatch, injectPod, lookupFrom, type PatchOp } from '../injector/index.ts';
import { KubeClient, KubeError, type WatchEvent } from '../kube/index.ts';
import { ClusterCache } from './cache.ts';
import { PodConfigController } from './controller.ts';
import { silentLogger } from '../core/log.ts';
import { createWebhookMetrics } from './metrics.ts';

const ESO = 'external-secrets.io/v1';
const ES_PATH = `/apis/${ESO}/externalsecrets`;
const PODS_PATH = '/api/v1/pods';

/** The boundary faked: an in-memory apiserver for lists, watches and JSON patches of pods (the e2e suites use the real one). */
class FakeKube extends KubeClient {
  readonly objects = new Map<string, Map<string, KubeObject>>();
  readonly #watchers = new Map<string, Set<(e: WatchEvent) => void>>();
  #rv = 1000;
  patches = 0;

  constructor() {
    super({ server: 'http://127.0.0.1:1' });
  }

  put(path: string, obj: KubeObject, type?: 'ADDED' | 'MODIFIED'): KubeObject {
    const stored = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(++this.#rv) } };
    let m = this.objects.get(path);
    if (!m) this.objects.set(path, (m = new Map()));
    m.set(`${obj.metadata.namespace ?? ''}/${obj.metadata.name}`, stored);
    if (type) for (const w of this.#watchers.get(path) ?? []) w({ type, object: structuredClone(stored) });
    return stored;
  }

  override async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const [base] = path.split('?') as [string];
    if (method === 'GET') return { metadata: { resourceVersion: String(this.#rv) }, items: [...(this.objects.get(base)?.values() ?? [])].map((o) => structuredClone(o)) } as T;
    const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)$/.exec(base);
    if (method === 'PATCH' && m) {
      this.patches += 1;
      const cur = this.objects.get(PODS_PATH)?.get(`${m[1]}/${m[2]}`);
      if (!cur) throw new KubeError(method, path, 404, {});
      let next: KubeObject;
      try {
        next = applyPatch(cur, body as PatchOp[]) as KubeObject;
      } catch {
        throw new KubeError(method, path, 422, { message: 'the test operation failed' });
      }
      return this.put(PODS_PATH, next, 'MODIFIED') as T;
    }
    throw new Error(`fake apiserver: ${method} ${path} not served`);
  }

  override watch(path: string, onEvent: (e: WatchEvent) => void, signal: AbortSignal): Promise<void> {
    const [base] = path.split('?') as [string];
    let set = this.#watchers.get(base);
    if (!set) this.#watchers.set(base, (set = new Set()));
    set.add(onEvent);
    return new Promise((_, reject) => signal.addEventListener('abort', () => (set.delete(onEvent), reject(signal.reason)), { once: true }));
  }
}

const externalSecret = (name: string, keys: string[]): KubeObject => ({
  apiVersion: ESO,
  kind: 'ExternalSecret',
  metadata: { name, namespace: 'app' },
  spec: { secretStoreRef: { name: 'fake', kind: 'SecretStore' }, data: keys.map((k) => ({ secretKey: k, remoteRef: { key: 'k' } })) },
});

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

async function setup(pods: number, externalSecrets: number) {
  const kube = new FakeKube();
  const store = kube.put(`/apis/${ESO}/secretstores`, { apiVersion: ESO, kind: 'SecretStore', metadata: { name: 'fake', namespace: 'app' }, spec: { provider: { fake: { data: [{ key: 'k', value: 'not-a-secret' }] } } } });
  kube.put('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'app' } });
  const ess = Array.from({ length: externalSecrets }, (_, i) => kube.put(ES_PATH, externalSecret(`es-${i}`, ['a'])));
  const eso = lookupFrom([store, ...ess]);
  for (let i = 0; i < pods; i++) {
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `p${i}`, namespace: 'app', labels: { 'esi.dev/inject': 'true' }, annotations: { 'esi.dev/external-secrets': `es-${i % externalSecrets}` } },
      spec: { containers: [{ name: 'app', image: 'x' }] },
    };
    kube.put(PODS_PATH, injectPod(pod, { eso, namespace: 'app', cluster: { nativeSidecars: true } }).pod);
  }
  const cache = new ClusterCache(kube, silentLogger);
  await cache.start();
  const metrics = createWebhookMetrics();
  const controller = new PodConfigController({
    client: kube,
    cache,
    contextFor: (namespace) => ({ eso: cache.lookup(), namespace, namespaceLabels: cache.namespaceLabels(namespace), cluster: { nativeSidecars: true } }),
    log: silentLogger,
    metrics,
    rateLimit: { qps: 10_000, burst: 10_000 },
  });
  await controller.start();
  const leading = new AbortController();
  const lead = controller.lead(leading.signal);
  stops.push(async () => {
    leading.abort();
    await lead;
    await controller.stop();
    await cache.stop();
  });
  return { kube, controller };
}

const configOf = (kube: FakeKube, name: string) => JSON.parse(kube.objects.get(PODS_PATH)!.get(`app/${name}`)!.metadata.annotations![AGENT_CONFIG_ANNOTATION]!) as AgentConfig;

describe('PodConfigController at scale', () => {
  it('resolves each distinct input once and writes only pods whose config changes', async () => {
    const { kube, controller } = await setup(200, 8);
    await controller.idle(5);
    // The first pass checks every pod: 8 distinct inputs, nothing to write.
    expect(controller.resolutions).toBe(8);
    expect(kube.patches).toBe(0);

    // One ExternalSecret changes: its namespace is re-resolved once per input, only its 25 pods are written.
    kube.put(ES_PATH, externalSecret('es-3', ['a', 'b']), 'MODIFIED');
    await new Promise((r) => setTimeout(r, 20));
    await controller.idle(5);
    expect(controller.resolutions).toBe(16);
    expect(kube.patches).toBe(25);
    expect(configOf(kube, 'p3').externalSecrets[0]!.externalSecret.spec.data!.map((d) => d.secretKey)).toEqual(['a', 'b']);
    expect(configOf(kube, 'p4').externalSecrets[0]!.externalSecret.spec.data!.map((d) => d.secretKey)).toEqual(['a']);

    // A full resync with nothing changed: no resolution (memo), no write.
    controller.enqueueAll();
    await controller.idle(5);
    expect(controller.resolutions).toBe(16);
    expect(kube.patches).toBe(25);
  });
});
