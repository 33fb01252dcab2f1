/**
 * Secrets clients for one refresh round. Every store gets one client per round, and every distinct
 * backend call (same operation, same ref) is made once per round however many ExternalSecrets or
 * entries ask for it. Calls are timed and counted. Provider SDKs load only when a store uses them.
 */
import { EsiError, NoSecretError, storeKey } from '../core/index.ts';
import { FakeSecretsClient, providerOf, type ClientResolver, type SecretDataMap, type SecretStore, type SecretsClient, type SecretStoreRef } from '../eso/index.ts';
import type { AgentMetrics } from './metrics.ts';

/** What a real provider needs from the pod (identity files, env). */
export interface ProviderContext {
  env: Record<string, string | undefined>;
  vaultTokenPath?: string;
  namespace: string;
  /** Per-call timeout. */
  timeoutMs: number;
}

/** The shape of providers/index.ts `createSecretsClient` (AWS, Vault); loaded on first use. */
export type ProviderClientFactory = (store: SecretStore, ctx: ProviderContext) => Promise<SecretsClient> | SecretsClient;

let providersModule: Promise<{ createSecretsClient: ProviderClientFactory }> | undefined;

async function defaultProviderFactory(store: SecretStore, ctx: ProviderContext): Promise<SecretsClient> {
  // A variable specifier keeps the SDKs out of the agent's start-up path until a store needs them.
  const spec = '../providers/index.ts';
  providersModule ??= import(spec) as Promise<{ createSecretsClient: ProviderClientFactory }>;
  const mod = await providersModule.catch((e: Error) => {
    providersModule = undefined;
    throw new EsiError('provider', `loading the secret providers: ${e.message}`);
  });
  return mod.createSecretsClient(store, ctx);
}

export interface RoundOptions {
  stores: Record<string, SecretStore>;
  ctx: ProviderContext;
  metrics?: AgentMetrics;
  /** Overrides how AWS/Vault clients are made (tests). */
  providerFactory?: ProviderClientFactory;
}

/** One refresh round's client cache; make a new one per round (values are never kept across rounds). */
export function roundResolver(opts: RoundOptions): ClientResolver {
  const clients = new Map<string, Promise<SecretsClient>>();
  return (ref: Required<SecretStoreRef>) => {
    const key = storeKey(ref.kind, ref.name);
    let c = clients.get(key);
    if (!c) {
      c = makeClient(key, opts);
      clients.set(key, c);
      c.catch(() => clients.delete(key));
    }
    return c;
  };
}

async function makeClient(key: string, opts: RoundOptions): Promise<SecretsClient> {
  const store = opts.stores[key];
  if (!store) throw new EsiError('no-store', `store ${key} is not in the agent config (the webhook resolves stores at admission)`);
  const provider = providerOf(store);
  let inner: SecretsClient;
  if (provider === 'fake') inner = new FakeSecretsClient(store.spec.provider.fake!);
  else inner = await (opts.providerFactory ?? defaultProviderFactory)(store, opts.ctx);
  return new CountingClient(inner, key, provider, opts.metrics);
}

/** Deduplicates identical calls within a round and records backend metrics. */
class CountingClient implements SecretsClient {
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
      const started = performance.now();
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

  #record(operation: string, result: string, started: number): void {
    if (!this.#metrics) return;
    this.#metrics.backendCalls.inc({ store: this.#store, provider: this.#provider, operation, result });
    this.#metrics.backendLatency.observe({ provider: this.#provider, operation }, (performance.now() - started) / 1000);
  }

  getSecret(ref: Parameters<SecretsClient['getSecret']>[0]): Promise<Uint8Array> {
    return this.#once('getSecret', ref, () => this.#inner.getSecret(ref));
  }
  getSecretMap(ref: Parameters<SecretsClient['getSecretMap']>[0]): Promise<SecretDataMap> {
    return this.#once('getSecretMap', ref, () => this.#inner.getSecretMap(ref));
  }
  getAllSecrets(find: Parameters<SecretsClient['getAllSecrets']>[0]): Promise<SecretDataMap> {
    return this.#once('getAllSecrets', find, () => this.#inner.getAllSecrets(find));
  }
}
