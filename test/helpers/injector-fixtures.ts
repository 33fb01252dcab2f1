/** Shared builders for the injector's tests (not a test file itself). */
import type { KubeObject, Pod } from '../../core/index.ts';
import { InjectionDenied, lookupFrom, type InjectContext } from '../../injector/index.ts';

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

/** A real self-signed CA certificate (EC P-256, test only): caProvider inlines only what parses as X.509. */
export const TEST_CA_PEM = `-----BEGIN CERTIFICATE-----\nMIIBgzCCASmgAwIBAgIUS7krFBknvgempwPzXSE3WTeyhvAwCgYIKoZIzj0EAwIw\nFjEUMBIGA1UEAwwLZXNpLXRlc3QtY2EwIBcNMjYxMjA3MjIzMjIzWhgPMjEyNjEx\nMTMyMjMyMjNaMBYxFDASBgNVBAMMC2VzaS10ZXN0LWNhMFkwEwYHKoZIzj0CAQYI\nKoZIzj0DAQcDQgAETW6j/busZWjTH4FXo5yAito0tqmEk+DbywyfIo4Sic4KiXgO\nXBwDnWv0ckVd3mCXJHutmnxhPg+7ZF1vrL4kUaNTMFEwHQYDVR0OBBYEFNJ6cwvR\nPYZgcxnkhQlJF7cF/BwTMB8GA1UdIwQYMBaAFNJ6cwvRPYZgcxnkhQlJF7cF/BwT\nMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIgSIuDgxVy8XNGYawR\nkltjiE7JMRLJeSeKZb48UWkA5rUCIQDsfF3d++6WU5xxzIUMKYT8Gz0A/It2m123\nkBbdspF3Zg==\n-----END CERTIFICATE-----\n`;

/** An injection context whose ESO lookups answer from `objects`. */
export function contextOf(objects: KubeObject[], extra: Partial<InjectContext> = {}): InjectContext {
  return { eso: lookupFrom(objects), ...extra };
}

/** The InjectionDenied `f` throws; fails the test when it throws nothing or something else. */
export function denialOf(f: () => unknown): InjectionDenied {
  try {
    f();
  } catch (e) {
    if (e instanceof InjectionDenied) return e;
    throw e;
  }
  throw new Error('expected a denial');
}
