/**
 * The providers: one folder per `spec.provider.<name>` (ESO semantics, client, credentials, the injector's
 * identity wiring, store validation), registered in table.ts. Everything else finds a store's provider
 * here and never names one. Each provider's SDK/transport loads only when a store uses it.
 *
 * Two ways in:
 *   - `openStore(store, ctx)` → a long-lived session (credentials and Vault tokens kept and renewed);
 *     call `session.forSync()` at every sync for a client whose cache lives for that sync. The agent
 *     uses this.
 *   - `createSecretsClient(store, ctx)` → one session + one sync client in one object, closed with
 *     `close()`. For one-shot use (`esi render`).
 */
import { serviceAccountTokenDir } from '../contract/index.ts';
import { EsiError, type KubeObject } from '../core/index.ts';
import { EsoError, loadRegexpEngine, parseSecretStoreWith, storeConditionErrors, type SecretStore } from '../eso/index.ts';
import { envNamesFor, type ProviderContext, type StoreSession, type SyncClient } from './context.ts';
import type { Provider } from './provider.ts';
import { PROVIDERS } from './table.ts';

export type { ProviderContext, ProviderLogger, StoreSession, SyncClient, Backend, CallOutcome } from './context.ts';
export { storeEnvName, DEFAULT_TIMEOUT_MS } from './context.ts';
export type { Provider, CredentialSelector, CaReference, ServiceAccountAnnotations, ServiceAccountTokenNeed } from './provider.ts';
export { PROVIDERS } from './table.ts';
export { inlineVaultCa, planVaultAuth, vaultCaPem, type VaultAuthPlan } from './vault/index.ts';
export { awsIdentitySource, secretsManagerEndpoint, stsEndpoint, roleSessionName, type AwsIdentitySource } from './aws/index.ts';
export { FakeSecretsClient, validateFakeStore } from './fake/index.ts';

/** The provider of a parsed store (parseSecretStore admitted exactly one of the table's). */
export function providerFor(store: SecretStore): Provider {
  const p = PROVIDERS.find((x) => store.spec.provider[x.name] !== undefined);
  if (!p) throw new EsiError('provider', `${store.kind} ${store.metadata.name}: spec.provider: esi supports the ${PROVIDERS.map((x) => x.name).join(', ')} providers`);
  return p;
}

/** Parses and defaults a SecretStore or ClusterSecretStore (v1 or v1beta1) of one of the table's providers. */
export function parseSecretStore(input: KubeObject, source = '<input>'): SecretStore {
  return parseSecretStoreWith(input, source, PROVIDERS);
}

/** ESO's store admission (conditions' regexes, then the provider's ValidateStore): messages. */
export function secretStoreErrors(store: SecretStore): string[] {
  const errs = storeConditionErrors(store);
  if (errs.length > 0) return errs;
  return providerFor(store).validateStore?.(store) ?? [];
}

/** Throws when ESO's store webhook would reject the store. */
export function validateSecretStore(store: SecretStore): void {
  const errs = secretStoreErrors(store);
  if (errs.length > 0) throw new EsoError('invalid-store', errs.join('\n'), `${store.kind} ${store.metadata.name}`);
}

/** Every static credential env name of a store, by role, over the whole table. */
export function credentialEnvNames(storeKind: string, storeName: string): Record<string, string> {
  return Object.assign({}, ...PROVIDERS.map((p) => envNamesFor(p.credentials ?? [], storeKind, storeName)));
}

/** Identity env the agent copies from the app containers, over the whole table (the pod may use any store later). */
export const IDENTITY_ENV: readonly string[] = [...new Set(PROVIDERS.flatMap((p) => p.identityEnv ?? []))];

/**
 * The directories where providers' projected service-account tokens are mounted in the agent, over the
 * whole table: reserved, so no mount path of the user's overlaps one (injector and agent check the same).
 */
export const SERVICE_ACCOUNT_TOKEN_DIRS: readonly string[] = PROVIDERS.filter((p) => p.serviceAccountToken).map((p) => serviceAccountTokenDir(p.name));

/** Endpoint env over the whole table: what a cluster or a pod may set for the agent (injector/agent-env.ts). */
export const ENDPOINT_ENV: readonly string[] = [...new Set(PROVIDERS.flatMap((p) => p.endpointEnv ?? []))];

export async function openStore(store: SecretStore, ctx: ProviderContext): Promise<StoreSession> {
  // A session's `find` compiles Go regexps: the engine loads with the first store (it is lazily imported).
  await loadRegexpEngine();
  return providerFor(store).open(store, ctx);
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
