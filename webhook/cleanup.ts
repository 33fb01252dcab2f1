/**
 * A target Secret the agents wrote (`esi.dev/sync-secret`) after the last pod writing it is gone: nobody
 * keeps it current any more, so it follows the ExternalSecret's `target.deletionPolicy` as ESO applies it
 * when a sync leaves no data (pkg/controllers/externalsecret/externalsecret_controller.go: `Delete` deletes
 * the Secret, `Retain` keeps it as it is, `Merge` keeps the Secret and drops the keys this ExternalSecret
 * manages, its field manager's `f:data` entries). Only a Secret this ExternalSecret created (its controller
 * ownerReference or ESO's created-by label) is deleted.
 *
 * The leader acts after a grace period (a rolling update replaces pods; a new pod writing the Secret
 * within it cancels the clean-up) and re-checks the cached pods first. It needs `get`, `update` and
 * `delete` on Secrets, which the chart grants only with `rbac.cleanUpSecrets=true`; without them the
 * refusal is logged once per Secret and the Secret stays.
 */
import type { KubeObject, Secret } from '../core/index.ts';
import { AGENT_CONFIG_ANNOTATION } from '../contract/index.ts';
import { createdByHash, fieldManagerFor, LABEL_CREATED_BY, managedKeys } from '../eso/index.ts';
import { KubeError, type KubeClient } from '../kube/index.ts';
import { describe } from './cache.ts';
import type { Logger } from '../core/log.ts';
import { WorkQueue } from './workqueue.ts';
import { retryable } from './controller.ts';

export interface SyncedTarget {
  externalSecret: string;
  uid?: string;
  secret: string;
  deletionPolicy: string;
}

/**
 * The Secrets a pod's agent writes, from its `esi.dev/agent-config` (the controller's pod record keeps it
 * as `agentConfig`; a Pod has it as the annotation). Pure; never throws.
 */
export function syncedTargets(pod: KubeObject): SyncedTarget[] {
  const text = (pod as { agentConfig?: string }).agentConfig ?? pod.metadata.annotations?.[AGENT_CONFIG_ANNOTATION];
  if (!text) return [];
  try {
    const c = JSON.parse(text) as { externalSecrets?: { syncSecret?: boolean; externalSecret?: { metadata?: { name?: string; uid?: string }; spec?: { target?: { name?: string; deletionPolicy?: string } } } }[] };
    return (c.externalSecrets ?? []).flatMap((e) => {
      const es = e.externalSecret;
      const name = es?.metadata?.name;
      if (!e.syncSecret || !name) return [];
      return [{ externalSecret: name, ...(es.metadata?.uid ? { uid: es.metadata.uid } : {}), secret: es.spec?.target?.name || name, deletionPolicy: es.spec?.target?.deletionPolicy ?? 'Retain' }];
    });
  } catch {
    return [];
  }
}

export interface SecretCleanupOptions {
  client: KubeClient;
  log: Logger;
  /** The live injected pods of a namespace (the pod controller's cache). */
  pods: (namespace: string) => KubeObject[];
  /** Wait after the last pod went (default 30 s). */
  graceMs?: number;
}

const phaseOf = (p: KubeObject) => (p as { phase?: string }).phase ?? (p['status'] as { phase?: string } | undefined)?.phase ?? '';
const live = (p: KubeObject) => !p.metadata['deletionTimestamp'] && !['Succeeded', 'Failed'].includes(phaseOf(p));

export class SecretCleanup {
  readonly #o: SecretCleanupOptions;
  /** `<namespace>/<externalSecret>` → what the last pod writing it said about it. */
  readonly #pending = new Map<string, SyncedTarget>();
  readonly #refused = new Set<string>();
  #queue: WorkQueue | undefined;

  constructor(o: SecretCleanupOptions) {
    this.#o = o;
  }

