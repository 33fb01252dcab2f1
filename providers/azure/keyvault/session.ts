/**
 * An Azure Key Vault store's session: the credential its authType selects (config.ts), a token kept and
 * renewed across syncs, and the REST API (rest.ts) under ESO's semantics (eso.ts).
 *
 *   ServicePrincipal  → client secret or certificate from env ESI_AZURE_CLIENT_{ID,SECRET,CERTIFICATE}_<store>
 *                       (authSecretRef)
 *   WorkloadIdentity  → the pod's federated token: AZURE_FEDERATED_TOKEN_FILE (AKS's webhook), or the
 *                       token esi's injector projects for `serviceAccountRef` (ctx.serviceAccountTokenPath)
 *   ManagedIdentity   → IMDS, `identityId` as client_id
 */
import { EsiError } from '../../../core/index.ts';
import type { SecretStore } from '../../../eso/index.ts';
import { DEFAULT_TIMEOUT_MS, type ProviderContext, type StoreSession, type SyncClient } from '../../context.ts';
import { parseClientCertificate } from './client-certificate.ts';
import { azureKv, cloudFor, planAzureAuth, resolveSource } from './config.ts';
import { KeyVaultClient } from './eso.ts';
import { cachedToken, entraToken, imdsToken, keyVaultRest, type TokenSource } from './rest.ts';

export async function openKeyVaultStore(store: SecretStore, ctx: ProviderContext): Promise<StoreSession> {
  const prov = azureKv(store);
  const env = ctx.env;
  const storeId = `${store.kind}/${store.metadata.name}`;
  const opts = { timeoutMs: ctx.timeoutMs ?? DEFAULT_TIMEOUT_MS, now: ctx.now ?? Date.now, ...(ctx.signal ? { signal: ctx.signal } : {}) };
  if (prov.customCloudConfig) throw new EsiError('azure-config', `${storeId}: spec.provider.azurekv.customCloudConfig is not supported by esi (ESO's new-SDK path); use environmentType`);
  const cloud = cloudFor(prov, env);
  const plan = planAzureAuth(store, env, ctx.serviceAccountTokenPath);
  const scope = `${cloud.keyVaultResource}/.default`;

  let source: TokenSource;
  switch (plan.kind) {
    case 'ServicePrincipal': {
      const certificate = plan.clientCertificate ? parseClientCertificate(resolveSource(plan.clientCertificate, env, 'authSecretRef.clientCertificate')) : undefined;
      source = entraToken({
        ...opts,
        authorityHost: cloud.authorityHost,
        tenantId: resolveSource(plan.tenantId, env, 'tenantId'),
        clientId: resolveSource(plan.clientId, env, 'authSecretRef.clientId'),
        ...(certificate ? { certificate } : { clientSecret: resolveSource(plan.clientSecret!, env, 'authSecretRef.clientSecret') }),
        scope,
      });
      break;
    }
    case 'WorkloadIdentity':
      source = entraToken({
        ...opts,
        authorityHost: cloud.authorityHost,
        tenantId: resolveSource(plan.tenantId, env, 'tenantId'),
        clientId: resolveSource(plan.clientId, env, 'clientId'),
        assertionFile: resolveSource(plan.tokenFile, env, 'token file'),
        scope,
      });
      break;
    case 'ManagedIdentity': {
      const host = env['AZURE_POD_IDENTITY_AUTHORITY_HOST'];
      source = imdsToken({ ...opts, resource: cloud.keyVaultResource, ...(plan.clientId ? { clientId: plan.clientId } : {}), ...(host ? { host } : {}) });
      break;
    }
  }
  const token = cachedToken(source, opts.now);
  const api = keyVaultRest({ ...opts, vaultUrl: prov.vaultUrl, token });
  ctx.logger?.debug({ store: storeId, authType: plan.kind, vault: new URL(prov.vaultUrl).host }, 'azure key vault store opened');
  // process.hrtime, not the global `performance` (its first touch loads node:perf_hooks into the agent).
  const mono = () => Number(process.hrtime.bigint()) / 1e9;

  return {
    forSync(): SyncClient {
      const c = new KeyVaultClient(api, {
        now: mono,
        onCall: (op, outcome, seconds) => {
          ctx.metrics?.('azurekv', op, outcome, seconds);
          ctx.logger?.debug({ backend: 'azurekv', op, outcome }, 'backend call');
        },
      });
      return {
        getSecret: (ref) => c.getSecret(ref),
        getSecretMap: (ref) => c.getSecretMap(ref),
        getAllSecrets: (find) => c.getAllSecrets(find),
        prefetch: (refs) => c.prefetch(refs),
      };
    },
    async close() {},
  };
}
