/**
 * Vault / OpenBao KV (ESO providers/v1/vault): Kubernetes, JWT, AppRole and token auth with the pod's own
 * identity. The HTTP session (session.ts) loads when a store is opened.
 */
import { isObject } from '../../core/index.ts';
import type { SecretStore } from '../../eso/index.ts';
import type { Provider, ServiceAccountTokenNeed } from '../provider.ts';
import { inlineVaultCa, VAULT_CREDENTIALS } from './config.ts';

export { inlineVaultCa, planVaultAuth, vaultCaPem, VAULT_CREDENTIALS, type VaultAuthPlan } from './config.ts';

/** ESO's CRD defaults for each auth method's mount path. */
const AUTH_MOUNT_DEFAULTS: Record<string, string> = { kubernetes: 'kubernetes', appRole: 'approle', jwt: 'jwt', ldap: 'ldap', userPass: 'userpass', cert: 'cert' };

/** Auth that logs in with the pod's own service-account token: its audience (and the SA ESO would use). */
function serviceAccountToken(store: SecretStore): ServiceAccountTokenNeed | undefined {
  const vault = store.spec.provider.vault;
  const auth = vault?.auth as (NonNullable<typeof vault>['auth'] & { jwt?: Record<string, unknown> }) | undefined;
  if (!auth || auth.tokenSecretRef || auth.appRole) return undefined;
  const k8s = auth.kubernetes;
  if (k8s) {
    if (k8s.secretRef) return undefined;
    const audience = k8s.serviceAccountRef?.audiences?.[0];
    return { ...(audience ? { audience } : {}), ...(k8s.serviceAccountRef?.name ? { serviceAccount: k8s.serviceAccountRef.name } : {}) };
  }
  const jwt = auth.jwt;
  if (jwt && !jwt['secretRef']) {
    const t = isObject(jwt['kubernetesServiceAccountToken']) ? jwt['kubernetesServiceAccountToken'] : {};
    const sa = isObject(t['serviceAccountRef']) ? t['serviceAccountRef'] : {};
    const audiences = (Array.isArray(sa['audiences']) ? sa['audiences'] : Array.isArray(t['audiences']) ? t['audiences'] : ['vault']) as string[];
    return { audience: audiences[0] ?? 'vault', ...(typeof sa['name'] === 'string' ? { serviceAccount: sa['name'] } : {}) };
  }
  return undefined;
}

export const vault: Provider = {
  name: 'vault',
  parseBlock(block, f) {
    f.reqString(block['server'], 'server');
    block['version'] = f.optEnum(block['version'], ['v1', 'v2'], 'version') ?? 'v2';
    const auth = f.optObject(block['auth'], 'auth');
    for (const [method, mountPath] of Object.entries(AUTH_MOUNT_DEFAULTS)) {
      const m = f.optObject(auth?.[method], `auth.${method}`);
      if (m && method !== 'cert') m[method === 'appRole' ? 'path' : 'mountPath'] ??= mountPath;
    }
  },
  credentials: VAULT_CREDENTIALS,
  serviceAccountToken,
  caReference(store) {
    const ca = store.spec.provider.vault?.caProvider;
    return ca ? { kind: ca.type === 'ConfigMap' ? 'ConfigMap' : 'Secret', ...(ca.namespace ? { namespace: ca.namespace } : {}), name: ca.name, key: ca.key } : undefined;
  },
  inlineCa: inlineVaultCa,
  async open(store, ctx) {
    const { openVaultStore } = await import('./session.ts');
    return openVaultStore(store, ctx);
  },
};
