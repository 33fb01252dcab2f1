/** Shared builders for the injector's tests (not a test file itself). */
import type { KubeObject, Pod } from '../core/index.ts';

export const NS = 'app';

export function store(name: string, provider: Record<string, unknown> = { fake: { data: [{ key: 'k', value: 'CANARY-not-a-secret' }] } }, extra: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'external-secrets.io/v1', kind: 'SecretStore', metadata: { name, namespace: NS }, spec: { provider, ...extra } };
}

export function clusterStore(name: string, spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ClusterSecretStore',
    metadata: { name },
    spec: { provider: { fake: { data: [] } }, ...spec },
  };
}

export function externalSecret(name: string, storeName = 'fake', kind = 'SecretStore', ns = NS): KubeObject {
  return {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: { name, namespace: ns, resourceVersion: '17', uid: `uid-${name}` },
    spec: { secretStoreRef: { name: storeName, kind }, data: [{ secretKey: 'password', remoteRef: { key: 'k' } }] },
    status: { conditions: [] },
  };
}

export function pod(annotations: Record<string, string> = { 'esi.dev/external-secrets': 'db' }, spec: Partial<Pod['spec']> = {}, labels: Record<string, string> = { 'esi.dev/inject': 'true' }): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: NS, labels, annotations },
    spec: { containers: [{ name: 'app', image: 'example/app:1' }], ...spec },
  };
}
