/**
 * What a provider client is given by its caller (agent, CLI): the environment it may read, the pod's
 * token file, timeouts, a logger and a metrics hook. Providers never read `process.env` themselves.
 */
import { storeEnvName } from '../contract/index.ts';
import type { Logger } from '../core/log.ts';
import type { RemoteRef, SecretsClient } from '../eso/index.ts';

/** The part of esi's logger (core/log.ts) a provider uses. Log keys, paths and codes; never values or tokens. */
export type ProviderLogger = Pick<Logger, 'debug' | 'info' | 'warn'>;

/** A provider's name as metrics label it (`aws`, `vault`, …). */
export type Backend = string;
export type CallOutcome = 'ok' | 'error';

export interface ProviderContext {
  /** Namespace of the ExternalSecret (and pod). Used for the STS session name and messages. */
  namespace: string;
  /** The environment the provider may read (the agent passes its own env; tests pass a clean one). */
  env: Record<string, string | undefined>;
  /** The projected service-account token file the injector mounted for this store's provider (Provider.serviceAccountToken); re-read at every login. */
  serviceAccountTokenPath?: string;
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

/** Env var names of one store's static credentials, by role (the injector delivers each as `secretKeyRef` env). */
export function envNamesFor<R extends string>(selectors: readonly { role: R; what: string }[], storeKind: string, storeName: string): Record<R, string> {
  const out = {} as Record<R, string>;
  for (const s of selectors) out[s.role] = storeEnvName(s.what, storeKind, storeName);
  return out;
}
