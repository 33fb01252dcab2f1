/**
 * The value-free part of an Azure Key Vault store's connection (ESO providers/v1/azure/keyvault/keyvault.go,
 * v2.9.0): the store's fields, the clouds' endpoints, and which credential a store and the agent's env
 * select. Pure: no I/O, no clock.
 */
import { EsiError } from '../../../core/index.ts';
import type { SecretKeySelector, SecretStore, ServiceAccountSelector } from '../../../eso/index.ts';
import { envNamesFor } from '../../context.ts';

export type Env = Record<string, string | undefined>;

/** `spec.provider.azurekv` as ESO's AzureKVProvider (apis/externalsecrets/v1/secretstore_azurekv_types.go). */
export interface AzureKvProvider {
  vaultUrl: string;
  authType: 'ServicePrincipal' | 'ManagedIdentity' | 'WorkloadIdentity' | string;
  environmentType: 'PublicCloud' | 'USGovernmentCloud' | 'ChinaCloud' | 'GermanCloud' | 'AzureStackCloud' | string;
  tenantId?: string;
  identityId?: string;
  useAzureSDK?: boolean;
  authSecretRef?: { clientId?: SecretKeySelector; clientSecret?: SecretKeySelector; clientCertificate?: SecretKeySelector; tenantId?: SecretKeySelector };
  serviceAccountRef?: ServiceAccountSelector;
  customCloudConfig?: { activeDirectoryEndpoint?: string; keyVaultEndpoint?: string; keyVaultDNSSuffix?: string; resourceManagerEndpoint?: string };
  [k: string]: unknown;
}

export function azureKv(store: SecretStore): AzureKvProvider {
  return store.spec.provider['azurekv'] as AzureKvProvider;
}

/** ESO's audience for the Entra token exchange (AzureDefaultAudience); the AKS webhook projects the same. */
export const AZURE_TOKEN_AUDIENCE = 'api://AzureADTokenExchange';
/** The service-account annotation AKS's webhook turns into AZURE_CLIENT_ID (ESO's AnnotationClientID). */
export const ANNOTATION_CLIENT_ID = 'azure.workload.identity/client-id';
/** The one it turns into AZURE_TENANT_ID (ESO's AnnotationTenantID). */
export const ANNOTATION_TENANT_ID = 'azure.workload.identity/tenant-id';

/**
 * The annotations ESO reads from a Workload Identity store's serviceAccountRef account; esi's webhook reads
 * them at admission and gives them to the agent as plain env (Provider.serviceAccountAnnotations).
 */
export const AZURE_ACCOUNT_ANNOTATIONS = [
  { role: 'clientId', annotation: ANNOTATION_CLIENT_ID, what: 'AZURE_SA_CLIENT_ID' },
  { role: 'tenantId', annotation: ANNOTATION_TENANT_ID, what: 'AZURE_SA_TENANT_ID' },
] as const;

/** Credentials a store names by `authSecretRef` (delivered as `secretKeyRef` env). */
export const AZURE_CREDENTIALS = [
  { role: 'azureClientId', what: 'AZURE_CLIENT_ID', path: 'authSecretRef.clientId' },
  { role: 'azureClientSecret', what: 'AZURE_CLIENT_SECRET', path: 'authSecretRef.clientSecret' },
  { role: 'azureClientCertificate', what: 'AZURE_CLIENT_CERTIFICATE', path: 'authSecretRef.clientCertificate' },
  { role: 'azureTenantId', what: 'AZURE_TENANT_ID', path: 'authSecretRef.tenantId' },
] as const;

/**
 * The pod's Workload Identity as AKS's azure-workload-identity webhook gives it to app containers
 * (azure.github.io/azure-workload-identity/docs/installation/mutating-admission-webhook.html): copied to the
 * agent like IRSA's, with the volume of the token file.
 */
export const AZURE_IDENTITY_ENV = ['AZURE_CLIENT_ID', 'AZURE_TENANT_ID', 'AZURE_FEDERATED_TOKEN_FILE'] as const;

/**
 * Where the requests for tokens go: Entra's authority (the AKS webhook sets AZURE_AUTHORITY_HOST to the
 * cluster cloud's) and the managed-identity endpoint (the Azure SDKs' AZURE_POD_IDENTITY_AUTHORITY_HOST).
 */
export const AZURE_ENDPOINT_ENV = ['AZURE_AUTHORITY_HOST', 'AZURE_POD_IDENTITY_AUTHORITY_HOST'] as const;

/** The Key Vault REST API version esi speaks (learn.microsoft.com/rest/api/keyvault, 7.4). */
export const KEY_VAULT_API_VERSION = '7.4';
/** IMDS on an Azure VM / AKS node (learn.microsoft.com/entra/identity/managed-identities-azure-resources/how-to-use-vm-token). */
export const IMDS_HOST = 'http://169.254.169.254';

