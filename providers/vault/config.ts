/**
 * The value-free part of a Vault store's connection settings: which auth plan applies, the CA bundle,
 * and the caProvider inlining the injector does. No I/O; imported by the injector as well as the client.
 */
import { EsiError } from '../../core/index.ts';
import type { SecretStore, VaultProvider } from '../../eso/index.ts';
import { envNamesFor, type ProviderContext } from '../context.ts';

/** Credentials a store names by secretRef, per auth method (ESO's Vault auth); Kubernetes auth reads key `token` by default. */
export const VAULT_CREDENTIALS = [
  { role: 'vaultToken', what: 'VAULT_TOKEN', path: 'auth.tokenSecretRef' },
  { role: 'vaultAppRoleRoleId', what: 'VAULT_APPROLE_ROLE_ID', path: 'auth.appRole.roleRef' },
  { role: 'vaultAppRoleSecretId', what: 'VAULT_APPROLE_SECRET_ID', path: 'auth.appRole.secretRef' },
  { role: 'vaultJwt', what: 'VAULT_JWT', path: 'auth.kubernetes.secretRef', defaultKey: 'token' },
  { role: 'vaultJwt', what: 'VAULT_JWT', path: 'auth.jwt.secretRef' },
] as const;

export type Env = Record<string, string | undefined>;
export const set = (env: Env, k: string): string | undefined => {
  const v = env[k];
  return v === undefined || v === '' ? undefined : v;
};

/** How this store's agent gets a Vault token. Names only: never carries the secret itself. */
export type VaultAuthPlan =
  | { kind: 'token'; envName: string }
  | { kind: 'login'; method: 'kubernetes' | 'jwt' | 'approle'; mountPath: string; role?: string; jwtFrom?: { env: string } | { file: string }; roleId?: string | { env: string }; secretIdEnv?: string }
  | { kind: 'env-token' };

export function planVaultAuth(store: SecretStore, ctx: Pick<ProviderContext, 'env' | 'serviceAccountTokenPath'>): VaultAuthPlan {
  const v = store.spec.provider.vault!;
  const auth = (v.auth ?? {}) as NonNullable<VaultProvider['auth']> & {
    jwt?: { path?: string; role?: string; secretRef?: unknown; kubernetesServiceAccountToken?: unknown };
  };
  const names = envNamesFor(VAULT_CREDENTIALS, store.kind, store.metadata.name);
  const env = ctx.env;
  if (auth.tokenSecretRef) return { kind: 'token', envName: names.vaultToken };
  if (auth.appRole) {
    return {
      kind: 'login',
      method: 'approle',
      mountPath: auth.appRole.path || 'approle',
      roleId: auth.appRole.roleId ? auth.appRole.roleId : { env: names.vaultAppRoleRoleId },
      secretIdEnv: names.vaultAppRoleSecretId,
    };
  }
  const k8s = auth.kubernetes;
  const jwt = auth.jwt;
  if (k8s || jwt) {
    const usesSecretRef = k8s ? !!k8s.secretRef : !!jwt!.secretRef;
    const jwtFrom = usesSecretRef ? { env: names.vaultJwt } : ctx.serviceAccountTokenPath ? { file: ctx.serviceAccountTokenPath } : undefined;
    if (jwtFrom) {
      return k8s
        ? { kind: 'login', method: 'kubernetes', mountPath: k8s.mountPath || 'kubernetes', role: k8s.role, jwtFrom }
        : { kind: 'login', method: 'jwt', mountPath: jwt!.path || 'jwt', role: jwt!.role, jwtFrom };
    }
    if (set(env, 'VAULT_TOKEN')) return { kind: 'env-token' };
    throw new EsiError(
      'vault-auth',
      `${store.kind} ${store.metadata.name}: Vault ${k8s ? 'Kubernetes' : 'JWT'} auth needs the pod's service-account token file (the injector mounts it) or VAULT_TOKEN on a workstation`,
    );
  }
  const other = Object.keys(auth).filter((k) => k !== 'namespace');
  if (other.length) {
    if (set(env, 'VAULT_TOKEN')) return { kind: 'env-token' };
    throw new EsiError('vault-auth', `${store.kind} ${store.metadata.name}: Vault auth method ${other[0]} is not supported by esi (use kubernetes, jwt, appRole or tokenSecretRef)`);
  }
  if (set(env, 'VAULT_TOKEN')) return { kind: 'env-token' };
  throw new EsiError('vault-auth', `${store.kind} ${store.metadata.name}: no Vault auth configured in the store and no VAULT_TOKEN`);
}

/** The CA bundle PEM of a store: `caBundle` (base64 PEM). `caProvider` must have been inlined by the injector. */
export function vaultCaPem(store: SecretStore): string | undefined {
  const v = store.spec.provider.vault!;
  if (v.caBundle) return Buffer.from(v.caBundle, 'base64').toString('utf8');
  if (v.caProvider) {
    throw new EsiError(
      'vault-ca',
      `${store.kind} ${store.metadata.name}: caProvider ${v.caProvider.type}/${v.caProvider.name} was not resolved; the webhook or esi inject inlines it as caBundle`,
    );
  }
  return undefined;
}

/** For the webhook / `esi inject`: the store with its caProvider's CA inlined as caBundle (a CA is not secret). */
export function inlineVaultCa(store: SecretStore, caPem: string): SecretStore {
  const v = store.spec.provider.vault!;
  const { caProvider: _drop, ...rest } = v;
  void _drop;
  return { ...store, spec: { ...store.spec, provider: { ...store.spec.provider, vault: { ...rest, caBundle: Buffer.from(caPem, 'utf8').toString('base64') } } } };
}

