/**
 * Azure Key Vault (ESO providers/v1/azure/keyvault, `spec.provider.azurekv`): service principal, Workload
 * Identity as AKS sets it up, managed identity. The REST session (session.ts) loads when a store is opened.
 */
import type { SecretStore } from '../../../eso/index.ts';
import type { Provider, ServiceAccountAnnotations, ServiceAccountTokenNeed } from '../../provider.ts';
import { AZURE_ACCOUNT_ANNOTATIONS, AZURE_CREDENTIALS, AZURE_ENDPOINT_ENV, AZURE_IDENTITY_ENV, AZURE_TOKEN_AUDIENCE, azureKv, azureStoreErrors } from './config.ts';

export { AZURE_CREDENTIALS, AZURE_IDENTITY_ENV, AZURE_TOKEN_AUDIENCE, planAzureAuth, type AzureAuthPlan } from './config.ts';

/**
 * Workload Identity naming a service account: ESO requests a token for it with audience
 * api://AzureADTokenExchange; esi's agent logs in with the pod's own, projected with that audience.
 * Without serviceAccountRef the pod's AZURE_FEDERATED_TOKEN_FILE (AKS's webhook) is used, copied like IRSA's.
 */
function serviceAccountToken(store: SecretStore): ServiceAccountTokenNeed | undefined {
  const p = azureKv(store);
  if (p.authType !== 'WorkloadIdentity' || !p.serviceAccountRef) return undefined;
  return { audience: AZURE_TOKEN_AUDIENCE, ...(p.serviceAccountRef.name ? { serviceAccount: p.serviceAccountRef.name } : {}) };
}

/**
 * ESO reads the client and tenant id of a Workload Identity store from its serviceAccountRef account's
 * annotations (providers/v1/azure/keyvault/keyvault.go, authorizerForWorkloadIdentity); the namespace of the
 * ref counts for a ClusterSecretStore only.
 */
const serviceAccountAnnotations: ServiceAccountAnnotations = {
  account(store) {
    const p = azureKv(store);
    if (p.authType !== 'WorkloadIdentity' || !p.serviceAccountRef?.name) return undefined;
    const ns = store.kind === 'ClusterSecretStore' ? p.serviceAccountRef.namespace : undefined;
    return { name: p.serviceAccountRef.name, ...(ns ? { namespace: ns } : {}) };
  },
  env: AZURE_ACCOUNT_ANNOTATIONS,
};

export const azurekv: Provider = {
  name: 'azurekv',
  parseBlock(block, f) {
    f.reqString(block['vaultUrl'], 'vaultUrl');
    block['authType'] = f.optEnum(block['authType'], ['ServicePrincipal', 'ManagedIdentity', 'WorkloadIdentity'], 'authType') ?? 'ServicePrincipal';
    block['environmentType'] = f.optEnum(block['environmentType'], ['PublicCloud', 'USGovernmentCloud', 'ChinaCloud', 'GermanCloud', 'AzureStackCloud'], 'environmentType') ?? 'PublicCloud';
    block['useAzureSDK'] ??= false;
    f.optString(block['tenantId'], 'tenantId');
    f.optString(block['identityId'], 'identityId');
    f.optObject(block['authSecretRef'], 'authSecretRef');
    const sa = f.optObject(block['serviceAccountRef'], 'serviceAccountRef');
    if (sa) f.reqString(sa['name'], 'serviceAccountRef.name');
  },
  validateStore: azureStoreErrors,
  credentials: AZURE_CREDENTIALS,
  identityEnv: AZURE_IDENTITY_ENV,
  endpointEnv: AZURE_ENDPOINT_ENV,
  serviceAccountToken,
  serviceAccountAnnotations,
  async open(store, ctx) {
    const { openKeyVaultStore } = await import('./session.ts');
    return openKeyVaultStore(store, ctx);
  },
};
