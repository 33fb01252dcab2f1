import { describe, expect, it } from 'vitest';
import type { KubeObject, Pod } from '../core/index.ts';
import { AGENT_CONFIG_ANNOTATION } from '../contract/index.ts';
import { injectPod, InjectionDenied, lookupFrom, runningPodConfig, runningPodInputs, type InjectContext } from './index.ts';
import { clusterStore, externalSecret, NS, pod, store } from '../test/helpers/injector-fixtures.ts';

const vault = (audience: string) =>
  store('vault', { vault: { server: 'https://vault:8200', auth: { kubernetes: { role: 'app', serviceAccountRef: { name: 'default', audiences: [audience] } } } } });
const aws = (secret: string) =>
  store('aws', { aws: { service: 'SecretsManager', region: 'eu-west-1', auth: { secretRef: { accessKeyIDSecretRef: { name: secret, key: 'id' }, secretAccessKeySecretRef: { name: secret, key: 'secret' } } } } });
const objects = [store('fake'), vault('vault'), aws('aws-creds'), clusterStore('shared'), externalSecret('db'), externalSecret('v', 'vault'), externalSecret('s', 'aws'), externalSecret('c', 'shared', 'ClusterSecretStore')];
const ctx = (objs: KubeObject[] = objects, extra: Partial<InjectContext> = {}): InjectContext => ({ eso: lookupFrom(objs), namespaceLabels: { team: 'a' }, ...extra });

/** A pod as admission left it (and the apiserver stored it: JSON round trip). */
const admitted = (p: Pod, c = ctx()): Pod => JSON.parse(JSON.stringify(injectPod(p, c).pod)) as Pod;

describe('the config of a running pod, from what the controller keeps of it', () => {
  const cases: [string, Pod][] = [
    ['fake store', pod()],
    ['Vault token audience', pod({ 'esi.dev/external-secrets': 'v,db' })],
    ['static AWS credentials', pod({ 'esi.dev/external-secrets': 's' }, { serviceAccountName: 'api' })],
    ['ClusterSecretStore with namespace labels', pod({ 'esi.dev/external-secrets': 'c', 'esi.dev/refresh-interval': '30s', 'esi.dev/file-mode': '0400', 'esi.dev/mount-path': '/secrets' })],
    ['inline secrets, other annotations', pod({ 'esi.dev/store': 'fake', 'esi.dev/secret-token': 'k', 'a.example/x': 'y' })],
    ['classic sidecar, on-change URL', pod({ 'esi.dev/external-secrets': 'db', 'esi.dev/on-change': 'http://127.0.0.1:8080/-/reload' })],
  ];
  for (const [what, p] of cases) {
    it(`is what admission wrote, with no spec drift: ${what}`, () => {
      for (const native of [true, false]) {
        const c = ctx(objects, { cluster: { nativeSidecars: native } });
        const stored = admitted(p, c);
        const r = runningPodConfig(runningPodInputs(stored), c);
        expect(r.value).toBe(stored.metadata.annotations![AGENT_CONFIG_ANNOTATION]);
        expect(r.specDrift).toBe(false);
      }
    });
  }

  it('follows an ExternalSecret change without drift; a store that changes the spec (credentials, Vault audience) is drift', () => {
    const stored = admitted(pod({ 'esi.dev/external-secrets': 's,v' }));
    const inputs = runningPodInputs(stored);
    const changedEs = { ...externalSecret('s', 'aws'), spec: { secretStoreRef: { name: 'aws', kind: 'SecretStore' }, data: [{ secretKey: 'other', remoteRef: { key: 'k2' } }] } };
    const es = runningPodConfig(inputs, ctx([...objects.filter((o) => o.metadata.name !== 's'), changedEs]));
    expect(es.value).not.toBe(stored.metadata.annotations![AGENT_CONFIG_ANNOTATION]);
    expect(es.specDrift).toBe(false);
    expect(runningPodConfig(inputs, ctx([...objects.filter((o) => o.metadata.name !== 'aws'), aws('other-creds')])).specDrift).toBe(true);
    expect(runningPodConfig(inputs, ctx([...objects.filter((o) => o.metadata.name !== 'vault'), vault('other')])).specDrift).toBe(true);
  });

  it('denies as admission does: a missing ExternalSecret, and a config the annotations cannot hold', () => {
    const stored = admitted(pod());
    const gone = (() => {
      try {
        runningPodConfig(runningPodInputs(stored), ctx(objects.filter((o) => o.metadata.name !== 'db')));
      } catch (e) {
        return e;
      }
    })();
    expect(gone).toBeInstanceOf(InjectionDenied);
    expect((gone as Error).message).toMatch(/ExternalSecret "db" not found in namespace "app"/);
    const big = { ...externalSecret('db'), spec: { secretStoreRef: { name: 'fake', kind: 'SecretStore' }, data: Array.from({ length: 4000 }, (_, i) => ({ secretKey: `k${i}`, remoteRef: { key: `a-rather-long-remote-key-name-${i}` } })) } };
    expect(() => runningPodConfig(runningPodInputs(stored), ctx([store('fake'), big]))).toThrow(/exceeds Kubernetes' limit of 262144 bytes/);
    expect(runningPodInputs(stored).namespace).toBe(NS);
  });
});