interface Cloud {
  /** Entra authority host (ESO's AadEndpointForType). */
  aad: string;
  /** Key Vault's token resource (ESO's kvResourceForProviderConfig, trailing slash trimmed). */
  keyVault: string;
}

/** go-autorest's azure.Environment values ESO reads per environmentType (GermanCloud kept, as ESO's legacy client does). */
const CLOUDS: Record<string, Cloud> = {
  PublicCloud: { aad: 'https://login.microsoftonline.com/', keyVault: 'https://vault.azure.net' },
  USGovernmentCloud: { aad: 'https://login.microsoftonline.us/', keyVault: 'https://vault.usgovcloudapi.net' },
  ChinaCloud: { aad: 'https://login.chinacloudapi.cn/', keyVault: 'https://vault.azure.cn' },
  GermanCloud: { aad: 'https://login.microsoftonline.de/', keyVault: 'https://vault.microsoftazure.de' },
};

const set = (env: Env, k: string): string | undefined => {
  const v = env[k];
  return v === undefined || v === '' ? undefined : v;
};

/** The authority host and Key Vault resource of the store's cloud; AZURE_AUTHORITY_HOST overrides the authority. */
export function cloudFor(prov: AzureKvProvider, env: Env): { authorityHost: string; keyVaultResource: string } {
  const cloud = CLOUDS[prov.environmentType] ?? (prov.environmentType === 'AzureStackCloud' ? undefined : CLOUDS['PublicCloud']);
  if (!cloud) throw new EsiError('azure-config', 'CustomCloudConfig is required when EnvironmentType is AzureStackCloud');
  const authorityHost = set(env, 'AZURE_AUTHORITY_HOST') ?? cloud.aad;
  return { authorityHost: authorityHost.endsWith('/') ? authorityHost : `${authorityHost}/`, keyVaultResource: cloud.keyVault };
}

/** Where a value comes from: the store's own text, an env var the injector set, or the agent's identity env. */
export type Source = { value: string } | { env: string };

export type AzureAuthPlan =
  | { kind: 'ServicePrincipal'; tenantId: Source; clientId: Source; clientSecret?: Source; clientCertificate?: Source }
  | { kind: 'WorkloadIdentity'; tenantId: Source; clientId: Source; tokenFile: Source }
  | { kind: 'ManagedIdentity'; clientId?: string };

/**
 * Which credential the store's authType selects and where each part comes from, with ESO's error texts
 * where ESO refuses a store. `tokenPath`: the pod's projected token for `serviceAccountRef` (the injector
 * mounts it with audience api://AzureADTokenExchange).
 */
