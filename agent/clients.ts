/**
 * Secrets clients. A store's session (credentials, Vault token and its renewal) lives as long as the
 * store is unchanged in the config; every refresh round takes a fresh per-sync client from it, warms it
 * with every remote ref the round's ExternalSecrets read (one backend call per distinct remote key —
 * AWS BatchGetSecretValue, Vault one read per path), and deduplicates identical calls. Provider SDKs
 * load only when a store uses them (each provider's `open` imports its own).
 */
import { createHash } from 'node:crypto';
import type { Logger } from '../core/log.ts';
import { describeError, EsiError, NoSecretError } from '../core/index.ts';
import { storeKey } from '../contract/index.ts';
import { storeRefFor, type ClientResolver, type ExternalSecret, type RemoteRef, type SecretDataMap, type SecretStore, type SecretsClient, type SecretStoreRef } from '../eso/index.ts';
import { openStore, providerFor, type ProviderContext, type StoreSession, type SyncClient } from '../providers/index.ts';
import type { AgentMetrics } from './metrics.ts';

export type { ProviderContext, StoreSession, SyncClient };
/** providers/index.ts `openStore`, or a stand-in in tests. */
export type StoreOpener = (store: SecretStore, ctx: ProviderContext) => Promise<StoreSession>;

/** @deprecated name kept for callers of the first cut; same as StoreOpener. */
export type ProviderClientFactory = StoreOpener;

export interface StoreSessionsOptions {
  /** Evaluated when a session opens (the config may have changed since the agent started). */
  ctx: (store: SecretStore) => Omit<ProviderContext, 'metrics'>;
  metrics?: AgentMetrics;
  log?: Logger;
  opener?: StoreOpener;
}

/** The agent's open store sessions, keyed `Kind/name`, reopened when a store's spec changes. */
export class StoreSessions {
  readonly #o: StoreSessionsOptions;
  readonly #open = new Map<string, { hash: string; session: Promise<StoreSession> }>();

  constructor(o: StoreSessionsOptions) {
    this.#o = o;
  }

