/** Helpers for eso/ table tests: ExternalSecrets and fake stores from small literals. */
import { templateEngine } from './template/index.ts';
import type { KubeObject, Secret } from '../core/index.ts';
import { parseExternalSecret } from './parse.ts';
import { FakeSecretsClient, parseSecretStore } from '../providers/index.ts';
import { renderExternalSecret, type RenderInput, type RenderResult } from './render.ts';
import type { ExternalSecret, FakeProviderData, SecretStore } from './types.ts';

export function makeES(spec: Record<string, unknown>, meta: Record<string, unknown> = {}, apiVersion = 'external-secrets.io/v1'): ExternalSecret {
  return parseExternalSecret({
    apiVersion,
    kind: 'ExternalSecret',
    metadata: { name: 'es', namespace: 'ns', uid: 'es-uid', ...meta },
    spec: { secretStoreRef: { name: 'fake' }, ...spec },
  } as KubeObject);
}

export function fakeStore(data: FakeProviderData[], name = 'fake', kind: 'SecretStore' | 'ClusterSecretStore' = 'SecretStore', extra: Record<string, unknown> = {}): SecretStore {
  return parseSecretStore({
    apiVersion: 'external-secrets.io/v1',
    kind,
    metadata: { name, ...(kind === 'SecretStore' ? { namespace: 'ns' } : {}) },
    spec: { provider: { fake: { data } }, ...extra },
  } as KubeObject);
}

export async function render(es: ExternalSecret, stores: SecretStore[], more: Partial<RenderInput> = {}): Promise<RenderResult> {
  return renderExternalSecret({
    externalSecret: es,
    stores,
    clientFactory: (s) => new FakeSecretsClient(s.spec.provider.fake!),
    ...more,
    // Callers inject the engine (the library never imports it); tests use the real one.
    engine: more.engine ?? templateEngine,
  });
}

export function secretData(s: Secret): Record<string, string> {
  return Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
}

export function existingSecret(data: Record<string, string>, meta: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'es', namespace: 'ns', uid: 'secret-uid', ...meta },
    type: 'Opaque',
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
    ...extra,
  } as Secret;
}
