/**
 * Watch caches of what admission reads: ExternalSecrets, SecretStores, ClusterSecretStores (ESO's
 * `v1` API, served by ESO v0.16+ and v2) and Namespaces (labels, for ClusterSecretStore conditions).
 * `synced()` turns true once every reflector has listed; failed watches reconnect with backoff.
 */
import type { KubeObject } from '../core/index.ts';
import type { EsoLookup } from '../injector/index.ts';
import type { KubeClient } from '../kube/index.ts';
import { Reflector, type WatchVerb } from './reflector.ts';
import type { Logger } from '../core/log.ts';

export type WatchedKind = 'ExternalSecret' | 'SecretStore' | 'ClusterSecretStore' | 'Namespace';
export type ChangeListener = (kind: WatchedKind, obj: KubeObject, verb: WatchVerb) => void;

const ESO = 'external-secrets.io/v1';

export class ClusterCache {
  readonly #reflectors = new Map<WatchedKind, Reflector>();
  readonly #listeners: ChangeListener[] = [];

  constructor(client: KubeClient, log: Logger) {
    const add = (kind: WatchedKind, path: string, apiVersion: string) => {
      const r = new Reflector(client, path, kind, apiVersion, {
        transform: kind === 'Namespace' ? namespaceRecord : esoRecord,
        onError: (err, retryMs) => log.warn({ kind, error: describe(err), retryMs }, 'watch failed; retrying'),
      });
      r.on((verb, obj, old) => {
        // A write of status alone (esi's status controller, ESO's) changes nothing the cache keeps but the
        // resourceVersion: no reader needs to hear of it (else every status write re-checks the namespace's pods).
        if (verb === 'update' && old && sameRecord(old, obj)) return;
        for (const l of this.#listeners) l(kind, obj, verb);
      });
      this.#reflectors.set(kind, r);
    };
    add('ExternalSecret', `/apis/${ESO}/externalsecrets`, ESO);
    add('SecretStore', `/apis/${ESO}/secretstores`, ESO);
    add('ClusterSecretStore', `/apis/${ESO}/clustersecretstores`, ESO);
    add('Namespace', '/api/v1/namespaces', 'v1');
  }

  /** Resolves when every cache has listed once (watches keep retrying until then). */
  async start(): Promise<void> {
    await Promise.all([...this.#reflectors.values()].map((r) => r.start()));
  }

  async stop(): Promise<void> {
    await Promise.all([...this.#reflectors.values()].map((r) => r.stop()));
  }

  synced(): boolean {
    return [...this.#reflectors.values()].every((r) => r.synced());
  }

  /** Every change after the first list. */
  onChange(l: ChangeListener): void {
    this.#listeners.push(l);
  }

  /** Every cached object of a kind. */
  objects(kind: WatchedKind): KubeObject[] {
    return this.#reflectors.get(kind)!.list();
  }

  #get(kind: WatchedKind, name: string, namespace?: string): KubeObject | undefined {
    return this.#reflectors.get(kind)!.get(name, namespace);
  }

  lookup(): EsoLookup {
    return {
      externalSecret: (ns, name) => this.#get('ExternalSecret', name, ns),
      secretStore: (ns, name) => this.#get('SecretStore', name, ns),
      clusterSecretStore: (name) => this.#get('ClusterSecretStore', name),
    };
  }

  namespaceLabels(namespace: string): Record<string, string> {
    return this.#get('Namespace', namespace)?.metadata.labels ?? {};
  }
}

/** What admission and the controller read of an ESO object: identity, labels, annotations, spec (no status, no managedFields). */
export function esoRecord(o: KubeObject): KubeObject {
  const md = o.metadata;
  const annotations = md.annotations ? { ...md.annotations } : undefined;
  if (annotations) delete annotations['kubectl.kubernetes.io/last-applied-configuration'];
  return {
    apiVersion: o.apiVersion,
    kind: o.kind,
    metadata: {
      name: md.name,
      ...(md.namespace ? { namespace: md.namespace } : {}),
      ...(md.uid ? { uid: md.uid } : {}),
      ...(md.resourceVersion ? { resourceVersion: md.resourceVersion } : {}),
      ...(md.generation !== undefined ? { generation: md.generation } : {}),
      ...(md.labels ? { labels: md.labels } : {}),
      ...(annotations && Object.keys(annotations).length > 0 ? { annotations } : {}),
    },
    ...(o['spec'] !== undefined ? { spec: o['spec'] } : {}),
  };
}

/** Whether two cached records differ only in their resourceVersion. */
export function sameRecord(a: KubeObject, b: KubeObject): boolean {
  const strip = (o: KubeObject) => JSON.stringify({ ...o, metadata: { ...o.metadata, resourceVersion: undefined } });
  return strip(a) === strip(b);
}

/** What is read of a Namespace: its name and labels (ClusterSecretStore conditions). */
export function namespaceRecord(o: KubeObject): KubeObject {
  const md = o.metadata;
  return { apiVersion: o.apiVersion, kind: o.kind, metadata: { name: md.name, ...(md.resourceVersion ? { resourceVersion: md.resourceVersion } : {}), ...(md.labels ? { labels: md.labels } : {}) } };
}

export function describe(err: unknown): string {
  if (err instanceof Error) return err.message.split('\n')[0]!.slice(0, 300);
  return String(err).slice(0, 300);
}