  session(key: string, store: SecretStore): Promise<StoreSession> {
    const base = this.#o.ctx(store);
    const hash = createHash('sha256').update(JSON.stringify([store.spec, base.namespace, base.serviceAccountTokenPath ?? ''])).digest('hex');
    const cur = this.#open.get(key);
    if (cur && cur.hash === hash) return cur.session;
    if (cur) void cur.session.then((s) => s.close()).catch(() => undefined);
    const metrics = this.#o.metrics;
    const ctx: ProviderContext = {
      ...base,
      ...(metrics
        ? {
            metrics: (backend, op, outcome, seconds) => {
              metrics.backendCalls.inc({ store: key, provider: backend, operation: op, result: outcome });
              metrics.backendLatency.observe({ provider: backend, operation: op }, seconds);
            },
          }
        : {}),
    };
    const session = (this.#o.opener ?? openStore)(store, ctx);
    this.#open.set(key, { hash, session });
    session.catch(() => {
      if (this.#open.get(key)?.session === session) this.#open.delete(key);
    });
    return session;
  }

  /** Closes sessions of stores no longer in the config (or all). */
  async retain(keys: Set<string> | undefined): Promise<void> {
    for (const [k, v] of [...this.#open]) {
      if (keys?.has(k)) continue;
      this.#open.delete(k);
      await v.session.then((s) => s.close()).catch(() => undefined);
    }
  }
}

/** Remote refs an ExternalSecret will read from each store (for prefetch). */
export function refsByStore(es: ExternalSecret): Map<string, RemoteRef[]> {
  const out = new Map<string, RemoteRef[]>();
  const add = (ref: RemoteRef, source?: SecretStoreRef) => {
    let k: string;
    try {
      const r = storeRefFor(es, source);
      k = storeKey(r.kind, r.name);
    } catch {
      return;
    }
    out.set(k, [...(out.get(k) ?? []), ref]);
  };
  for (const d of es.spec.dataFrom ?? []) if (d.extract) add(d.extract, d.sourceRef?.storeRef);
  for (const d of es.spec.data ?? []) add(d.remoteRef, d.sourceRef?.storeRef);
  return out;
}

export interface RoundOptions {
  stores: Record<string, SecretStore>;
  sessions: StoreSessions;
  metrics?: AgentMetrics;
  log?: Logger;
}

/**
 * One refresh round's clients: one per store, prefetched with the round's refs; calls deduplicated.
 * Make a new one per round: nothing fetched is kept across rounds.
 */
export function roundResolver(opts: RoundOptions, ess: ExternalSecret[]): ClientResolver {
  const wanted = new Map<string, RemoteRef[]>();
  for (const es of ess) for (const [k, refs] of refsByStore(es)) wanted.set(k, [...(wanted.get(k) ?? []), ...refs]);
  const clients = new Map<string, Promise<SecretsClient>>();
  return (ref: Required<SecretStoreRef>) => {
    const key = storeKey(ref.kind, ref.name);
    let c = clients.get(key);
    if (!c) {
      c = makeClient(key, opts, wanted.get(key) ?? []);
      clients.set(key, c);
    }
    return c;
  };
}

async function makeClient(key: string, opts: RoundOptions, refs: RemoteRef[]): Promise<SecretsClient> {
  const store = opts.stores[key];
  if (!store) throw new EsiError('no-store', `store ${key} is not in the agent config (the webhook resolves stores at admission)`);
  const provider = providerFor(store);
  const session = await opts.sessions.session(key, store);
  const client = session.forSync();
  if (refs.length > 0) {
    // A failed warm-up is not a failed sync: the individual reads that follow report the real error.
    await client.prefetch(dedupeRefs(refs)).catch((e) => opts.log?.debug({ store: key, err: describeError(e) }, 'prefetch failed; reading one by one'));
  }
  return new DedupingClient(client, key, provider.name, provider.inMemory ? opts.metrics : undefined);
}

function dedupeRefs(refs: RemoteRef[]): RemoteRef[] {
  const seen = new Map<string, RemoteRef>();
  for (const r of refs) seen.set(JSON.stringify([r.key, r.version ?? '', r.metadataPolicy ?? '']), r);
  return [...seen.values()];
}

/**
 * Deduplicates identical calls within a round. Backend metrics come from the providers' own hook
 * (real API calls, batches included); for the in-memory `fake` provider they are counted here.
 */
class DedupingClient implements SecretsClient {
  readonly #inner: SecretsClient;
  readonly #store: string;
  readonly #provider: string;
  readonly #metrics: AgentMetrics | undefined;
  readonly #calls = new Map<string, Promise<unknown>>();

  constructor(inner: SecretsClient, store: string, provider: string, metrics?: AgentMetrics) {
    this.#inner = inner;
    this.#store = store;
    this.#provider = provider;
    this.#metrics = metrics;
  }

  #once<T>(operation: string, arg: unknown, call: () => Promise<T>): Promise<T> {
    const key = `${operation}\0${JSON.stringify(arg)}`;
    let p = this.#calls.get(key) as Promise<T> | undefined;
    if (!p) {
      // process.hrtime, not the global `performance`: touching that loads node:perf_hooks and its ten
      // internal modules, about 0.8 MiB of RSS for the pod's life (measured with a bare `node -e`).
      const started = process.hrtime.bigint();
      p = call().then(
        (v) => {
          this.#record(operation, 'ok', started);
          return v;
        },
        (e: unknown) => {
          this.#record(operation, e instanceof NoSecretError ? 'not_found' : 'error', started);
          throw e;
        },
      );
      this.#calls.set(key, p);
    }
    return p;
  }

  #record(operation: string, result: string, started: bigint): void {
    if (!this.#metrics) return;
    this.#metrics.backendCalls.inc({ store: this.#store, provider: this.#provider, operation, result });
    this.#metrics.backendLatency.observe({ provider: this.#provider, operation }, Number(process.hrtime.bigint() - started) / 1e9);
  }

  getSecret(ref: RemoteRef): Promise<Uint8Array> {
    return this.#once('getSecret', ref, () => this.#inner.getSecret(ref));
  }
  getSecretMap(ref: RemoteRef): Promise<SecretDataMap> {
    return this.#once('getSecretMap', ref, () => this.#inner.getSecretMap(ref));
  }
  getAllSecrets(find: Parameters<SecretsClient['getAllSecrets']>[0]): Promise<SecretDataMap> {
    return this.#once('getAllSecrets', find, () => this.#inner.getAllSecrets(find));
  }
}