export function planAzureAuth(store: SecretStore, env: Env, tokenPath: string | undefined): AzureAuthPlan {
  const prov = azureKv(store);
  const names = envNamesFor(AZURE_CREDENTIALS, store.kind, store.metadata.name);
  const ref = prov.authSecretRef;
  // The CRD defaults authType (ServicePrincipal); a store that skipped the apiserver may lack it.
  switch (prov.authType ?? 'ServicePrincipal') {
    case 'ManagedIdentity':
      return { kind: 'ManagedIdentity', ...(prov.identityId ? { clientId: prov.identityId } : {}) };
    case 'ServicePrincipal': {
      if (prov.tenantId === undefined) throw new EsiError('azure-config', 'missing tenantID in store config');
      if (!ref) throw new EsiError('azure-config', 'missing secretRef in provider config');
      if (!ref.clientId || (!ref.clientSecret && !ref.clientCertificate)) throw new EsiError('azure-config', 'missing accessKeyID/secretAccessKey in store config');
      if (ref.clientSecret && ref.clientCertificate) throw new EsiError('azure-config', 'both clientSecret and clientCertificate set');
      return {
        kind: 'ServicePrincipal',
        tenantId: { value: prov.tenantId },
        clientId: { env: names.azureClientId },
        ...(ref.clientSecret ? { clientSecret: { env: names.azureClientSecret } } : { clientCertificate: { env: names.azureClientCertificate } }),
      };
    }
    case 'WorkloadIdentity': {
      if (!prov.serviceAccountRef) {
        // ESO reads the env the AKS webhook gives its own pod; esi's agent has the app's (copied at admission).
        const clientId = set(env, 'AZURE_CLIENT_ID');
        const tenantId = set(env, 'AZURE_TENANT_ID');
        const tokenFile = set(env, 'AZURE_FEDERATED_TOKEN_FILE');
        if (!clientId || !tenantId || !tokenFile) {
          throw new EsiError('azure-config', 'missing environment variables. AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_FEDERATED_TOKEN_FILE must be set');
        }
        return { kind: 'WorkloadIdentity', clientId: { value: clientId }, tenantId: { value: tenantId }, tokenFile: { value: tokenFile } };
      }
      // serviceAccountRef: ESO requests a token for that account; esi's agent has the pod's own projected one.
      // The ids in ESO's order (authorizerForWorkloadIdentity): authSecretRef, then the account's annotations
      // (the webhook's env), an id in both being an error; then the pod's AKS env, which ESO reads for the
      // tenant only and esi also for the client (the webhook could not read the account, or `esi render`).
      const annotated = envNamesFor(AZURE_ACCOUNT_ANNOTATIONS, store.kind, store.metadata.name);
      if (ref && !ref.clientId) throw new EsiError('azure-config', 'missing accessKeyID/secretAccessKey in store config');
      let clientId: Source | undefined = ref?.clientId ? { env: names.azureClientId } : undefined;
      const annotatedClient = env[annotated.clientId];
      if (annotatedClient !== undefined) {
        if (clientId) throw new EsiError('azure-config', 'multiple clientID found. Check secretRef and serviceAccountRef');
        clientId = { value: annotatedClient };
      }
      if (!clientId || ('value' in clientId && clientId.value === '')) clientId = set(env, 'AZURE_CLIENT_ID') ? { value: set(env, 'AZURE_CLIENT_ID')! } : undefined;
      if (!clientId) throw new EsiError('azure-config', `missing clientID: either serviceAccountRef or service account annotation '${ANNOTATION_CLIENT_ID}' is missing`);
      let tenantId: Source | undefined = ref?.tenantId ? { env: names.azureTenantId } : prov.tenantId !== undefined && prov.tenantId !== '' ? { value: prov.tenantId } : undefined;
      const annotatedTenant = env[annotated.tenantId];
      if (annotatedTenant !== undefined) {
        if (tenantId) throw new EsiError('azure-config', "multiple tenantID found. Check secretRef, 'spec.provider.azurekv.tenantId', and serviceAccountRef");
        tenantId = annotatedTenant === '' ? undefined : { value: annotatedTenant };
      }
      tenantId ??= set(env, 'AZURE_TENANT_ID') ? { value: set(env, 'AZURE_TENANT_ID')! } : undefined;
      if (!tenantId) throw new EsiError('azure-config', 'missing tenantID in store config');
      const tokenFile = tokenPath ?? set(env, 'AZURE_FEDERATED_TOKEN_FILE');
      if (!tokenFile) {
        throw new EsiError('azure-config', `${store.kind} ${store.metadata.name}: serviceAccountRef needs the pod's service-account token (audience ${AZURE_TOKEN_AUDIENCE}), which esi's injector mounts; the agent has none`);
      }
      return { kind: 'WorkloadIdentity', clientId, tenantId, tokenFile: { value: tokenFile } };
    }
    default:
      throw new EsiError('azure-config', 'cannot initialize Azure Client: no valid authType was specified');
  }
}

/** A Source's text; an env var the injector promised but the agent lacks is an error naming the variable. */
export function resolveSource(s: Source, env: Env, what: string): string {
  if ('value' in s) return s.value;
  const v = set(env, s.env);
  if (v === undefined) throw new EsiError('azure-config', `${what}: env ${s.env} is not set (the injector delivers it from the store's authSecretRef Secret)`);
  return v;
}

/**
 * ESO's ValidateStore for azurekv: referent selectors (a SecretStore's refs may not name another namespace),
 * customCloudConfig's rules, AzureStackCloud. Messages are ESO's.
 */
export function azureStoreErrors(store: SecretStore): string[] {
  const p = azureKv(store);
  const errs: string[] = [];
  const ns = store.metadata.namespace;
  // ESO's esutils.ValidateReferentSecretSelector / ValidateReferentServiceAccountSelector (errNamespaceNotAllowed).
  const referent = (sel: { namespace?: string } | undefined, wrap: string): void => {
    if (!sel || store.kind === 'ClusterSecretStore' || sel.namespace === undefined || sel.namespace === ns) return;
    errs.push(`${wrap}namespace should either be empty or match the namespace of the SecretStore for a namespaced SecretStore`);
  };
  if (p.authSecretRef) {
    referent(p.authSecretRef.clientId, 'invalid AuthSecretRef.ClientID: ');
    referent(p.authSecretRef.clientSecret, 'invalid AuthSecretRef.ClientSecret: ');
  }
  referent(p.serviceAccountRef, 'invalid ServiceAccountRef: ');
  if (errs.length > 0) return errs.slice(0, 1);
  if (p.customCloudConfig) {
    if (p.useAzureSDK !== true) return ['CustomCloudConfig requires UseAzureSDK to be set to true - the legacy SDK does not support custom clouds'];
    if (!p.customCloudConfig.activeDirectoryEndpoint) return ['activeDirectoryEndpoint is required in CustomCloudConfig'];
  }
  if (p.environmentType === 'AzureStackCloud' && !p.customCloudConfig) return ['CustomCloudConfig is required when EnvironmentType is AzureStackCloud'];
  return [];
}
