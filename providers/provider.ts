/**
 * What one provider folder (`providers/<name>/`) registers in the table (table.ts): everything esi knows
 * about a `spec.provider.<name>` block, so the parser, the validator, the injector, `esi render` and the
 * agent loop over the table instead of naming providers. The model is ESO's `providers/v1/<name>/` plus
 * its one-line `pkg/register/<name>.go`.
 *
 * A provider's index.ts stays light (no SDK, no semantics module): `open` imports those when a store is
 * opened, so the agent bundle loads a provider's code only for the stores a pod uses.
 */
import type { SecretStore, StoreProviderSpec } from '../eso/index.ts';
import type { ProviderContext, StoreSession } from './context.ts';

/**
 * A static credential a store names by `secretRef`: the injector delivers it to the agent as a `secretKeyRef`
 * env var named storeEnvName(what, …); `esi render` reads it from a Secret given with -f under the same name.
 */
export interface CredentialSelector {
  /** Stable name of the credential (`credentialEnvNames(...)[role]`). */
  role: string;
  /** The `<WHAT>` of its env name. */
  what: string;
  /** Path of the SecretKeySelector under `spec.provider.<name>`. */
  path: string;
  /** The key ESO reads when the selector names none. */
  defaultKey?: string;
}

/** A CA a store names by reference (Vault caProvider): the webhook fetches it (a CA is not secret) and inlines it. */
export interface CaReference {
  kind: 'Secret' | 'ConfigMap';
  /** Empty: the store's (or, for a ClusterSecretStore, the pod's) namespace. */
  namespace?: string;
  name: string;
  key: string;
}

/**
 * A projected service-account token of the pod's own service account that the provider logs in with
 * (Vault Kubernetes/JWT auth, a workload-identity federation). The injector projects one per provider
 * (contract: serviceAccountTokenDir) and the agent passes its path as ProviderContext.serviceAccountTokenPath;
 * nothing else in esi knows which provider wants one. Fields as Kubernetes' ServiceAccountTokenProjection.
 */
export interface ServiceAccountTokenNeed {
  /** The token's audience; none: the API server's own (kube-apiserver --api-audiences). One per provider per pod. */
  audience?: string;
  /** Requested lifetime; default SERVICE_ACCOUNT_TOKEN.expirationSeconds. The same for every store of a provider. */
  expirationSeconds?: number;
  /** File name in the projected volume; default SERVICE_ACCOUNT_TOKEN.file. The same for every store of a provider. */
  path?: string;
  /** The service account ESO would use, when the store names one (esi uses the pod's own). */
  serviceAccount?: string;
}

/**
 * A service account the store names whose annotations configure its login (ESO reads them when it logs
 * in). The agent has no RBAC to read service accounts: the webhook reads the account at admission and gives
 * the agent each annotation present as a plain env var named storeEnvName(what, …). Annotations, not secrets.
 */
export interface ServiceAccountAnnotations {
  /** The account the store names; `namespace` only where ESO honours it (a ClusterSecretStore), else the pod's. */
  account(store: SecretStore): { name: string; namespace?: string } | undefined;
  /** Each annotation the provider reads and the `<WHAT>` of its env name. */
  env: readonly { annotation: string; what: string }[];
}

export interface Provider extends StoreProviderSpec {
  /** ESO's ValidateStore for this provider (admission): messages, empty when valid. */
  validateStore?(store: SecretStore): string[];
  /** Static credentials the store's block may name by secretRef. */
  credentials?: readonly CredentialSelector[];
  /** Env of the pod's own identity the agent copies from the app containers (IRSA, Pod Identity, region). */
  identityEnv?: readonly string[];
  /**
   * Env naming where the provider's requests go (endpoints, FIPS/dual-stack): the only settings a cluster
   * or a pod may give the agent beyond identity (injector/agent-env.ts), copied from app containers too.
   */
  endpointEnv?: readonly string[];
  /** Whether this store logs in with a projected token of the pod's service account, and which one. */
  serviceAccountToken?(store: SecretStore): ServiceAccountTokenNeed | undefined;
  /** Annotations of a service account the store names, delivered to the agent as env at admission. */
  serviceAccountAnnotations?: ServiceAccountAnnotations;
  /** A CA the store names by reference, to inline at admission. */
  caReference?(store: SecretStore): CaReference | undefined;
  /** The store with that CA inlined (the agent reads no Secret or ConfigMap). */
  inlineCa?(store: SecretStore, pem: string): SecretStore;
  /** Backend calls are counted by the agent's call wrapper (in-memory providers make none of their own). */
  inMemory?: boolean;
  /** Opens a long-lived session for the store; loads the SDK or transport lazily. */
  open(store: SecretStore, ctx: ProviderContext): Promise<StoreSession>;
}