  /** A pod left the cache: its Secrets are checked after the grace period. */
  podGone(pod: KubeObject): void {
    const ns = pod.metadata.namespace ?? '';
    if (!this.#queue) return; // not leading: the leader has seen it too
    for (const t of syncedTargets(pod)) {
      const key = `${ns}/${t.externalSecret}`;
      this.#pending.set(key, t);
      this.#queue.addAfter(key, this.#o.graceMs ?? 30_000);
    }
  }

  async lead(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    const queue = new WorkQueue();
    this.#queue = queue;
    signal.addEventListener('abort', () => queue.shutDown(), { once: true });
    for (let key = await queue.get(); key !== undefined; key = await queue.get()) {
      try {
        await this.reconcile(key);
        queue.forget(key);
      } catch (e) {
        if (retryable(e) && !signal.aborted && queue.failures(key) < 12) queue.addRateLimited(key);
        else {
          queue.forget(key);
          this.#o.log.warn({ externalSecret: key, error: describe(e) }, 'target Secret clean-up failed');
        }
      } finally {
        queue.done(key);
      }
    }
    if (this.#queue === queue) this.#queue = undefined;
  }

  /** Applies the deletionPolicy to one ExternalSecret's target Secret if no live pod writes it any more. */
  async reconcile(key: string): Promise<'deleted' | 'merged' | 'kept' | 'in use' | 'gone'> {
    const t = this.#pending.get(key);
    if (!t) return 'gone';
    const ns = key.slice(0, key.indexOf('/'));
    if (this.#o.pods(ns).some((p) => live(p) && syncedTargets(p).some((x) => x.externalSecret === t.externalSecret))) {
      this.#pending.delete(key);
      this.#o.log.info({ namespace: ns, externalSecret: t.externalSecret, secret: t.secret }, 'a pod went; others still write the target Secret');
      return 'in use';
    }
    this.#pending.delete(key);
    const where = { namespace: ns, externalSecret: t.externalSecret, secret: t.secret, deletionPolicy: t.deletionPolicy };
    if (t.deletionPolicy !== 'Delete' && t.deletionPolicy !== 'Merge') {
      this.#o.log.info(where, 'the last pod writing the target Secret is gone; deletionPolicy Retain keeps it');
      return 'kept';
    }
    const path = `/api/v1/namespaces/${encodeURIComponent(ns)}/secrets/${encodeURIComponent(t.secret)}`;
    try {
      const r = await this.#o.client.send<Secret>('GET', path);
      if (r.status === 404) return 'gone';
      if (r.status !== 200) throw new KubeError('GET', path, r.status, r.body);
      const secret = r.body;
      if (t.deletionPolicy === 'Delete') {
        const owner = (secret.metadata.ownerReferences ?? []).find((o) => o.controller && o.kind === 'ExternalSecret' && o.name === t.externalSecret && (!t.uid || o.uid === t.uid));
        if (!owner && secret.metadata.labels?.[LABEL_CREATED_BY] !== createdByHash(ns, t.externalSecret)) {
          this.#o.log.info(where, 'the last pod writing the target Secret is gone; the Secret was not created by this ExternalSecret, so it stays');
          return 'kept';
        }
        const d = await this.#o.client.send('DELETE', path, { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { uid: secret.metadata.uid, resourceVersion: secret.metadata.resourceVersion } });
        if (d.status === 404) return 'gone';
        if (d.status < 200 || d.status > 299) throw new KubeError('DELETE', path, d.status, d.body);
        this.#o.log.info(where, 'the last pod writing the target Secret is gone; deletionPolicy Delete deleted it');
        return 'deleted';
      }
      const manager = fieldManagerFor(t.externalSecret);
      const keys = managedKeys(secret, manager, ['f:data']);
      if (keys.length === 0) return 'kept';
      const data = { ...(secret.data ?? {}) };
      for (const k of keys) delete data[k];
      const u = await this.#o.client.send('PUT', `${path}?fieldManager=${encodeURIComponent(manager)}`, { ...secret, data });
      if (u.status < 200 || u.status > 299) throw new KubeError('PUT', path, u.status, u.body);
      this.#o.log.info({ ...where, keys: keys.length }, 'the last pod writing the target Secret is gone; deletionPolicy Merge removed its keys');
      return 'merged';
    } catch (e) {
      if (e instanceof KubeError && e.status === 403) {
        if (!this.#refused.has(key)) this.#o.log.warn({ ...where, error: describe(e) }, 'cannot apply the target Secret\'s deletionPolicy: no RBAC on Secrets (chart value rbac.cleanUpSecrets)');
        this.#refused.add(key);
        return 'kept';
      }
      if (retryable(e)) this.#pending.set(key, t);
      throw e;
    }
  }
}
