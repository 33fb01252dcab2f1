/**
 * Watch caches of what admission reads: ExternalSecrets, SecretStores, ClusterSecretStores (ESO's
 * `v1` API, served by ESO v0.16+ and v2) and Namespaces (labels, for ClusterSecretStore conditions).
 * `synced()` turns true once every informer has listed; a failed watch is restarted with backoff.
 */
import { CoreV1Api, CustomObjectsApi, makeInformer, type Informer, type KubeConfig, type KubernetesObject, type ObjectCache } from '@kubernetes/client-node';
import type { KubeObject } from '../core/index.ts';
import type { EsoLookup } from '../injector/index.ts';
import type { WebhookLogger } from './log.ts';

export type WatchedKind = 'ExternalSecret' | 'SecretStore' | 'ClusterSecretStore' | 'Namespace';
export type ChangeListener = (kind: WatchedKind, obj: KubeObject, verb: 'add' | 'update' | 'delete') => void;

const ESO = { group: 'external-secrets.io', version: 'v1' } as const;

interface Watched {
  kind: WatchedKind;
  informer: Informer<KubernetesObject> & ObjectCache<KubernetesObject>;
  synced: boolean;
  failures: number;
}

export class ClusterCache {
  readonly #watched: Watched[] = [];
  readonly #listeners: ChangeListener[] = [];
  readonly #log: WebhookLogger;
  #stopped = false;
  readonly #timers = new Set<NodeJS.Timeout>();

  constructor(kc: KubeConfig, log: WebhookLogger) {
    this.#log = log;
    const custom = kc.makeApiClient(CustomObjectsApi);
    const core = kc.makeApiClient(CoreV1Api);
    const eso = (kind: WatchedKind, plural: string) =>
      this.#add(
        kind,
        makeInformer<KubernetesObject>(kc, `/apis/${ESO.group}/${ESO.version}/${plural}`, () =>
          custom.listClusterCustomObject({ group: ESO.group, version: ESO.version, plural }),
        ),
      );
    eso('ExternalSecret', 'externalsecrets');
    eso('SecretStore', 'secretstores');
    eso('ClusterSecretStore', 'clustersecretstores');
    this.#add('Namespace', makeInformer<KubernetesObject>(kc, '/api/v1/namespaces', () => core.listNamespace()));
  }

  #add(kind: WatchedKind, informer: Watched['informer']): void {
    const w: Watched = { kind, informer, synced: false, failures: 0 };
    for (const verb of ['add', 'update', 'delete'] as const) {
      informer.on(verb, (obj) => {
        if (!w.synced) return;
        for (const l of this.#listeners) l(kind, obj as KubeObject, verb);
      });
    }
    informer.on('error', (err: unknown) => {
      if (this.#stopped) return;
      w.failures += 1;
      const delay = Math.min(30_000, 500 * 2 ** Math.min(w.failures, 6));
      this.#log.warn('watch failed; restarting', { kind, error: describe(err), retryMs: delay });
      const t = setTimeout(() => {
        this.#timers.delete(t);
        void this.#startOne(w);
      }, delay);
      this.#timers.add(t);
    });
    this.#watched.push(w);
  }

  async #startOne(w: Watched): Promise<void> {
    if (this.#stopped) return;
    const failuresBefore = w.failures;
    await w.informer.start();
    // start() resolves after the list; a failed list reports through 'error' instead of throwing.
    if (w.failures === failuresBefore && !w.synced) {
      w.synced = true;
      this.#log.info('cache synced', { kind: w.kind, objects: w.informer.list().length });
      if (this.synced()) for (const l of this.#listeners) l('Namespace', { apiVersion: 'v1', kind: 'Namespace', metadata: {} }, 'update');
    }
  }

  /** Starts every informer; resolves when each has had its first try (check `synced()`). */
  async start(): Promise<void> {
    await Promise.all(this.#watched.map((w) => this.#startOne(w)));
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const t of this.#timers) clearTimeout(t);
    await Promise.all(this.#watched.map((w) => w.informer.stop()));
  }

  synced(): boolean {
    return this.#watched.every((w) => w.synced);
  }

  /** Called after sync for every change; once with a synthetic Namespace update when all caches synced. */
  onChange(l: ChangeListener): void {
    this.#listeners.push(l);
  }

  #get(kind: WatchedKind, name: string, namespace?: string): KubeObject | undefined {
    const w = this.#watched.find((x) => x.kind === kind)!;
    const o = w.informer.get(name, namespace);
    return o ? withKind(o as KubeObject, kind) : undefined;
  }

  lookup(): EsoLookup {
    return {
      externalSecret: (ns, name) => this.#get('ExternalSecret', name, ns),
      secretStore: (ns, name) => this.#get('SecretStore', name, ns),
      clusterSecretStore: (name) => this.#get('ClusterSecretStore', name),
    };
  }

  namespaceLabels(namespace: string): Record<string, string> {
    return (this.#get('Namespace', namespace)?.metadata.labels as Record<string, string> | undefined) ?? {};
  }
}

/** Watch events and typed lists may lack apiVersion/kind on items; the ESO parser needs them. */
function withKind(o: KubeObject, kind: WatchedKind): KubeObject {
  if (o.kind === kind && o.apiVersion) return o;
  return { ...o, kind, apiVersion: kind === 'Namespace' ? 'v1' : `${ESO.group}/${ESO.version}` };
}

export function describe(err: unknown): string {
  if (err instanceof Error) return err.message.split('\n')[0]!.slice(0, 300);
  if (typeof err === 'object' && err !== null && 'message' in err) return String((err as { message: unknown }).message).slice(0, 300);
  return String(err).slice(0, 300);
}
