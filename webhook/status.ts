/**
 * Status of esi-managed ExternalSecrets and stores (issue 14), written by the leader as ESO's
 * controller would write them, so `kubectl get externalsecret` prints STATUS, READY and LAST SYNC:
 *
 * - ExternalSecrets whose every store has `spec.controller` = esi's class (ESO's controller skips them,
 *   so nobody else writes their status): from the agents' reports, Events on the ExternalSecret with
 *   source `esi-agent` (contract STATUS_REPORT; the pod needs only `events: create`). The latest report of
 *   each live pod counts: any pod failing makes `Ready` False with that pod's reason and ESO's message,
 *   else True; `refreshTime` is the latest reported sync, `syncedResourceVersion` ESO's
 *   `<generation>-<hash>` of the live object once a pod reports having synced its current version,
 *   `binding` the Secret a pod wrote.
 * - SecretStores and ClusterSecretStores of esi's class: `Ready` from the checks admission makes
 *   (parse + the provider's spec rules): `Valid`/"store validated", else `InvalidProviderConfig`/"unable
 *   to create client", and ESO's capabilities for the providers esi supports (`ReadWrite`).
 *
 * Objects of any other class are never written: a running ESO controller owns them.
 */
import type { KubeObject } from '../core/index.ts';
import { externalSecretVersion, STATUS_REPORT } from '../contract/index.ts';
import { externalSecretStoreRefs, parseExternalSecret, resourceVersionOf, setCondition, STORE_CONDITION, type StatusCondition } from '../eso/index.ts';
import { parseSecretStore, secretStoreErrors } from '../providers/index.ts';
import { KubeError, type KubeClient } from '../kube/index.ts';
import { describe, type ClusterCache, type WatchedKind } from './cache.ts';
import { Reflector, olderVersion } from './reflector.ts';
import type { Logger } from '../core/log.ts';
import { leadershipTerm, TokenBucket, WorkQueue } from './workqueue.ts';
import { retryable, DEFAULT_API_RATE_LIMIT, type ApiRateLimit } from './controller.ts';

/** One agent's report on one ExternalSecret (an Event, stripped to what status needs). */
export interface SyncReport {
  pod: string;
  ready: boolean;
  reason: string;
  message: string;
  version: string;
  /** RFC 3339, whole seconds. */
  syncedAt: string;
  binding?: string;
  /** The Event's resourceVersion: orders reports with the same syncedAt. */
  order: string;
}

export interface ExternalSecretStatus {
  conditions?: StatusCondition[];
  refreshTime?: string | null;
  syncedResourceVersion?: string;
  binding?: { name?: string };
  [k: string]: unknown;
}

const later = (a: SyncReport, b: SyncReport) => a.syncedAt > b.syncedAt || (a.syncedAt === b.syncedAt && olderVersion(b.order, a.order));

/**
 * The status ESO's markAsDone / markAsFailed would leave, from the live pods' latest reports. Pure.
 * `live` is the ExternalSecret now: its externalSecretVersion and ESO's resource version of it.
 */
export function nextExternalSecretStatus(current: ExternalSecretStatus | undefined, reports: SyncReport[], live: { version: string; resourceVersion: string }, now: number): ExternalSecretStatus {
  const out: ExternalSecretStatus = { ...(current ?? {}) };
  if (reports.length === 0) return out;
  const failing = reports.filter((r) => !r.ready);
  if (failing.length > 0) {
    const r = failing.reduce((a, b) => (later(b, a) ? b : a));
    out.conditions = setCondition(current?.conditions, { type: 'Ready', status: 'False', reason: r.reason, message: r.message }, now);
    return out;
  }
  const r = reports.reduce((a, b) => (later(b, a) ? b : a));
  out.conditions = setCondition(current?.conditions, { type: 'Ready', status: 'True', reason: r.reason, message: r.message }, now);
  if (!current?.refreshTime || r.syncedAt > current.refreshTime) out.refreshTime = r.syncedAt;
  if (reports.some((x) => x.version === live.version)) out.syncedResourceVersion = live.resourceVersion;
  const bound = reports.filter((x) => x.binding).reduce<SyncReport | undefined>((a, b) => (!a || later(b, a) ? b : a), undefined);
  if (bound) out.binding = { name: bound.binding! };
  return out;
}

