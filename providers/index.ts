/**
 * Network clients for the stores an ExternalSecret reads: AWS Secrets Manager and Vault / OpenBao KV,
 * with the pod's own identity, plus ESO's `fake` provider. Each provider's SDK/transport is loaded only
 * when a store uses it. The ESO semantics live in `eso/providers/*`; this part only does I/O.
 *
 * Two ways in:
 *   - `openStore(store, ctx)` → a long-lived session (credentials and Vault tokens kept and renewed);
 *     call `session.forSync()` at every sync for a client whose cache lives for that sync. The agent
 *     uses this.
 *   - `createSecretsClient(store, ctx)` → one session + one sync client in one object, closed with
 *     `close()`. For one-shot use (`esi render`).
 */
import { EsiError } from '../core/index.ts';
import { FakeSecretsClient, providerOf, type SecretStore } from '../eso/index.ts';
import type { ProviderContext, StoreSession, SyncClient } from './context.ts';

export type { ProviderContext, ProviderLogger, StoreSession, SyncClient, Backend, CallOutcome } from './context.ts';
export { credentialEnvNames, storeEnvName, DEFAULT_TIMEOUT_MS } from './context.ts';
export { inlineVaultCa, planVaultAuth, vaultCaPem, type VaultAuthPlan } from './vault-config.ts';
export { awsIdentitySource, secretsManagerEndpoint, stsEndpoint, roleSessionName, type AwsIdentitySource } from './aws-config.ts';

export async function openStore(store: SecretStore, ctx: ProviderContext): Promise<StoreSession> {
  const provider = providerOf(store);
  switch (provider) {
    case 'aws': {
      const { openAwsStore } = await import('./aws.ts');
      return openAwsStore(store, ctx);
    }
    case 'vault': {
      const { openVaultStore } = await import('./vault.ts');
      return openVaultStore(store, ctx);
    }
    case 'fake': {
      const fake = store.spec.provider.fake!;
      return {
        forSync(): SyncClient {
          const c = new FakeSecretsClient(fake);
          return {
            getSecret: (ref) => c.getSecret(ref),
            getSecretMap: (ref) => c.getSecretMap(ref),
            getAllSecrets: (find) => c.getAllSecrets(find),
            prefetch: async () => undefined,
          };
        },
        async close() {},
      };
    }
    default:
      throw new EsiError('provider', `${store.kind} ${store.metadata.name}: provider ${String(provider)} is not supported by esi`);
  }
}

/** One session and one sync's client together; `close()` ends the session. */
export async function createSecretsClient(store: SecretStore, ctx: ProviderContext): Promise<SyncClient & { close(): Promise<void> }> {
  const session = await openStore(store, ctx);
  const client = session.forSync();
  return {
    getSecret: (ref) => client.getSecret(ref),
    getSecretMap: (ref) => client.getSecretMap(ref),
    getAllSecrets: (find) => client.getAllSecrets(find),
    prefetch: (refs) => client.prefetch(refs),
    close: () => session.close(),
  };
}
