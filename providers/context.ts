/**
 * What a provider client is given by its caller (agent, CLI): the environment it may read, the pod's
 * token file, timeouts, a logger and a metrics hook. Providers never read `process.env` themselves.
 */
import { storeEnvName } from '../contract/index.ts';
import type { SecretsClient } from '../eso/index.ts';
import type { RemoteRef } from '../eso/index.ts';

/** pino-compatible subset. Log keys, paths and codes; never values or tokens. */
export interface ProviderLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export type Backend = 'aws' | 'vault';
export type CallOutcome = 'ok' | 'error';

export interface ProviderContext {
  /** Namespace of the ExternalSecret (and pod). Used for the STS session name and messages. */
  namespace: string;
  /** The environment the provider may read (the agent passes its own env; tests pass a clean one). */
  env: Record<string, string | undefined>;
  /** Projected service-account token for Vault Kubernetes/JWT auth (re-read at every login). */
  vaultTokenPath?: string;
  /** Aborts everything in flight (agent shutdown). */
  signal?: AbortSignal;
  /** Per backend call timeout; default 10 s. */
  timeoutMs?: number;
  logger?: ProviderLogger;
  /** Called once per backend API call: (backend, operation, outcome, seconds). */
  metrics?: (backend: Backend, op: string, outcome: CallOutcome, seconds: number) => void;
  /** Wall clock in ms (tests may inject); default Date.now. */
  now?: () => number;
}

export const DEFAULT_TIMEOUT_MS = 10_000;
export { storeEnvName };

/** A client for one sync: ESO's three calls, plus an optional bulk warm-up of the sync's refs. */
export interface SyncClient extends SecretsClient {
  /** Fetch the refs a sync will read in as few backend calls as possible (AWS: BatchGetSecretValue). */
  prefetch(refs: RemoteRef[]): Promise<void>;
}

/** A store's long-lived connection: credentials/tokens are kept and renewed across syncs. */
export interface StoreSession {
  /** A fresh per-sync client (its cache lives as long as the returned object). */
  forSync(): SyncClient;
  close(): Promise<void>;
}

// ---- env var names the injector sets for credentials a store names by secretRef ------------------------

/** Env var names for one store's static credentials (AWS `auth.secretRef`, Vault token/AppRole/JWT refs). */
export function credentialEnvNames(storeKind: string, storeName: string) {
  const n = (what: string) => storeEnvName(what, storeKind, storeName);
  return {
    awsAccessKeyId: n('AWS_ACCESS_KEY_ID'),
    awsSecretAccessKey: n('AWS_SECRET_ACCESS_KEY'),
    awsSessionToken: n('AWS_SESSION_TOKEN'),
    vaultToken: n('VAULT_TOKEN'),
    vaultAppRoleRoleId: n('VAULT_APPROLE_ROLE_ID'),
    vaultAppRoleSecretId: n('VAULT_APPROLE_SECRET_ID'),
    vaultJwt: n('VAULT_JWT'),
  };
}