/** A store's status as ESO's secretstore reconcile leaves it, from admission's checks. Pure. */
export function nextStoreStatus(current: { conditions?: StatusCondition[]; capabilities?: string } | undefined, problems: string[], now: number): Record<string, unknown> {
  const cond = problems.length === 0 ? STORE_CONDITION.valid : STORE_CONDITION.invalidProviderConfig;
  const conditions = setCondition(current?.conditions, { type: 'Ready', status: problems.length === 0 ? 'True' : 'False', ...cond }, now);
  return { ...(current ?? {}), ...(problems.length === 0 ? { capabilities: 'ReadWrite' } : {}), conditions };
}

/** A report from an agent Event; undefined when it is not one. */
export function reportOf(e: KubeObject): { namespace: string; externalSecret: string; report: SyncReport } | undefined {
  const a = e.metadata.annotations ?? {};
  const k = STATUS_REPORT.annotations;
  const io = e['involvedObject'] as { kind?: string; name?: string; namespace?: string } | undefined;
  if (io?.kind !== 'ExternalSecret' || !io.name || !a[k.pod] || !a[k.version] || !a[k.syncedAt] || !a[k.reason]) return undefined;
  return {
    namespace: io.namespace ?? e.metadata.namespace ?? '',
    externalSecret: io.name,
    report: {
      pod: a[k.pod]!,
      ready: a[k.ready] === 'True',
      reason: a[k.reason]!,
      message: a[k.message] ?? '',
      version: a[k.version]!,
      syncedAt: a[k.syncedAt]!,
      ...(a[k.binding] ? { binding: a[k.binding] } : {}),
      order: e.metadata.resourceVersion ?? '',
    },
  };
}

/** What the Event cache keeps: the report's fields (Events hold only names and ESO's texts). */
function eventRecord(o: KubeObject): KubeObject {
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(o.metadata.annotations ?? {})) if (k.startsWith('esi.dev/')) annotations[k] = v;
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: o.metadata.name, namespace: o.metadata.namespace, ...(o.metadata.resourceVersion ? { resourceVersion: o.metadata.resourceVersion } : {}), annotations },
    involvedObject: o['involvedObject'],
  };
}

export interface StatusControllerOptions {
  client: KubeClient;
  cache: ClusterCache;
  log: Logger;
  controllerClass: string;
  /** Whether an injected pod still exists (the pod controller's cache). */
  podExists: (namespace: string, name: string) => boolean;
  /** Namespaces this install manages (`--namespace-selector`; default all). */
  manages?: (namespace: string) => boolean;
  rateLimit?: ApiRateLimit;
  workers?: number;
}

const MAX_RETRIES = 12;
const ESO = '/apis/external-secrets.io/v1';

export class StatusController {
  readonly #o: StatusControllerOptions;
  readonly #events: Reflector;
  readonly #limiter: TokenBucket;
  /** `<namespace>/<externalSecret>` → pod → its latest report. */
  readonly #reports = new Map<string, Map<string, SyncReport>>();
  #queue: WorkQueue | undefined;
  #lead: AbortController | undefined;

  constructor(o: StatusControllerOptions) {
    this.#o = o;
    const rate = o.rateLimit ?? DEFAULT_API_RATE_LIMIT;
    this.#limiter = new TokenBucket(rate.qps, rate.burst);
    this.#events = new Reflector(o.client, '/api/v1/events', 'Event', 'v1', {
      query: { fieldSelector: `involvedObject.kind=ExternalSecret,source=${STATUS_REPORT.component}` },
      transform: eventRecord,
      onError: (err, retryMs) => o.log.warn({ error: describe(err), retryMs }, 'event watch failed; retrying'),
    });
    this.#events.on((verb, e) => {
      if (verb !== 'delete') this.#ingest(e);
    });
    o.cache.onChange((kind, obj) => this.#onChange(kind, obj));
  }

  async start(): Promise<void> {
    await this.#events.start();
    for (const e of this.#events.list()) this.#ingest(e);
  }

  async stop(): Promise<void> {
    this.#queue?.shutDown();
    this.#lead?.abort();
    await this.#events.stop();
  }

  /** A pod went away: its reports no longer count. */
  podDeleted(namespace: string, pod: string): void {
    for (const [key, byPod] of this.#reports) {
      if (key.startsWith(`${namespace}/`) && byPod.delete(pod)) this.#queue?.add(`es:${key}`);
    }
  }

  #ingest(e: KubeObject): void {
    const r = reportOf(e);
    if (!r) return;
    const key = `${r.namespace}/${r.externalSecret}`;
    let byPod = this.#reports.get(key);
    if (!byPod) this.#reports.set(key, (byPod = new Map()));
    const had = byPod.get(r.report.pod);
    if (had && !later(r.report, had)) return;
    byPod.set(r.report.pod, r.report);
    this.#queue?.add(`es:${key}`);
  }

  #onChange(kind: WatchedKind, obj: KubeObject): void {
    const md = obj.metadata;
    if (kind === 'SecretStore' || kind === 'ClusterSecretStore') this.#queue?.add(`store:${kind}/${md.namespace ?? ''}/${md.name}`);
    else if (kind === 'ExternalSecret' && this.#reports.has(`${md.namespace}/${md.name}`)) this.#queue?.add(`es:${md.namespace}/${md.name}`);
  }

  /** Runs until `signal` aborts (leadership lost); every esi-class store and reported ExternalSecret is checked at the start. */
  async lead(signal: AbortSignal): Promise<void> {
    await this.start();
    if (signal.aborted) return;
    const { queue, lead, end } = leadershipTerm(signal);
    this.#queue = queue;
    this.#lead = lead;
    for (const key of this.#reports.keys()) queue.add(`es:${key}`);
    for (const kind of ['SecretStore', 'ClusterSecretStore'] as const) {
      for (const s of this.#o.cache.objects(kind)) queue.add(`store:${kind}/${s.metadata.namespace ?? ''}/${s.metadata.name}`);
    }
    await Promise.all(Array.from({ length: this.#o.workers ?? 4 }, () => this.#worker(queue)));
    end();
    if (this.#queue === queue) this.#queue = undefined;
  }

  /** Waits until nothing is queued or in flight (tests). */
  async idle(pollMs = 20): Promise<void> {
    while (this.#queue && !this.#queue.idle()) await new Promise((r) => setTimeout(r, pollMs));
  }

  async #worker(queue: WorkQueue): Promise<void> {
    for (let key = await queue.get(); key !== undefined; key = await queue.get()) {
      try {
        if (key.startsWith('es:')) await this.reconcileExternalSecret(key.slice(3));
        else await this.reconcileStore(key.slice(6));
        queue.forget(key);
      } catch (e) {
        if (retryable(e) && !this.#lead?.signal.aborted && queue.failures(key) < MAX_RETRIES) {
          const retryMs = queue.addRateLimited(key);
          this.#o.log.warn({ object: key, error: describe(e), retryMs }, 'status update failed; retrying');
        } else {
          queue.forget(key);
          this.#o.log.warn({ object: key, error: describe(e) }, 'status update failed');
        }
      } finally {
        queue.done(key);
      }
    }
  }

  #isOurs(store: KubeObject | undefined): boolean {
    return ((store?.['spec'] as { controller?: string } | undefined)?.controller ?? '') === this.#o.controllerClass;
  }

  /** Whether every store the ExternalSecret reads is of esi's class (then ESO's controller skips it). */
  #managed(es: KubeObject): boolean {
    let refs;
    try {
      refs = externalSecretStoreRefs(parseExternalSecret(es));
    } catch {
      return false;
    }
    const look = this.#o.cache.lookup();
    const ns = es.metadata.namespace ?? '';
    return refs.length > 0 && refs.every((r) => this.#isOurs(r.kind === 'ClusterSecretStore' ? look.clusterSecretStore(r.name) : look.secretStore(ns, r.name)));
  }

  async reconcileExternalSecret(key: string): Promise<'updated' | 'unchanged' | 'skipped'> {
    const [namespace, name] = [key.slice(0, key.indexOf('/')), key.slice(key.indexOf('/') + 1)];
    if (this.#o.manages && !this.#o.manages(namespace)) return 'skipped';
    const cached = this.#o.cache.lookup().externalSecret(namespace, name);
    if (!cached) {
      this.#reports.delete(key);
      return 'skipped';
    }
    if (!this.#managed(cached)) return 'skipped';
    const byPod = this.#reports.get(key);
    const reports = [...(byPod?.values() ?? [])].filter((r) => this.#o.podExists(namespace, r.pod));
    if (reports.length === 0) return 'skipped';
    const path = `${ESO}/namespaces/${encodeURIComponent(namespace)}/externalsecrets/${encodeURIComponent(name)}`;
    const live = await this.#o.client.request<KubeObject & { status?: ExternalSecretStatus }>('GET', path);
    if (!this.#managed(live)) return 'skipped';
    const version = externalSecretVersion(parseExternalSecret(live));
    // A report from an older incarnation (same name, other uid) names an older version; it still says whether pods fail.
    const status = nextExternalSecretStatus(live.status, reports, { version, resourceVersion: resourceVersionOf(live as never) }, Date.now());
    if (JSON.stringify(status) === JSON.stringify(live.status ?? {})) return 'unchanged';
    return this.#writeStatus(path, live, status, { externalSecret: `${namespace}/${name}` });
  }

  async reconcileStore(key: string): Promise<'updated' | 'unchanged' | 'skipped'> {
    const [kind, namespace, ...rest] = key.split('/');
    const name = rest.join('/');
    const look = this.#o.cache.lookup();
    if (kind === 'SecretStore' && this.#o.manages && !this.#o.manages(namespace!)) return 'skipped';
    const cached = kind === 'ClusterSecretStore' ? look.clusterSecretStore(name) : look.secretStore(namespace!, name);
    if (!cached || !this.#isOurs(cached)) return 'skipped';
    const path = kind === 'ClusterSecretStore' ? `${ESO}/clustersecretstores/${encodeURIComponent(name)}` : `${ESO}/namespaces/${encodeURIComponent(namespace!)}/secretstores/${encodeURIComponent(name)}`;
    const live = await this.#o.client.request<KubeObject & { status?: Record<string, unknown> }>('GET', path);
    if (!this.#isOurs(live)) return 'skipped';
    let problems: string[];
    try {
      problems = secretStoreErrors(parseSecretStore(live, kind));
    } catch (e) {
      problems = [describe(e)];
    }
    const status = nextStoreStatus(live.status as never, problems, Date.now());
    if (JSON.stringify(status) === JSON.stringify(live.status ?? {})) return 'unchanged';
    if (problems.length > 0) this.#o.log.warn({ store: key, error: problems.join('; ') }, 'store is not valid');
    return this.#writeStatus(path, live, status, { store: key });
  }

  async #writeStatus(path: string, live: KubeObject, status: unknown, where: Record<string, string>): Promise<'updated' | 'skipped'> {
    await this.#limiter.take(this.#lead?.signal);
    if (this.#lead?.signal.aborted) return 'skipped';
    try {
      // The resourceVersion makes it a compare-and-swap: a concurrent write gets 409 and a retry.
      await this.#o.client.request('PUT', `${path}/status`, { ...live, status });
    } catch (e) {
      if (e instanceof KubeError && e.status === 404) return 'skipped';
      throw e;
    }
    this.#o.log.info(where, 'status updated');
    return 'updated';
  }
}
